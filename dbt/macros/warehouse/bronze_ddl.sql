{#
    Snowflake reads the bronze Delta table on S3 in one of two ways (var `bronze_read`, from
    warehouse.snowflake.bronze_read): an external table over its Parquet files, or an Iceberg
    table over the Delta log through the Delta catalog integration ("Delta Direct").
    `dbt run-operation create_bronze` and `refresh_bronze` run these; with
    `{"dry_run": true}` they only print the statements.
#}

{#
    Parquet column names and Snowflake types of bronze listening_events, minus the
    partition columns: Delta keeps those in the folder names, not in the files.
#}
{% macro bronze_file_columns() %}
    {{ return([
        ('event_id', 'varchar'),
        ('event_type', 'varchar'),
        ('event_at', 'timestamp_ltz'),
        ('user_id', 'varchar'),
        ('track_id', 'varchar'),
        ('artist_id', 'varchar'),
        ('session_id', 'varchar'),
        ('device', 'varchar'),
        ('country', 'varchar'),
        ('track_duration_ms', 'bigint'),
        ('ms_played', 'bigint'),
        ('schema_version', 'integer'),
        ('raw_value', 'varchar'),
        ('kafka_key', 'varchar'),
        ('kafka_topic', 'varchar'),
        ('kafka_partition', 'integer'),
        ('kafka_offset', 'bigint'),
        ('kafka_timestamp', 'timestamp_ltz'),
        ('ingested_at', 'timestamp_ltz'),
    ]) }}
{% endmacro %}

{#
    The reference Parquet files the simulator writes under <lake>/reference/ (columns as in
    lakehouse.simulator.REFERENCE_COLUMNS); each becomes an external table REFERENCE_<NAME>.
#}
{% macro reference_file_columns() %}
    {{ return({
        'users': [
            ('user_id', 'varchar'), ('user_name', 'varchar'), ('country', 'varchar'),
            ('subscription_tier', 'varchar'), ('signup_date', 'date'),
            ('birth_year', 'integer'), ('updated_at', 'timestamp_ntz'),
        ],
        'tracks': [
            ('track_id', 'varchar'), ('track_title', 'varchar'), ('artist_id', 'varchar'),
            ('album_title', 'varchar'), ('genre', 'varchar'), ('duration_ms', 'bigint'),
            ('release_year', 'integer'), ('is_explicit', 'boolean'),
        ],
        'artists': [
            ('artist_id', 'varchar'), ('artist_name', 'varchar'), ('genre', 'varchar'),
            ('country', 'varchar'),
        ],
    }) }}
{% endmacro %}

{% macro reference_table_name(name) -%}
    {{ var('snowflake_database') }}.{{ var('snowflake_bronze_schema') }}.reference_{{ name }}
{%- endmacro %}

{# The simulator replaces each file whole, so a refresh picks up the new version. #}
{% macro reference_external_table_ddl(name) -%}
    create or replace external table {{ reference_table_name(name) }} (
    {%- for column, data_type in reference_file_columns()[name] %}
        {{ column }} {{ data_type }} as (value:{{ column }}::{{ data_type }})
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
)
location = @{{ var('snowflake_stage') }}/{{ var('reference_dir') }}/
pattern = '.*/{{ name }}[.]parquet'
file_format = (type = parquet)
auto_refresh = {{ var('snowflake_auto_refresh') | string | lower }}
{%- endmacro %}

{# The value of a Hive-style `name=value/` folder in a staged file's path. #}
{% macro path_partition_value(name) -%}
    split_part(split_part(metadata$filename, '{{ name }}=', 2), '/', 1)
{%- endmacro %}

{% macro bronze_table_name(kind) -%}
    {%- set table = var('snowflake_external_table') if kind == 'external_table'
        else var('snowflake_iceberg_table') -%}
    {{ var('snowflake_database') }}.{{ var('snowflake_bronze_schema') }}.{{ table }}
{%- endmacro %}

{% macro bronze_external_table_ddl() -%}
    create or replace external table {{ bronze_table_name('external_table') }} (
    {%- for name, data_type in bronze_file_columns() %}
        {{ name }} {{ data_type }} as (value:{{ name }}::{{ data_type }}),
    {%- endfor %}
    event_date date as (to_date({{ path_partition_value('event_date') }}, 'YYYY-MM-DD')),
    event_hour integer as (cast({{ path_partition_value('event_hour') }} as integer))
)
partition by (event_date, event_hour)
location = @{{ var('snowflake_stage') }}/{{ var('bronze_events_table') }}/
pattern = '.*[.]parquet'
file_format = (type = parquet)
auto_refresh = {{ var('snowflake_auto_refresh') | string | lower }}
{%- endmacro %}

{% macro bronze_iceberg_table_ddl() -%}
    create or replace iceberg table {{ bronze_table_name('iceberg') }}
    external_volume = '{{ var("snowflake_external_volume") }}'
    catalog = '{{ var("snowflake_catalog_integration") }}'
    base_location = '{{ var("bronze_events_table") }}/'
    auto_refresh = {{ var('snowflake_auto_refresh') | string | lower }}
{%- endmacro %}

{% macro bronze_refresh_sql() -%}
    {%- set kind = 'external' if var('bronze_read') == 'external_table' else 'iceberg' -%}
    alter {{ kind }} table {{ bronze_table_name(var('bronze_read')) }} refresh
{%- endmacro %}

{% macro bronze_create_sql() -%}
    {%- if var('bronze_read') == 'external_table' -%}
        {{ bronze_external_table_ddl() }}
    {%- else -%}
        {{ bronze_iceberg_table_ddl() }}
    {%- endif -%}
{%- endmacro %}

{# Runs a statement, or only prints it when dry_run is set; only Snowflake has the objects. #}
{% macro run_warehouse_statement(sql, dry_run) %}
    {% if target.type != 'snowflake' %}
        {{ exceptions.raise_compiler_error(
            "bronze tables are a Snowflake thing; target " ~ target.name ~ " is " ~ target.type) }}
    {% endif %}
    {{ log("-- statement --\n" ~ sql ~ ";\n-- end --", info=True) }}
    {% if not dry_run %}
        {% do run_query(sql) %}
    {% endif %}
{% endmacro %}

{% macro create_bronze(dry_run=false) %}
    {# No refresh needed here: an external table lists its files when created
       (REFRESH_ON_CREATE), an Iceberg table reads the Delta log's latest version. #}
    {% do run_warehouse_statement(bronze_create_sql(), dry_run) %}
    {% for name in reference_file_columns() %}
        {% do run_warehouse_statement(reference_external_table_ddl(name), dry_run) %}
    {% endfor %}
{% endmacro %}

{% macro refresh_bronze(dry_run=false) %}
    {% do run_warehouse_statement(bronze_refresh_sql(), dry_run) %}
    {% for name in reference_file_columns() %}
        {% do run_warehouse_statement(
            'alter external table ' ~ reference_table_name(name) ~ ' refresh', dry_run) %}
    {% endfor %}
{% endmacro %}
