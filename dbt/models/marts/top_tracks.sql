-- Added up from the per-day numbers of each track (int_track_days_aggregated) and its
-- listeners (int_track_listeners_aggregated), which incremental runs keep up to date; this
-- table is small, so it is rebuilt and ranked whole.
with

track_days as (

    select * from {{ ref('int_track_days_aggregated') }}

),

track_listeners as (

    select * from {{ ref('int_track_listeners_aggregated') }}

),

tracks as (

    select * from {{ ref('stg_reference__tracks') }}

),

artists as (

    select * from {{ ref('stg_reference__artists') }}

),

track_totals as (

    select
        track_id,
        cast(sum(play_count) as bigint) as play_count,
        cast(sum(total_ms_played) as bigint) as total_ms_played,
        cast(sum(skip_count) as bigint) as skip_count,
        cast(sum(like_count) as bigint) as like_count

    from track_days
    group by track_id

),

listener_counts as (

    select
        track_id,
        count(*) as unique_listeners

    from track_listeners
    group by track_id

),

track_activity as (

    select
        track_totals.track_id,
        track_totals.play_count,
        coalesce(listener_counts.unique_listeners, 0) as unique_listeners,
        track_totals.total_ms_played,
        track_totals.skip_count,
        track_totals.like_count

    from track_totals
    left join listener_counts on track_totals.track_id = listener_counts.track_id

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
