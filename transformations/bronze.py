"""Bronze parsing: Kafka records -> validated listening events or quarantine rows.

Every function is DataFrame -> DataFrame and runs the same on a batch DataFrame and on a
stream, as long as the input has the Kafka source's columns
(key, value, topic, partition, offset, timestamp).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

EVENT_TYPES = ("play", "skip", "like")

EVENT_SCHEMA = T.StructType(
    [
        T.StructField("event_id", T.StringType()),
        T.StructField("event_type", T.StringType()),
        T.StructField("event_at", T.StringType()),
        T.StructField("user_id", T.StringType()),
        T.StructField("track_id", T.StringType()),
        T.StructField("artist_id", T.StringType()),
        T.StructField("session_id", T.StringType()),
        T.StructField("device", T.StringType()),
        T.StructField("country", T.StringType()),
        T.StructField("track_duration_ms", T.LongType()),
        T.StructField("ms_played", T.LongType()),
        T.StructField("schema_version", T.IntegerType()),
        # Filled by from_json when the payload does not fit the schema.
        T.StructField("_corrupt_record", T.StringType()),
    ]
)

REQUIRED_FIELDS = ("event_id", "event_type", "event_at", "user_id", "track_id")

# A JSON object: the whitespace JSON allows before a value (RFC 8259: space, tab, CR, LF),
# then "{". A pattern, because Spark 4 deprecates the two-argument LTRIM.
STARTS_AS_OBJECT = r"^[ \t\r\n]*\{"

# Records are read with EVENT_SCHEMA. from_json reads any JSON value into a string field as
# its text ({"user_id": {"id": 1}} gives '{"id":1}'), so a record whose text fields look like
# such a copy is read again with RECORD_SCHEMA, where text fields are variants, which keep
# their JSON type. A record that is not JSON, or whose number fields hold something else,
# lands in _corrupt_record.
TEXT_FIELDS = tuple(
    field.name
    for field in EVENT_SCHEMA
    if isinstance(field.dataType, T.StringType) and field.name != "_corrupt_record"
)
RECORD_SCHEMA = T.StructType(
    [
        T.StructField(field.name, T.VariantType()) if field.name in TEXT_FIELDS else field
        for field in EVENT_SCHEMA
    ]
)

# The bronze table's contract: what the job writes and what dbt's sources read.
BRONZE_SCHEMA = T.StructType(
    [
        T.StructField("event_id", T.StringType()),
        T.StructField("event_type", T.StringType()),
        T.StructField("event_at", T.TimestampType()),
        T.StructField("user_id", T.StringType()),
        T.StructField("track_id", T.StringType()),
        T.StructField("artist_id", T.StringType()),
        T.StructField("session_id", T.StringType()),
        T.StructField("device", T.StringType()),
        T.StructField("country", T.StringType()),
        T.StructField("track_duration_ms", T.LongType()),
        T.StructField("ms_played", T.LongType()),
        T.StructField("schema_version", T.IntegerType()),
        T.StructField("raw_value", T.StringType()),
        T.StructField("kafka_key", T.StringType()),
        T.StructField("kafka_topic", T.StringType()),
        T.StructField("kafka_partition", T.IntegerType()),
        T.StructField("kafka_offset", T.LongType()),
        T.StructField("kafka_timestamp", T.TimestampType()),
        T.StructField("ingested_at", T.TimestampType()),
        T.StructField("event_date", T.DateType()),
        T.StructField("event_hour", T.IntegerType()),
    ]
)
BRONZE_COLUMNS = tuple(BRONZE_SCHEMA.fieldNames())
BRONZE_PARTITION_COLUMNS = ("event_date", "event_hour")

QUARANTINE_COLUMNS = (
    "reason",
    "raw_value",
    "kafka_key",
    "kafka_topic",
    "kafka_partition",
    "kafka_offset",
    "kafka_timestamp",
    "ingested_at",
    "ingest_date",
)
QUARANTINE_PARTITION_COLUMNS = ("ingest_date",)


@dataclass(frozen=True)
class ValidationRules:
    """Limits a record must respect to enter bronze."""

    max_payload_bytes: int = 65536
    max_event_age_days: int = 365
    max_event_future_minutes: int = 60


def with_kafka_coordinates(records: DataFrame) -> DataFrame:
    """Rename the Kafka source columns to bronze names and stamp the ingestion time."""
    return records.select(
        F.col("value").alias("raw_bytes"),
        F.col("key").cast("string").alias("kafka_key"),
        F.col("topic").alias("kafka_topic"),
        F.col("partition").alias("kafka_partition"),
        F.col("offset").alias("kafka_offset"),
        F.col("timestamp").alias("kafka_timestamp"),
        F.current_timestamp().alias("ingested_at"),
    )


def _first_reason(*checks: tuple[Column, Column]) -> Column:
    """The reason of the first failing check, in order, or null when all pass."""
    reason = F.lit(None).cast("string")
    for failed, message in reversed(checks):
        reason = F.when(failed, message).otherwise(reason)
    return reason


def _missing_fields(event: Column) -> Column:
    names = [F.when(event[name].isNull(), F.lit(name)) for name in REQUIRED_FIELDS]
    return F.concat_ws(",", *names)


# The text Spark gives a string field that holds a JSON number, object, array or literal
# (including the non-numbers its default allowNonNumericNumbers reads). A valid event's
# values never look like this; an identifier such as 0b7f5d36-... does not either.
NON_TEXT_STARTS = ("{", "[")
NON_TEXT_LITERALS = (
    "true",
    "false",
    *(sign + name for sign in ("", "-", "+") for name in ("NaN", "INF", "Infinity")),
)
NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
NUMBER_STARTS = tuple("-0123456789")


def _may_hold_non_text(value: Column) -> Column:
    """True when a text field read as a string may have held a non-string JSON value.

    The object and array starts and the literals are compared directly; only a value that
    starts like a number meets the pattern. One pattern for every form ran on each value
    starting with a digit or "t", every event time and track id (docs/PERFORMANCE.md, the
    pre-filter lever).
    """
    first = F.substring(value, 1, 1)
    is_number = first.isin(*NUMBER_STARTS) & value.rlike(NUMBER)
    return first.isin(*NON_TEXT_STARTS) | value.isin(*NON_TEXT_LITERALS) | is_number


def _has_non_text_value(raw_text: Column) -> Column:
    """True when a text field holds a number, boolean, object or array instead of text.

    Exact, and only run on the records whose text fields look like they might (see
    `_may_hold_non_text`): the variants keep each value's JSON type.
    """
    fields = F.from_json(raw_text, RECORD_SCHEMA, {"mode": "PERMISSIVE"})
    # The variant reader refuses what the string reader accepts, e.g. an object value with a
    # duplicate key: such a value is not text either.
    not_text = fields["_corrupt_record"].isNotNull()
    for name in TEXT_FIELDS:
        # VOID is a JSON null; a field that is absent has no type at all.
        json_type = F.coalesce(F.schema_of_variant(fields[name]), F.lit("VOID"))
        not_text = not_text | ~json_type.isin("STRING", "VOID")
    return not_text


def _wrong_text_type(event: Column, raw_text: Column) -> Column:
    """True when a text field of the parsed event held a non-string JSON value.

    Reading text fields as strings is cheap but reads 5 as "5"; the costly exact check runs
    only where a value could be such a copy, which a valid event's values never are.
    """
    suspicious = F.lit(False)
    for name in TEXT_FIELDS:
        suspicious = suspicious | F.coalesce(_may_hold_non_text(event[name]), F.lit(False))
    return F.when(suspicious, _has_non_text_value(raw_text)).otherwise(F.lit(False))


def _is_invalid_utf8(text: Column, raw_bytes: Column) -> Column:
    """True when the value's bytes are not UTF-8.

    Casting the bytes to a string keeps them as they are, and is_valid_utf8 checks them
    where they lie; encoding the text back and comparing it with the bytes (invalid ones
    come back as U+FFFD) gives the same answer with a copy and a comparison more per record
    (`make bench` measures both as the "UTF-8 check" lever; README, "Performance").
    """
    return ~F.is_valid_utf8(text)


def _with_columns(frame: DataFrame, *columns: Column) -> DataFrame:
    """The frame with the columns added: one step of the parse (bench/ingest_profile.py
    swaps it for the generator step earlier releases used, to measure the difference)."""
    return frame.select("*", *columns)


def _fenced(parsed: DataFrame) -> DataFrame:
    """The parsed records behind a fence the optimizer does not push filters through.

    Filtering on `quarantine_reason` (valid_events, quarantined_records) would otherwise be
    pushed below the projections: Catalyst substitutes each column's expression into the
    condition, so from_json would run in each of the reason's dozen CASE WHEN branches,
    about thirty times per record (74 s instead of 7.5 s for 434,773 records). A generator
    is such a fence: inline(array(struct(reason))) yields the same single row, and the
    filter stops above it. Only the reason goes through the generator, which Spark
    evaluates without generated code; the parse and the checks stay in generated
    projections below it (docs/PERFORMANCE.md, "Levers": the parse in generated code).
    """
    others = [name for name in parsed.columns if name != "quarantine_reason"]
    return parsed.withColumnRenamed("quarantine_reason", "_reason").select(
        *others,
        F.inline(F.array(F.struct(F.col("_reason").alias("quarantine_reason")))),
    )


def parse_listening_events(records: DataFrame, rules: ValidationRules) -> DataFrame:
    """Decode and validate each record; `quarantine_reason` is null for valid events."""
    text = F.col("raw_value")
    payload_bytes = F.octet_length(F.col("raw_bytes"))
    event = F.col("event")
    event_at = F.col("parsed_event_at")
    now = F.col("ingested_at")

    is_empty = F.col("raw_bytes").isNull() | (payload_bytes == 0)
    is_too_large = payload_bytes > F.lit(rules.max_payload_bytes)
    is_invalid_utf8 = _is_invalid_utf8(text, F.col("raw_bytes"))
    # Almost every record starts with "{" at once: the pattern only runs on the rest.
    is_not_object = ~(text.startswith("{") | text.rlike(STARTS_AS_OBJECT))
    # Only the records from_json could not read whole are read again, to tell broken JSON
    # from JSON with a number field of the wrong type.
    is_unreadable = event["_corrupt_record"].isNotNull()
    is_invalid_json = is_unreadable & F.get_json_object(text, "$").isNull()
    has_wrong_type = is_unreadable | F.col("has_non_text_value")
    missing = _missing_fields(event)
    is_unknown_type = ~event["event_type"].isin(*EVENT_TYPES)
    has_bad_time = event_at.isNull()
    too_old = event_at < now - F.make_dt_interval(F.lit(rules.max_event_age_days))
    too_new = event_at > now + F.make_dt_interval(
        F.lit(0), F.lit(0), F.lit(rules.max_event_future_minutes)
    )
    bad_ms_played = (event["ms_played"] < 0) | (event["ms_played"] > event["track_duration_ms"])

    reason = _first_reason(
        (is_empty, F.lit("empty_value: the Kafka record has no value")),
        (
            is_too_large,
            F.format_string(
                "payload_too_large: %d bytes > %d", payload_bytes, F.lit(rules.max_payload_bytes)
            ),
        ),
        (is_invalid_utf8, F.lit("invalid_utf8: the value is not UTF-8 text")),
        (is_not_object, F.lit("not_json_object: the value is not a JSON object")),
        (is_invalid_json, F.lit("invalid_json: the value is not valid JSON")),
        (has_wrong_type, F.lit("wrong_type: a field does not have the expected type")),
        (missing != "", F.concat(F.lit("missing_field: "), missing)),
        (is_unknown_type, F.concat(F.lit("unknown_event_type: "), event["event_type"])),
        (has_bad_time, F.concat(F.lit("invalid_event_time: "), event["event_at"])),
        (too_old, F.concat(F.lit("event_time_too_old: "), event["event_at"])),
        (too_new, F.concat(F.lit("event_time_in_future: "), event["event_at"])),
        (bad_ms_played, F.lit("invalid_ms_played: outside 0..track_duration_ms")),
    )
    raw_text = F.col("raw_bytes").cast("string")
    # Each select's columns are used several times by the next one, so Catalyst keeps the
    # selects apart (it does not copy an expensive expression into each use): from_json and
    # the checks run once per record.
    decoded = _with_columns(
        records,
        raw_text.alias("raw_value"),
        F.from_json(raw_text, EVENT_SCHEMA, {"mode": "PERMISSIVE"}).alias("event"),
    )
    checked = _with_columns(
        decoded,
        F.try_to_timestamp(event["event_at"]).alias("parsed_event_at"),
        _wrong_text_type(event, text).alias("has_non_text_value"),
    )
    return checked.withColumn("quarantine_reason", reason).transform(_fenced)


def table_columns(parsed: DataFrame) -> DataFrame:
    """Each parsed record once, as flat columns both tables are cut from.

    The bronze contract's columns, `quarantine_reason`, and the raw bytes. Bronze keeps the
    value as text, quarantine as the bytes that came (they may not be UTF-8): a valid event
    keeps only the text, a rejected record only the bytes.
    """
    event = F.col("event")
    event_at = F.col("parsed_event_at")
    rejected = F.col("quarantine_reason").isNotNull()
    return parsed.select(
        event["event_id"].alias("event_id"),
        event["event_type"].alias("event_type"),
        event_at.alias("event_at"),
        event["user_id"].alias("user_id"),
        event["track_id"].alias("track_id"),
        event["artist_id"].alias("artist_id"),
        event["session_id"].alias("session_id"),
        event["device"].alias("device"),
        event["country"].alias("country"),
        event["track_duration_ms"].alias("track_duration_ms"),
        event["ms_played"].alias("ms_played"),
        event["schema_version"].alias("schema_version"),
        F.when(~rejected, F.col("raw_value")).alias("raw_value"),
        "kafka_key",
        "kafka_topic",
        "kafka_partition",
        "kafka_offset",
        "kafka_timestamp",
        "ingested_at",
        F.to_date(event_at).alias("event_date"),
        F.hour(event_at).alias("event_hour"),
        "quarantine_reason",
        F.when(rejected, F.col("raw_bytes")).alias("raw_bytes"),
    )


def bronze_rows(columns: DataFrame) -> DataFrame:
    """From `table_columns`: the valid events, shaped as the bronze table."""
    return columns.where(F.col("quarantine_reason").isNull()).select(*BRONZE_COLUMNS)


def quarantine_rows(columns: DataFrame) -> DataFrame:
    """From `table_columns`: the rejected records, with the raw bytes as they came."""
    return columns.where(F.col("quarantine_reason").isNotNull()).select(
        F.col("quarantine_reason").alias("reason"),
        F.col("raw_bytes").alias("raw_value"),
        "kafka_key",
        "kafka_topic",
        "kafka_partition",
        "kafka_offset",
        "kafka_timestamp",
        "ingested_at",
        F.to_date("ingested_at").alias("ingest_date"),
    )


def ingest_columns(records: DataFrame, rules: ValidationRules) -> DataFrame:
    """Kafka records as the bronze job's batches take them: stamped, parsed, validated and
    cut into both tables' columns (`table_columns`), in the stream, once for the query."""
    return (
        records.transform(with_kafka_coordinates)
        .transform(parse_listening_events, rules)
        .transform(table_columns)
    )


def valid_events(parsed: DataFrame) -> DataFrame:
    """Rows that passed validation, shaped as the bronze table (partition columns last)."""
    return bronze_rows(table_columns(parsed))


def quarantined_records(parsed: DataFrame) -> DataFrame:
    """Rows that failed validation, with the raw bytes as they came and the reason."""
    return quarantine_rows(table_columns(parsed))
