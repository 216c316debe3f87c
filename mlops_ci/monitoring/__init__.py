"""Scheduled monitoring: production data against the reference of the version in production.

``check`` measures (drift and data quality), ``decision`` turns a measurement into what to do,
``history`` keeps the trend in the issue body's hidden data block, ``run`` names the run and
the issue's marker (the stage reads the issue back with ``Forge.read_issue``), ``act`` writes
to the forge idempotently (one issue per model, one dispatch per run) in the words of the
``IssueRenderer`` it is given; ``feedback`` measures live quality from labelled production
rows. Nothing here renders for a reader: ``report.monitoring_issue`` words the issue.
"""
