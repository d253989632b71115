{#
    A timestamp column as a timezone-less timestamp holding UTC wall-clock time, so that
    later casts to date give the UTC day whatever the session time zone is.
#}
{% macro to_utc_timestamp(column_name) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'lakehouse')(column_name)) }}
{%- endmacro %}

{#
    delta_scan returns Spark timestamps as TIMESTAMP WITH TIME ZONE; a plain cast to
    TIMESTAMP would shift them into the session's (usually the machine's) time zone.
#}
{% macro duckdb__to_utc_timestamp(column_name) -%}
    timezone('UTC', {{ column_name }})
{%- endmacro %}

{#
    Bronze timestamps are instants (TIMESTAMP_LTZ or _TZ in Snowflake): convert them to
    UTC, then drop the zone. A TIMESTAMP_NTZ input is read in the session time zone.
#}
{% macro snowflake__to_utc_timestamp(column_name) -%}
    cast(convert_timezone('UTC', {{ column_name }}) as timestamp_ntz)
{%- endmacro %}
