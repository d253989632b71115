with

tracks as (

    select * from {{ ref('stg_reference__tracks') }}

),

final as (

    select
        track_id,
        track_title,
        artist_id,
        album_title,
        genre,
        duration_ms,
        release_year,
        is_explicit

    from tracks

)

select * from final
