{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy=upsert_incremental_strategy(),
        on_schema_change='fail',
        meta={'arrival_column': 'ingested_at'}
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

-- Kafka delivers at least once: the first delivery of each event counts, with the record's
-- position as a tie-breaker so reruns keep the same row.
{% set delivery_order %}
    kafka_timestamp asc nulls last,
    kafka_topic asc,
    kafka_partition asc,
    kafka_offset asc
{% endset %}

first_deliveries as (

    select * from complete
    qualify row_number() over (partition by event_id order by {{ delivery_order }}) = 1

),

{% if is_incremental() %}

    -- A resend competes with the delivery silver already holds: it neither adds a row nor
    -- replaces the first delivery. Only the columns that order deliveries are read from
    -- silver, so the lookup does not read every column of every silver row.
    held_deliveries as (

        select
            event_id,
            kafka_timestamp,
            kafka_topic,
            kafka_partition,
            kafka_offset

        from {{ this }}
        where event_id in (select first_deliveries.event_id from first_deliveries)

    ),

    ranked_deliveries as (

        select
            event_id,
            is_held,
            row_number() over (
                -- On a tie (the lookback reads a record silver holds) the held row wins.
                partition by event_id order by {{ delivery_order }}, is_held desc
            ) as delivery_rank

        from (
            {% for deliveries, is_held in [
                ('first_deliveries', 'false'), ('held_deliveries', 'true')
            ] %}
                select
                    event_id,
                    kafka_timestamp,
                    kafka_topic,
                    kafka_partition,
                    kafka_offset,
                    {{ is_held }} as is_held
                from {{ deliveries }}
                {% if not loop.last %}union all{% endif %}
            {% endfor %}
        ) as deliveries

    ),

    -- The run writes the events whose first delivery is new; silver's rows for the others
    -- stay as they are (the merge on event_id replaces only the rows the run returns).
    final as (

        select first_deliveries.*
        from first_deliveries
        inner join ranked_deliveries
            on
                first_deliveries.event_id = ranked_deliveries.event_id
                and ranked_deliveries.delivery_rank = 1
                and not ranked_deliveries.is_held

    )

{% else %}

    final as (

        select * from first_deliveries

    )

{% endif %}

select * from final
