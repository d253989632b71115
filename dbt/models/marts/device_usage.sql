-- Added up from int_device_user_days_aggregated (one row per device, user and day), which
-- an incremental run updates for the keys that received events only: a user with a play
-- on the device that day is one of its unique listeners.
with

device_user_days as (

    select * from {{ ref('int_device_user_days_aggregated') }}

),

device_activity as (

    select
        device,
        activity_date,
        cast(sum(events) as bigint) as events,
        cast(sum(plays) as bigint) as plays,
        cast(count_if(plays > 0) as bigint) as unique_listeners,
        cast(sum(total_ms_played) as bigint) as total_ms_played

    from device_user_days
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
