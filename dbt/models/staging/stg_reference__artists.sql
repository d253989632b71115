with

source as (

    select * from {{ source('reference', 'artists') }}

),

final as (

    select
        cast(artist_id as varchar) as artist_id,
        cast(artist_name as varchar) as artist_name,
        cast(genre as varchar) as genre,
        cast(country as varchar) as country

    from source

)

select * from final
