-- The fact table has exactly one row per silver event: no event lost or doubled by the
-- joins to the dimensions (the type-2 user join is the one that could double).
with

silver as (

    select count(*) as silver_rows from {{ ref('int_listening_events_deduplicated') }}

),

fact as (

    select count(*) as fact_rows from {{ ref('fct_listens') }}

),

final as (

    select
        silver.silver_rows,
        fact.fact_rows

    from silver
    cross join fact
    where silver.silver_rows != fact.fact_rows

)

select * from final
