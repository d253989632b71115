{#
    The arrival time from which an incremental run reads: the newest value of `column`
    (an ingested_at) the model already holds, less var lookback_minutes (see
    warehouse.lookback_minutes in conf/base.yaml). Rows that arrived since then are the
    ones the run must look at; older rows are already in the model.

    The newest value is looked up when the model runs and written into the SQL as a
    constant: a constant bound can be pushed into the scan of the table it filters, where a
    subquery bound would read every row first. `as_instant` gives the bound as a
    timestamp with time zone, to compare with bronze's own ingested_at (see
    stg_bronze__listening_events.bronze_ingested_at); otherwise it is a UTC wall-clock
    timestamp like the column it was read from.
#}
{% macro arrived_since(column, as_instant=false) -%}
    {%- set newest = none -%}
    {%- if execute -%}
        {%- set newest = newest_value(column, this) -%}
    {%- endif -%}
    {%- if newest is none -%}
        {%- set newest = '1900-01-01 00:00:00' -%}
    {%- endif -%}
    {%- if as_instant -%}
        {%- set newest_literal = utc_instant_literal(newest) -%}
    {%- else -%}
        {%- set newest_literal = "cast('" ~ newest ~ "' as timestamp)" -%}
    {%- endif -%}
    {{ dateadd('minute', -1 * (var('lookback_minutes', 5) | int), newest_literal) }}
{%- endmacro %}
