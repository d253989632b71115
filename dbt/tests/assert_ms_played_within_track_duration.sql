-- A listen cannot last longer than the track.
with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

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
