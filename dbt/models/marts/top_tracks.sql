with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

),

tracks as (

    select * from {{ ref('stg_reference__tracks') }}

),

artists as (

    select * from {{ ref('stg_reference__artists') }}

),

track_activity as (

    select
        track_id,
        cast(count_if(event_type = 'play') as bigint) as play_count,
        count(distinct case when event_type = 'play' then user_id end) as unique_listeners,
        cast(coalesce(sum(ms_played), 0) as bigint) as total_ms_played,
        cast(count_if(event_type = 'skip') as bigint) as skip_count,
        cast(count_if(event_type = 'like') as bigint) as like_count

    from events
    group by track_id

),

-- The catalogue, not the event, says which artist a track belongs to. Tracks missing
-- from it keep their numbers (the silver relationships test reports them).
final as (

    select
        track_activity.track_id,
        tracks.track_title,
        tracks.artist_id,
        artists.artist_name,
        track_activity.play_count,
        track_activity.unique_listeners,
        track_activity.total_ms_played,
        track_activity.skip_count,
        track_activity.like_count,
        row_number() over (
            order by
                track_activity.play_count desc,
                track_activity.unique_listeners desc,
                track_activity.total_ms_played desc,
                track_activity.track_id asc
        ) as rank

    from track_activity
    left join tracks on track_activity.track_id = tracks.track_id
    left join artists on tracks.artist_id = artists.artist_id

)

select * from final
