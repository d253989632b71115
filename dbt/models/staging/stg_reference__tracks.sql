with

source as (

    select * from {{ source('reference', 'tracks') }}

),

final as (

    select
        cast(track_id as varchar) as track_id,
        cast(track_title as varchar) as track_title,
        cast(artist_id as varchar) as artist_id,
        cast(album_title as varchar) as album_title,
        cast(genre as varchar) as genre,
        cast(duration_ms as bigint) as duration_ms,
        cast(release_year as integer) as release_year,
        cast(is_explicit as boolean) as is_explicit

    from source

)

select * from final
