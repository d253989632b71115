-- One row per track per day with activity: the additive numbers of top_tracks and
-- top_artists. Incremental: a run recomputes, from every silver event of the pair, the
-- (track, day) pairs that received events since the newest arrival this table has counted.
{{
    config(
        materialized='incremental',
        unique_key=['track_id', 'activity_date'],
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
        track_id,
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
            {'track_id': 'track_id', 'activity_date': 'cast(event_at as date)'},
            ref('int_listening_events_deduplicated'),
        )
    }}

),

final as (

    select
        track_id,
        activity_date,
        cast(count_if(event_type = 'play') as bigint) as play_count,
        cast(count_if(event_type = 'skip') as bigint) as skip_count,
        cast(count_if(event_type = 'like') as bigint) as like_count,
        cast(coalesce(sum(ms_played), 0) as bigint) as total_ms_played,
        max(ingested_at) as last_ingested_at

    from events_to_count
    group by track_id, activity_date

)

select * from final
