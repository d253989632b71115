with

artists as (

    select * from {{ ref('stg_reference__artists') }}

),

final as (

    select
        artist_id,
        artist_name,
        genre,
        country

    from artists

)

select * from final
