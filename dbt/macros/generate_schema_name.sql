{#
    Use a model's custom schema as-is (staging, silver, gold) instead of dbt's default
    `<target schema>_<custom schema>`, so both targets share one layout.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
