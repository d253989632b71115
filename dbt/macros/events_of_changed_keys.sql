{#
    The rows of `events` (a CTE with an ingested_at column) that a model aggregated per the
    columns named in `keys` must count in this run. A full build counts them all. An
    incremental run counts every row, old or new, of each key that received a row since the
    model's newest last_ingested_at (arrived_since), so a recomputed key equals what a full
    build gives, and keys without new rows are not read again.

    `keys` maps each key column of `events` to the expression that computes it from a row of
    `silver` (the relation `events` is made from). The changed keys are found by scanning
    silver itself with the arrival bound, not `events`: referenced twice, the CTE would be
    materialised whole (DuckDB), and the bound could no longer skip silver's older blocks.
#}
{% macro events_of_changed_keys(events, keys, silver) %}
{% if is_incremental() %}
{%- set key_columns = [] -%}
{%- for key, expression in keys.items() -%}
{%- do key_columns.append(expression ~ ' as ' ~ key) -%}
{%- endfor %}
select {{ events }}.*
from {{ events }}
inner join (
    select distinct {{ key_columns | join(', ') }}
    from {{ silver }}
    where ingested_at >= {{ arrived_since('last_ingested_at') }}
) as changed_keys
    on {% for key in keys -%}
        {{ ' and ' if not loop.first }}{{ events }}.{{ key }} = changed_keys.{{ key }}
    {%- endfor %}
{% else %}
select * from {{ events }}
{% endif %}
{% endmacro %}
