-- Type 2: one row per version of a user profile, from the snapshot's history.
with

snapshot as (

    select * from {{ ref('users_snapshot') }}

),

final as (

    select
        dbt_scd_id as user_version_id,
        user_id,
        user_name,
        country,
        subscription_tier,
        signup_date,
        birth_year,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to,
        dbt_valid_to is null as is_current,
        row_number() over (partition by user_id order by dbt_valid_from) as version_number

    from snapshot

)

select * from final
