{#
    The rows of `events` (a CTE with an ingested_at column) that a model aggregated per
    `keys` must count in this run. A full build counts them all. An incremental run counts
    every row, old or new, of each key that received a row since the model's newest
    last_ingested_at (arrived_since), so a recomputed key equals what a full build gives,
    and keys without new rows are not read again.
#}
{% macro events_of_changed_keys(events, keys) %}
{% if is_incremental() %}
select {{ events }}.*
from {{ events }}
inner join (
    select distinct {{ keys | join(', ') }}
    from {{ events }}
    where ingested_at >= {{ arrived_since('last_ingested_at') }}
) as changed_keys
    on {% for key in keys -%}
        {{ ' and ' if not loop.first }}{{ events }}.{{ key }} = changed_keys.{{ key }}
    {%- endfor %}
{% else %}
select * from {{ events }}
{% endif %}
{% endmacro %}
