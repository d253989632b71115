{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy=upsert_incremental_strategy(),
        on_schema_change='fail'
    )
}}

with

events as (

    select * from {{ ref('stg_bronze__listening_events') }}

),

-- What bronze received since silver's newest row, less the lookback for commits made
-- visible out of order (arrived_since). By arrival, not by event time: a late event is read
-- whatever day it happened and lands in its own event_date. The bound is compared with
-- bronze's own column, first, so the scan of bronze skips what arrived earlier.
new_arrivals as (

    select * from events
    {% if is_incremental() %}
        where bronze_ingested_at >= {{ arrived_since('ingested_at', as_instant=true) }}
    {% endif %}

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

    from new_arrivals

),

complete as (

    select * from cleaned
    where
        event_id is not null
        and user_id is not null
        and track_id is not null
        and event_at is not null

),

{% if is_incremental() %}

    -- The rows silver already holds for these event_ids compete with the new deliveries, so
    -- a resend neither adds a row nor replaces the first delivery.
    already_in_silver as (

        select * from {{ this }}
        where event_id in (select complete.event_id from complete)

    ),

    candidates as (

        select * from complete
        union all
        select * from already_in_silver

    ),

{% else %}

    candidates as (

        select * from complete

    ),

{% endif %}

-- Kafka delivers at least once: keep the first delivery of each event, with the
-- record's position as a tie-breaker so reruns keep the same row.
final as (

    select * from candidates
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
