-- A user has one profile at a time: versions follow each other without overlap, and only
-- the last one is current.
with

versions as (

    select * from {{ ref('dim_users') }}

),

ordered as (

    select
        user_id,
        user_version_id,
        valid_from,
        valid_to,
        is_current,
        lead(valid_from) over (partition by user_id order by valid_from) as next_valid_from

    from versions

),

final as (

    select * from ordered
    where
        (next_valid_from is null and not is_current)
        or (next_valid_from is not null and is_current)
        or (next_valid_from is not null and valid_to != next_valid_from)

)

select * from final
