-- For each track, the tracks most often played by the same listeners ("listeners of this
-- also played"), best first.
-- Built daily (tag daily: the lakehouse_recommendations DAG), not on every transformation
-- run: one new listener of a track changes its counts with every other track that listener
-- played, so an incremental run would recompute nearly every track anyway.
--
-- Cost: a listener with d tracks adds d * (d - 1) pairs, so counting every pair of every
-- listener grows with the square of their history (at conf/base.yaml's catalogue over the
-- benchmark's 10,000,000 events: billions of pairs, 40 GB of spill, no result). Each listener
-- therefore contributes only their var recommendation_tracks_per_listener most-played tracks
-- (ties: the most recently played, then track_id): a listener's pairs are capped whatever
-- their history, and the work grows with the number of listeners. 100 by measurement: at
-- 2,000,000 events and the configured catalogue, 100 took 11 s and gave nearly every track
-- its 10 recommendations; 200 took 51 s; 50 left a sixth of the tracks without any.
-- Two exact savings come on top: a track with fewer contributing listeners than var
-- recommendation_min_listeners can be in no pair that meets the minimum, so it leaves before
-- the self-join; and each unordered pair is counted once, then used in both directions.
{{ config(tags=['daily']) }}

{%- set min_listeners = var('recommendation_min_listeners', 2) | int %}

with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

),

listener_tracks as (

    select
        user_id,
        track_id,
        count(*) as plays,
        max(event_at) as last_played_at

    from events
    where
        event_type = 'play'
        and user_id is not null
        and track_id is not null
    group by user_id, track_id

),

listener_top_tracks as (

    select
        user_id,
        track_id

    from listener_tracks
    qualify
        row_number() over (
            partition by user_id
            order by plays desc, last_played_at desc nulls last, track_id asc
        ) <= {{ var('recommendation_tracks_per_listener', 100) | int }}

),

shared_tracks as (

    select track_id
    from listener_top_tracks
    group by track_id
    having count(*) >= {{ min_listeners }}

),

contributions as (

    select
        listener_top_tracks.user_id,
        listener_top_tracks.track_id

    from listener_top_tracks
    inner join shared_tracks
        on listener_top_tracks.track_id = shared_tracks.track_id

),

track_pairs as (

    select
        lower_track.track_id as lower_track_id,
        higher_track.track_id as higher_track_id,
        count(*) as common_listeners

    from contributions as lower_track
    inner join contributions as higher_track
        on
            lower_track.user_id = higher_track.user_id
            and lower_track.track_id < higher_track.track_id
    group by lower_track.track_id, higher_track.track_id
    having count(*) >= {{ min_listeners }}

),

co_listened as (

    select
        lower_track_id as track_id,
        higher_track_id as recommended_track_id,
        common_listeners
    from track_pairs

    union all

    select
        higher_track_id as track_id,
        lower_track_id as recommended_track_id,
        common_listeners
    from track_pairs

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

),

final as (

    select * from ranked
    where rank <= {{ var('recommendations_per_track', 10) | int }}

)

select * from final
