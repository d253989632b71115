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
        ms_played

    from events

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
        count(distinct session_id) as sessions

    from dated_events
    group by user_id, activity_date

)

select * from final
