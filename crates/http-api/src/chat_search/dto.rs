use chrono::{DateTime, Utc};
use domain::models::rules::SEARCH_LIMIT;
use domain::{FieldError, SearchHit, SearchPage};
use serde::{Deserialize, Serialize};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;
use crate::schema::{self, query_param};

/// `?q=&event_id=&limit=&cursor=`: kept as text so that each bad value is answered in our
/// words.
#[derive(Deserialize)]
pub struct SearchParams {
    pub q: String,
    pub event_id: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// Written by hand: the derive drops `required` and the description of a parameter whose
/// schema comes from a function (the rules' own bounds).
impl IntoParams for SearchParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            query_param(
                "q",
                Required::True,
                "What to find. All words must match (in any form: \"pacing\" finds \"paced\"; accents \
                 and case do not matter); `\"a phrase\"` must match as written; `or` between words takes \
                 either; `-word` leaves out what has it. Two or more characters of Chinese, Japanese \
                 or Korean text find it anywhere in a message.",
                schema::search_text(),
            ),
            schema::event_scope_param(),
            query_param(
                "limit",
                Required::False,
                "Hits per page (default 20).",
                schema::page_limit(SEARCH_LIMIT),
            ),
            query_param(
                "cursor",
                Required::False,
                "The `next_cursor` of the page before; the first page without it.",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(CURSOR_PATTERN))
                    .build(),
            ),
        ]
    }
}

impl SearchParams {
    /// The limit as a number; a value that is not one is a broken rule of `limit`.
    pub fn limit(&self) -> Result<Option<i32>, ApiError> {
        self.limit
            .as_deref()
            .map(|text| {
                text.parse::<i32>().map_err(|_| {
                    ApiError::Invalid(vec![FieldError::new(
                        "limit",
                        "must be a whole number from 1 to 100",
                    )])
                })
            })
            .transpose()
    }

    /// How many hits the earlier pages held.
    pub fn offset(&self) -> Result<usize, ApiError> {
        match self.cursor.as_deref() {
            None | Some("") => Ok(0),
            Some(cursor) => cursor
                .strip_prefix('o')
                .filter(|n| (1..=9).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| ApiError::Malformed("cursor: not one this API gave out".into())),
        }
    }
}

/// What a cursor looks like (an offset of at most nine digits, opaque to clients), or empty
/// for the first page, as a form sends it.
const CURSOR_PATTERN: &str = "^(o[0-9]{1,9})?$";

/// The cursor of the page after `offset` + `count` hits.
fn cursor(offset: usize) -> String {
    format!("o{offset}")
}

/// A page of hits, best first: title and phrase matches, then relevance, then the newest.
#[derive(Serialize, ToSchema)]
#[schema(as = ChatSearchPage)]
pub struct SearchPageDto {
    hits: Vec<SearchHitDto>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    next_cursor: Option<String>,
}

impl SearchPageDto {
    pub fn new(page: SearchPage, offset: usize) -> Self {
        let next_cursor = page.more.then(|| cursor(offset + page.hits.len()));
        Self {
            hits: page.hits.into_iter().map(SearchHitDto::from).collect(),
            next_cursor,
        }
    }
}

/// A message that matched (or a chat whose title alone did).
#[derive(Serialize, ToSchema)]
#[schema(as = ChatSearchHit)]
pub struct SearchHitDto {
    session_id: Uuid,
    session_title: String,
    event_id: Option<Uuid>,
    /// `null` when only the chat's title matched.
    message_id: Option<Uuid>,
    /// Who wrote the message; `null` for a title.
    #[schema(schema_with = schema::optional_role)]
    role: Option<&'static str>,
    /// When the message was written (for a title: the chat's last message).
    #[serde(serialize_with = "crate::timestamp::serialize")]
    created_at: DateTime<Utc>,
    /// Plain text around the match, as written (never markup).
    snippet: String,
    /// The matched terms within `snippet`: `[start, end)` pairs counted in Unicode code
    /// points (not bytes, not UTF-16 units), in order, not overlapping.
    #[schema(value_type = Vec<[u32; 2]>)]
    highlights: Vec<[usize; 2]>,
}

impl From<SearchHit> for SearchHitDto {
    fn from(hit: SearchHit) -> Self {
        Self {
            session_id: hit.session_id,
            session_title: hit.session_title,
            event_id: hit.event_id,
            message_id: hit.message_id,
            role: hit.role.map(|role| role.as_str()),
            created_at: hit.created_at,
            snippet: hit.snippet,
            highlights: hit
                .highlights
                .into_iter()
                .map(|(start, end)| [start, end])
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_alone_is_required_and_every_parameter_is_described_with_its_schema() {
        let params = SearchParams::into_params(|| None);
        let summary: Vec<(&str, bool, bool)> = params
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.required == Required::True,
                    p.description.is_some() && p.schema.is_some(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("q", true, true),
                ("event_id", false, true),
                ("limit", false, true),
                ("cursor", false, true)
            ]
        );
    }
}
