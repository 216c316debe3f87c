"""Data reading, validation and drift.

Entry points for stages and commands:

- ``reader.read_header(path)`` / ``reader.read_table(header, columns, specs)``: typed columns
  of CSV or Parquet files, only those asked for; ``reader.raise_for_bad_values(table)``.
- ``validate.validate_file(path, data_spec) -> ValidationResult``.
- ``drift.drift_files(reference, current, drift_spec, column_specs=..., exclude=...)`` and
  ``drift.drift_tables(...)`` -> ``DriftResult``.
- ``results.to_json(result)`` for ``--json`` and job outputs.

Results only: nothing here words a result for a reader. ``report.drift`` and
``report.validation`` render them, as markdown and as terminal text side by side.
"""
