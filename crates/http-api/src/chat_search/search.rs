use actix_web::web;
use domain::SearchQuery;

use crate::chat_search::dto::{SearchPageDto, SearchParams};
use crate::encoding::Packed;
use crate::error::{ApiError, Problem};
use crate::extract::parse_optional_id;
use crate::state::State;

/// `GET /api/chat/search?q=`: the titles and messages of every chat (or one event's) that
/// match, best first, a page at a time.
#[utoipa::path(get, path = "/api/chat/search", tag = "chat", params(SearchParams),
    responses(
        (status = 200, description = "One page of hits, best first", body = SearchPageDto),
        (status = 422, description = "`q` blank or over 500 characters, or `limit` not a whole number from 1 to 100",
            body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn search_chats(
    state: State,
    params: web::Query<SearchParams>,
) -> Result<Packed<SearchPageDto>, ApiError> {
    let event_id = parse_optional_id("event_id", params.event_id.as_deref())?;
    let offset = params.offset()?;
    let query = SearchQuery::new(&params.q, event_id, params.limit()?, offset)
        .map_err(ApiError::Invalid)?;
    let page = state.chat.search(&query).await?;
    Ok(Packed(SearchPageDto::new(page, offset)))
}
