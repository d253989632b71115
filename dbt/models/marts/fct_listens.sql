-- One row per listening event (play, skip or like), with the keys of every dimension.
with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

),

tracks as (

    select * from {{ ref('dim_tracks') }}

),

user_versions as (

    select * from {{ ref('dim_users') }}

),

-- The version of the profile in force when the event happened. Events from before the
-- first version the snapshot saw belong to that first version: the profile existed, it
-- was only not observed yet.
final as (

    select
        events.event_id,
        events.event_type,
        events.event_at,
        cast(events.event_at as date) as date_day,
        events.user_id,
        user_versions.user_version_id,
        events.track_id,
        tracks.artist_id,
        events.session_id,
        events.device,
        events.country,
        events.ms_played,
        events.track_duration_ms,
        events.event_type = 'play' as is_play

    from events
    left join tracks on events.track_id = tracks.track_id
    left join user_versions
        on
            events.user_id = user_versions.user_id
            and (
                events.event_at >= user_versions.valid_from
                or user_versions.version_number = 1
            )
            and (
                user_versions.valid_to is null
                or events.event_at < user_versions.valid_to
            )

)

select * from final
