{#
    What the data tests of a scheduled (incremental) build read: the rows that arrived
    recently, not whole tables, so a test costs what the run added rather than the history.

    A generic test configured with `where: arrived_recently` (every data test of the
    project, see dbt_project.yml) reads only the rows of its model whose arrival column is
    within var data_tests_arrivals_minutes (warehouse.data_tests_arrivals_minutes in
    conf/base.yaml, 60) of the newest one. A model names that column in its config,
    `meta={'arrival_column': ...}`: ingested_at for silver and fct_listens, last_ingested_at
    for the per-key aggregates (the keys a run recomputed). A run every 15 minutes therefore
    tests each arrival about four times. Models that name none (dimensions, reference data,
    the small marts) are tested whole, and so is everything when the build is a
    --full-refresh or the var is 0. What this does not cover: a row that arrived
    earlier than the window in a catch-up run after a long pause, and comparisons across
    the window (a unique test sees duplicates among recent rows only); a full build, or
    `dbt test --vars '{data_tests_arrivals_minutes: 0}'`, tests everything.
#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == 'arrived_recently' -%}
        {%- set where = arrived_recently_filter(relation) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{# The rows of `relation` a singular data test reads (see above), as a relation or subquery. #}
{% macro arrived_recently(relation) -%}
    {%- set where = arrived_recently_filter(relation) -%}
    {%- if where -%}
        (select * from {{ relation }} where {{ where }})
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{# The filter on `relation`'s arrival column, or '' to read it whole. The newest arrival is
   looked up first and written as a constant, so the scan can skip older blocks. #}
{% macro arrived_recently_filter(relation) -%}
    {%- set minutes = var('data_tests_arrivals_minutes', 60) | int -%}
    {%- if not execute or flags.FULL_REFRESH or minutes == 0 -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set column = declared_arrival_column(relation) -%}
    {%- if not column -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set newest = newest_value(column, relation) -%}
    {%- if newest is none -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set bound = dateadd('minute', -1 * minutes, "cast('" ~ newest ~ "' as timestamp)") -%}
    {%- do return(column ~ ' >= ' ~ bound) -%}
{%- endmacro %}

{# The arrival column the model or snapshot built as `relation` names in its config
   (meta arrival_column), or none. Read from dbt's graph rather than from the warehouse's
   catalogue: one query fewer per data test (a round trip each on Snowflake). #}
{% macro declared_arrival_column(relation) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type in ('model', 'snapshot')
            and node.alias | lower == relation.identifier | lower
            and node.schema | lower == relation.schema | lower -%}
            {%- do return(node.config.meta.get('arrival_column')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}
