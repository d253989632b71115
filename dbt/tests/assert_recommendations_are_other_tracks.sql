-- A track is never recommended to its own listeners as "also played".
with

recommendations as (

    select * from {{ ref('track_recommendations') }}

),

final as (

    select * from recommendations
    where track_id = recommended_track_id

)

select * from final
