with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

),

dated_events as (

    select
        coalesce(device, 'unknown') as device,
        cast(event_at as date) as activity_date,
        event_type,
        user_id,
        ms_played

    from events

),

device_activity as (

    select
        device,
        activity_date,
        count(*) as events,
        cast(count_if(event_type = 'play') as bigint) as plays,
        count(distinct case when event_type = 'play' then user_id end) as unique_listeners,
        cast(coalesce(sum(ms_played), 0) as bigint) as total_ms_played

    from dated_events
    group by device, activity_date

),

final as (

    select
        device,
        activity_date,
        events,
        plays,
        unique_listeners,
        total_ms_played,
        cast(plays as double)
        / nullif(sum(plays) over (partition by activity_date), 0) as share_of_day_plays

    from device_activity

)

select * from final
