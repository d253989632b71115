-- Added up from the per-day numbers of each track (int_track_days_aggregated) and the
-- artist's listeners (int_artist_listeners_aggregated), which incremental runs keep up to
-- date; this table is small, so it is rebuilt and ranked whole.
with

track_days as (

    select * from {{ ref('int_track_days_aggregated') }}

),

artist_listeners as (

    select * from {{ ref('int_artist_listeners_aggregated') }}

),

tracks as (

    select * from {{ ref('stg_reference__tracks') }}

),

artists as (

    select * from {{ ref('stg_reference__artists') }}

),

-- Attributed through the catalogue, like top_tracks, so the two marts agree. Events of
-- tracks missing from the catalogue cannot be attributed and are left out.
artist_totals as (

    select
        tracks.artist_id,
        cast(sum(track_days.play_count) as bigint) as play_count,
        cast(sum(track_days.total_ms_played) as bigint) as total_ms_played

    from track_days
    inner join tracks on track_days.track_id = tracks.track_id
    group by tracks.artist_id

),

listener_counts as (

    select
        artist_id,
        count(*) as unique_listeners

    from artist_listeners
    group by artist_id

),

artist_activity as (

    select
        artist_totals.artist_id,
        artist_totals.play_count,
        coalesce(listener_counts.unique_listeners, 0) as unique_listeners,
        artist_totals.total_ms_played

    from artist_totals
    left join listener_counts on artist_totals.artist_id = listener_counts.artist_id

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
