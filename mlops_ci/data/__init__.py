"""Data reading, validation and drift.

Entry points for stages and commands:

- ``reader.read_header(path)`` / ``reader.read_table(header, columns, specs)``: typed columns
  of CSV or Parquet files, only those asked for; ``reader.raise_for_bad_values(table)``.
- ``validate.validate_file(path, data_spec) -> ValidationResult``.
- ``drift.drift_files(reference, current, drift_spec, column_specs=..., exclude=...)`` and
  ``drift.drift_tables(...)`` -> ``DriftResult``.
- ``markdown.render_drift_markdown(result)`` / ``markdown.render_validation_markdown(result)``.
- ``results.to_json(result)`` for ``--json`` and job outputs.
"""
