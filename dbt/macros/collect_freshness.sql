{#
    dbt's own default__collect_freshness (dbt-adapters' global project), with one change:
    when var freshness_at is given (a UTC wall-clock time as text), the age of the newest
    row is measured at that moment instead of at the warehouse's clock. The quality DAG
    passes the end of its data interval, so a run judges its own interval, as its other
    checks do, and a re-run of an old interval gives that interval's answer. Without the
    var it is dbt's query as dbt ships it. The project's version wins over dbt's because
    dispatch looks in the root project first.
#}
{% macro default__collect_freshness(source, loaded_at_field, filter) %}
    {%- set at = var('freshness_at', none) -%}
    {%- set snapshotted_at = utc_instant_literal(at) if at else current_timestamp() -%}
    {% call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
        select
            max({{ loaded_at_field }}) as max_loaded_at,
            {{ snapshotted_at }} as snapshotted_at
        from {{ source }}
        {% if filter -%}
            where {{ filter }}
        {%- endif %}
    {%- endcall %}
    {{ return(load_result('collect_freshness')) }}
{% endmacro %}
