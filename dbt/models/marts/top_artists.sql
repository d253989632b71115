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

-- Attributed through the catalogue, like top_tracks, so the two marts agree. Events of
-- tracks missing from the catalogue cannot be attributed and are left out.
artist_events as (

    select
        tracks.artist_id,
        events.event_type,
        events.user_id,
        events.ms_played

    from events
    inner join tracks on events.track_id = tracks.track_id

),

artist_activity as (

    select
        artist_id,
        cast(count_if(event_type = 'play') as bigint) as play_count,
        count(distinct case when event_type = 'play' then user_id end) as unique_listeners,
        cast(coalesce(sum(ms_played), 0) as bigint) as total_ms_played

    from artist_events
    group by artist_id

),

final as (

    select
        artist_activity.artist_id,
        artists.artist_name,
        artist_activity.play_count,
        artist_activity.unique_listeners,
        artist_activity.total_ms_played,
        row_number() over (
            order by
                artist_activity.play_count desc,
                artist_activity.unique_listeners desc,
                artist_activity.total_ms_played desc,
                artist_activity.artist_id asc
        ) as rank

    from artist_activity
    left join artists on artist_activity.artist_id = artists.artist_id

)

select * from final
