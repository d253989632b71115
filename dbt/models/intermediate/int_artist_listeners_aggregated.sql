-- One row per artist and user who played one of the artist's tracks (top_artists'
-- distinct listeners), the artist taken from the catalogue as top_artists does. A pair
-- only ever appears: an incremental run upserts the pairs of the plays that arrived since
-- the newest arrival this table has counted.
{{
    config(
        materialized='incremental',
        unique_key=['artist_id', 'user_id'],
        incremental_strategy=upsert_incremental_strategy(),
        on_schema_change='fail',
        meta={'arrival_column': 'last_ingested_at'}
    )
}}

with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

),

tracks as (

    select * from {{ ref('stg_reference__tracks') }}

),

plays as (

    select
        tracks.artist_id,
        events.user_id,
        events.ingested_at

    from events
    inner join tracks on events.track_id = tracks.track_id
    where
        events.event_type = 'play'
        {% if is_incremental() %}
            and events.ingested_at >= {{ arrived_since('last_ingested_at') }}
        {% endif %}

),

final as (

    select
        artist_id,
        user_id,
        max(ingested_at) as last_ingested_at

    from plays
    group by artist_id, user_id

)

select * from final
