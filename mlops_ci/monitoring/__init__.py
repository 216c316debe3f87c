"""Scheduled monitoring: production data against the reference of the version in production.

``check`` measures (drift and data quality), ``decision`` turns a measurement into what to do,
``history`` keeps the trend in the issue body's hidden data block, ``issue`` renders the issue,
``act`` writes to the forge idempotently (one issue per model, one dispatch per run).
"""
