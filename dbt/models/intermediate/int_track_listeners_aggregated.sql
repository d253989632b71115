-- One row per track and user who played it (top_tracks' distinct listeners, which do not
-- add up across days). A pair only ever appears: an incremental run upserts the pairs of
-- the plays that arrived since the newest arrival this table has counted.
{{
    config(
        materialized='incremental',
        unique_key=['track_id', 'user_id'],
        incremental_strategy=upsert_incremental_strategy(),
        on_schema_change='fail',
        meta={'arrival_column': 'last_ingested_at'}
    )
}}

with

events as (

    select * from {{ ref('int_listening_events_deduplicated') }}

),

plays as (

    select
        track_id,
        user_id,
        ingested_at

    from events
    where
        event_type = 'play'
        {% if is_incremental() %}
            and ingested_at >= {{ arrived_since('last_ingested_at') }}
        {% endif %}

),

final as (

    select
        track_id,
        user_id,
        max(ingested_at) as last_ingested_at

    from plays
    group by track_id, user_id

)

select * from final
