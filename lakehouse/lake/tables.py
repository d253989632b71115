"""Every table of the lakehouse, by layer, with its location and row count (read with DuckDB)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from lakehouse.lake.object_store import duckdb_s3_secret_sql, duckdb_uri, is_s3
from lakehouse.settings import Settings
from lakehouse.warehouse.dbt import ensure_duckdb_extensions

WAREHOUSE_LAYERS = ("silver", "gold")
SILVER_EVENTS_TABLE = "silver.int_listening_events_deduplicated"


@dataclass(frozen=True)
class TableInfo:
    """One table as `lakehouse status` shows it; rows is None when the table does not exist."""

    layer: str
    name: str
    location: str
    rows: int | None

    def as_json(self) -> dict[str, Any]:
        """The stable JSON shape: layer, name, location, rows."""
        return asdict(self)


@contextmanager
def lake_connection(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection that can read the lake's Delta tables."""
    extension_dir = settings.path(settings.warehouse.duckdb_extension_dir)
    ensure_duckdb_extensions(extension_dir)
    connection = duckdb.connect(config={"extension_directory": str(extension_dir)})
    try:
        connection.execute("load delta")
        # Delta timestamps are UTC; DuckDB would otherwise show them in the machine's zone.
        connection.execute("set TimeZone = 'UTC'")
        if is_s3(settings.lake_root):
            connection.execute("load httpfs")
            connection.execute("load aws")
            connection.execute(duckdb_s3_secret_sql(settings.s3))
        yield connection
    finally:
        connection.close()


def is_delta_table(connection: duckdb.DuckDBPyConnection, location: str) -> bool:
    """True once a Delta table has its first commit at the location.

    Not deltalake's DeltaTable.is_deltatable: on S3 that needs its own storage options
    (credentials, endpoint, region) where this asks the DuckDB connection that already
    holds the lake's S3 secret, and it would add a package to the environment for a look
    at one folder (docs/ARCHITECTURE.md, hand-written pieces).
    """
    if is_s3(location):
        # S3 has no folders: the table exists once its first commit file does.
        log_files = f"{duckdb_uri(location).rstrip('/')}/_delta_log/*.json"
        found = connection.execute("select count(*) from glob(?)", [log_files]).fetchone()
        return bool(found and found[0])
    if "://" in location:
        return True
    return (Path(location) / "_delta_log").is_dir()


def delta_row_count(connection: duckdb.DuckDBPyConnection, location: str) -> int | None:
    """Rows in a Delta table, or None when there is no table at the location yet."""
    if not is_delta_table(connection, location):
        return None
    row = connection.execute(
        "select count(*) from delta_scan(?)", [duckdb_uri(location)]
    ).fetchone()
    return int(row[0]) if row else 0


def lake_tables(settings: Settings, connection: duckdb.DuckDBPyConnection) -> list[TableInfo]:
    """The bronze, quarantine and data-loss audit Delta tables."""
    tables = [
        ("bronze", settings.lake.bronze_events_table, settings.bronze_events_location),
        ("quarantine", settings.lake.quarantine_table, settings.quarantine_location),
        ("audit", settings.lake.data_loss_table, settings.data_loss_location),
    ]
    return [
        TableInfo(layer, Path(name).name, location, delta_row_count(connection, location))
        for layer, name, location in tables
    ]


def warehouse_tables(settings: Settings) -> list[TableInfo]:
    """The silver and gold tables dbt built in the DuckDB warehouse (none before a build)."""
    database = settings.path(settings.warehouse.duckdb_path)
    if settings.warehouse.target != "duckdb" or not database.exists():
        return []
    with duckdb.connect(str(database), read_only=True) as connection:
        found = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('silver', 'gold') and table_type = 'BASE TABLE' "
            "order by table_schema = 'gold', table_name"
        ).fetchall()
        tables = []
        for schema, name in found:
            row = connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            tables.append(
                TableInfo(schema, name, f"{database}:{schema}.{name}", int(row[0]) if row else 0)
            )
    return tables


def all_tables(settings: Settings) -> list[TableInfo]:
    """Every table, bronze first, then quarantine, audit, silver and gold."""
    with lake_connection(settings) as connection:
        tables = lake_tables(settings, connection)
    return tables + warehouse_tables(settings)


# The column that says when a row arrived, in the tables that have one (gold has none).
ARRIVAL_COLUMNS = ("ingested_at", "detected_at")


def _newest_arrival(
    connection: duckdb.DuckDBPyConnection, relation: str, parameters: list[str]
) -> datetime | None:
    described = connection.execute(f"select * from {relation} limit 0", parameters).description
    columns = {column[0] for column in described or []}
    arrival = next((name for name in ARRIVAL_COLUMNS if name in columns), None)
    if arrival is None:
        return None
    row = connection.execute(f"select max({arrival}) from {relation}", parameters).fetchone()
    newest = row[0] if row else None
    if not isinstance(newest, datetime):
        return None
    # Warehouse timestamps are naive UTC; the lake's come back zoned (the connection is UTC).
    return newest.replace(tzinfo=UTC) if newest.tzinfo is None else newest.astimezone(UTC)


def newest_arrivals(settings: Settings, tables: list[TableInfo]) -> dict[str, datetime]:
    """When the newest row of each table with rows and an arrival column arrived, by location."""
    found: dict[str, datetime] = {}
    with lake_connection(settings) as connection:
        for table in tables:
            if table.rows and table.layer not in WAREHOUSE_LAYERS:
                newest = _newest_arrival(connection, "delta_scan(?)", [duckdb_uri(table.location)])
                if newest is not None:
                    found[table.location] = newest
    in_warehouse = [t for t in tables if t.rows and t.layer in WAREHOUSE_LAYERS]
    if not in_warehouse:
        return found
    database = settings.path(settings.warehouse.duckdb_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        for table in in_warehouse:
            newest = _newest_arrival(connection, f'"{table.layer}"."{table.name}"', [])
            if newest is not None:
                found[table.location] = newest
    return found


def query_warehouse(settings: Settings, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run a read-only query on the DuckDB warehouse: column names and rows."""
    database = settings.path(settings.warehouse.duckdb_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        result = connection.execute(sql)
        columns = [column[0] for column in result.description or []]
        return columns, result.fetchall()
