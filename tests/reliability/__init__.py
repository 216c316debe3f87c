"""The reliability sweep: faults at every request, concurrent runs, hostile input, secrets.

See ``docs/RELIABILITY.md`` for the guarantees these tests hold and the figures they print.
"""
