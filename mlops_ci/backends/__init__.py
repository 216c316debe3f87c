"""Adapters to the outside world (git, container engine, deploy targets), each behind an API."""
