with

source as (

    select * from {{ source('reference', 'users') }}

),

final as (

    select
        cast(user_id as varchar) as user_id,
        cast(user_name as varchar) as user_name,
        cast(country as varchar) as country,
        cast(subscription_tier as varchar) as subscription_tier,
        cast(signup_date as date) as signup_date,
        cast(birth_year as integer) as birth_year,
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from final
