with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

),

final as (

    select
        event_id,
        ms_played
    from events
    where ms_played < 0

)

select * from final
