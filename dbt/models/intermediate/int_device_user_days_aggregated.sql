-- One row per device, user and day with activity: the grain at which device_usage's
-- distinct listeners can be added up. Incremental: a run recomputes, from every silver
-- event of the key, the keys that received events since the newest arrival this table has
-- counted.
{{
    config(
        materialized='incremental',
        unique_key=['device', 'user_id', 'activity_date'],
        incremental_strategy=upsert_incremental_strategy(),
        on_schema_change='fail',
        meta={'arrival_column': 'last_ingested_at'}
    )
}}

with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

),

dated_events as (

    select
        coalesce(device, 'unknown') as device,
        user_id,
        cast(event_at as date) as activity_date,
        event_type,
        ms_played,
        ingested_at

    from events

),

events_to_count as (

    {{
        events_of_changed_keys(
            'dated_events',
            {
                'device': "coalesce(device, 'unknown')",
                'user_id': 'user_id',
                'activity_date': 'cast(event_at as date)',
            },
            ref('int_listening_events_deduplicated'),
        )
    }}

),

final as (

    select
        device,
        user_id,
        activity_date,
        count(*) as events,
        cast(count_if(event_type = 'play') as bigint) as plays,
        cast(coalesce(sum(ms_played), 0) as bigint) as total_ms_played,
        max(ingested_at) as last_ingested_at

    from events_to_count
    group by device, user_id, activity_date

)

select * from final
