"""The warehouse: dbt runs and the settings each target gets (DuckDB or Snowflake)."""
