-- A listen cannot last longer than the track.
-- On a scheduled build, the events that arrived recently (macros/arrived_recently.sql).
with

events as (

    select * from {{ arrived_recently(ref('int_listening_events_deduplicated')) }}

),

final as (

    select
        event_id,
        ms_played,
        track_duration_ms
    from events
    where ms_played > track_duration_ms

)

select * from final
