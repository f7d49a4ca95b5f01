use actix_web::web;

use crate::chat_stats::dto::{StatsDto, StatsParams};
use crate::encoding::Packed;
use crate::error::{ApiError, Problem};
use crate::state::State;

/// `GET /api/chat/stats`: how much the assistant was asked and answered over a range of
/// days, for one event's chats or all: totals and a series per day or week.
#[utoipa::path(get, path = "/api/chat/stats", tag = "chat", params(StatsParams), responses(
    (status = 200, description = "Totals and a series", body = StatsDto),
    (status = 422, description = "`from` or `to` not a date, or `bucket` not day or week", body = Problem, content_type = "application/problem+json"),
))]
pub async fn chat_stats(
    state: State,
    params: web::Query<StatsParams>,
) -> Result<Packed<StatsDto>, ApiError> {
    let query = params.query()?;
    Ok(Packed(StatsDto::new(
        &query,
        state.chat.usage(&query).await?,
    )))
}
