use actix_web::web::{self, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::extract::parse_optional_id;
use crate::schema;
use crate::state::State;

/// One tag and how many chats have it.
#[derive(Serialize, ToSchema)]
#[schema(as = ChatTag)]
pub struct TagDto {
    /// As the oldest chat that has it spells it.
    tag: String,
    count: u64,
}

/// `?event_id=`: only that event's chats' tags; all when absent or empty.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagsQuery {
    #[param(schema_with = schema::uuid_or_empty)]
    event_id: Option<String>,
}

/// `GET /api/chat/tags?event_id=`: the tags of the event's chats (all chats without
/// `event_id`), each once whatever its case, most used first.
#[utoipa::path(get, path = "/api/chat/tags", tag = "chat", params(TagsQuery),
    responses((status = 200, description = "Tags with how many chats have each, most used first", body = Vec<TagDto>)))]
pub async fn list_tags(
    state: State,
    query: web::Query<TagsQuery>,
) -> Result<Json<Vec<TagDto>>, ApiError> {
    let event_id = parse_optional_id("event_id", query.event_id.as_deref())?;
    let tags = state.chat.list_tags(event_id).await?;
    Ok(Json(
        tags.into_iter()
            .map(|(tag, count)| TagDto { tag, count })
            .collect(),
    ))
}
