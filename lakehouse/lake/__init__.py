"""The lake: Delta tables read through DuckDB, S3 or local storage, offsets held in bronze."""
