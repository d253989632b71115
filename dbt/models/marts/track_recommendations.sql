-- For each track, the tracks most often played by the same listeners ("listeners of this
-- also played"), best first.
-- Built daily (tag daily: the lakehouse_recommendations DAG), not on every transformation
-- run: one new listener of a track changes its counts with every other track that listener
-- played, so an incremental run would recompute nearly every track anyway.
{{ config(tags=['daily']) }}

with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

),

listener_tracks as (

    select distinct
        user_id,
        track_id

    from events
    where event_type = 'play'

),

co_listened as (

    select
        seed.track_id,
        other.track_id as recommended_track_id,
        count(*) as common_listeners

    from listener_tracks as seed
    inner join listener_tracks as other
        on
            seed.user_id = other.user_id
            and seed.track_id != other.track_id
    group by seed.track_id, other.track_id

),

ranked as (

    select
        track_id,
        recommended_track_id,
        common_listeners,
        row_number() over (
            partition by track_id
            order by common_listeners desc, recommended_track_id asc
        ) as rank

    from co_listened
    where common_listeners >= {{ var('recommendation_min_listeners', 2) | int }}

),

final as (

    select * from ranked
    where rank <= {{ var('recommendations_per_track', 10) | int }}

)

select * from final
