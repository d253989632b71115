-- Every day from the first to the last day with listening events, gaps included, so that
-- a day without events still shows up in reports joined to it.
with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

),

event_days as (

    select
        min(cast(event_at as date)) as first_day,
        max(cast(event_at as date)) as last_day

    from events

),

days as (

    {{ day_spine('event_days') }}

),

final as (

    select
        cast(date_day as date) as date_day,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast({{ iso_day_of_week('date_day') }} as integer) as iso_day_of_week,
        {{ iso_day_of_week('date_day') }} in (6, 7) as is_weekend

    from days

)

select * from final
