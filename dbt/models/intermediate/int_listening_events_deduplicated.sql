with

events as (

    select * from {{ ref('stg_bronze__listening_events') }}

),

cleaned as (

    select
        nullif(trim(event_id), '') as event_id,
        lower(trim(event_type)) as event_type,
        event_at,
        nullif(trim(user_id), '') as user_id,
        nullif(trim(track_id), '') as track_id,
        nullif(trim(artist_id), '') as artist_id,
        nullif(trim(session_id), '') as session_id,
        lower(trim(device)) as device,
        upper(trim(country)) as country,
        track_duration_ms,
        ms_played,
        schema_version,
        kafka_key,
        kafka_topic,
        kafka_partition,
        kafka_offset,
        kafka_timestamp,
        ingested_at,
        event_date,
        event_hour

    from events

),

complete as (

    select * from cleaned
    where
        event_id is not null
        and user_id is not null
        and track_id is not null
        and event_at is not null

),

-- Kafka delivers at least once: keep the first delivery of each event, with the
-- record's position as a tie-breaker so reruns keep the same row.
final as (

    select * from complete
    qualify
        row_number() over (
            partition by event_id
            order by
                kafka_timestamp asc nulls last,
                kafka_topic asc,
                kafka_partition asc,
                kafka_offset asc
        ) = 1

)

select * from final
