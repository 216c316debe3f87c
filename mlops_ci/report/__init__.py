"""Rendering stage results into markdown for the PR comment and the job summary."""
