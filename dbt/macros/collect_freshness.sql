{#
    The project's answer to dbt's collect_freshness hook (dispatch looks in the root
    project first): the newest loaded_at_field of the source, and the moment its age is
    measured at. That moment is var freshness_at when given (UTC wall-clock text: the
    quality DAG passes the end of its data interval, so a run judges its own interval as
    its other checks do, and a re-run of an old interval gives that interval's answer);
    otherwise the warehouse's current time.
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
