-- One row per user per day with activity (daily_user_stats' numbers). Incremental: a run
-- recomputes, from every silver event of the pair, the (user, day) pairs that received
-- events since the newest arrival this table has counted; other pairs are left as they are.
{{
    config(
        materialized='incremental',
        unique_key=['user_id', 'activity_date'],
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
        user_id,
        cast(event_at as date) as activity_date,
        event_type,
        track_id,
        session_id,
        ms_played,
        ingested_at

    from events

),

events_to_count as (

    {{
        events_of_changed_keys(
            'dated_events',
            {'user_id': 'user_id', 'activity_date': 'cast(event_at as date)'},
            ref('int_listening_events_deduplicated'),
        )
    }}

),

final as (

    select
        user_id,
        activity_date,
        cast(count_if(event_type = 'play') as bigint) as plays,
        cast(count_if(event_type = 'skip') as bigint) as skips,
        cast(count_if(event_type = 'like') as bigint) as likes,
        cast(coalesce(sum(ms_played), 0) as bigint) as total_ms_played,
        count(distinct track_id) as distinct_tracks,
        count(distinct session_id) as sessions,
        max(ingested_at) as last_ingested_at

    from events_to_count
    group by user_id, activity_date

)

select * from final
