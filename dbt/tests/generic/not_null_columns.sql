{#
    Fails with one row per listed column that holds nulls: the column's name and how many of
    the tested rows are null there. One test per model rather than one not_null per column:
    the columns are read in one scan, and a scheduled build pays dbt's own cost per test
    (compiling, the arrival bound, a query) once per model instead of once per column.
#}
{% test not_null_columns(model, column_names) %}

with

null_counts as (

    select
        {% for column_name in column_names -%}
            count(*) - count({{ column_name }}) as {{ column_name }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ model }}

),

final as (

    {% for column_name in column_names -%}
        select
            '{{ column_name }}' as column_name,
            {{ column_name }} as null_rows
        from null_counts
        where {{ column_name }} > 0
        {{ 'union all' if not loop.last }}
    {% endfor %}

)

select * from final

{% endtest %}
