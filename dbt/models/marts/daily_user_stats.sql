-- Counted per (user, day) in int_user_days_aggregated, which an incremental run updates for
-- the pairs that received events only; this table is its published copy.
with

user_days as (

    select * from {{ ref('int_user_days_aggregated') }}

),

final as (

    select
        user_id,
        activity_date,
        plays,
        skips,
        likes,
        total_ms_played,
        distinct_tracks,
        sessions

    from user_days

)

select * from final
