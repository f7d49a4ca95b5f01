use chrono::{DateTime, Utc};
use domain::models::rules::{SESSION_LIMIT, TAG_FILTER};
use domain::{
    BulkDeleted, ChatMessage, ChatSelection, ChatSession, CompletionNote, FieldError, Interruption,
    Page, SessionEdit, SessionFilter, SessionKey, SessionWithMessages, TokenUsage,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::encoding::hex;
use crate::error::ApiError;
use crate::extract::parse_optional_id;
use crate::schema::query_param;
use crate::{schema, words};

/// `?event_id=&tag=&pinned=&limit=&cursor=` as the pairs of the query string (`tag` may
/// repeat), each checked in our words.
pub struct SessionsQuery;

/// Written by hand: `tag` repeats, and the derive drops the descriptions of parameters whose
/// schema comes from a function.
impl IntoParams for SessionsQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let string = |pattern: Option<&str>| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(pattern)
                .build()
        };
        vec![
            schema::event_scope_param(),
            query_param(
                "tag",
                Required::False,
                "Only chats with this tag (any case); repeat it for chats with all of them. \
                 An empty one is ignored.",
                schema::tag_filter(),
            ),
            schema::choice_param(
                "pinned",
                "Only pinned chats (`true`) or only the others (`false`).",
                &["true", "false"],
            ),
            query_param(
                "limit",
                Required::False,
                "Chats per page: the body stays an array, and a `Link: <...>; rel=\"next\"` \
                 header names the next page. Without it, every chat at once.",
                schema::page_limit(SESSION_LIMIT),
            ),
            query_param(
                "cursor",
                Required::False,
                "Where a page starts, as given in the `Link` of the page before (pages of 50 \
                 when it comes without `limit`).",
                string(Some(CURSOR_PATTERN)),
            ),
        ]
    }
}

/// Chats per page when a cursor comes without a limit.
const DEFAULT_PAGE: usize = 50;

/// A page's start: the list key of the chat before it (its pin, `updated_at` in
/// microseconds, id), then the mark of the list it belongs to.
const CURSOR_PATTERN: &str = "^([01]\\.-?[0-9]{1,16}\\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\.[0-9a-f]{8})?$";

/// The filter a list's query string asks for.
pub fn session_filter(pairs: &[(String, String)]) -> Result<SessionFilter, ApiError> {
    let mut filter = SessionFilter::default();
    let (mut limit, mut cursor) = (None, None);
    for (name, value) in pairs {
        match name.as_str() {
            "event_id" => filter.event_id = parse_optional_id("event_id", Some(value))?,
            "tag" => {
                if let Some(broken) = TAG_FILTER.check("tag", value) {
                    return Err(ApiError::Invalid(vec![broken]));
                }
                if !value.trim().is_empty() {
                    filter.tags.push(value.trim().to_owned());
                }
            }
            "pinned" => {
                filter.pinned = Some(value.parse().map_err(|_| {
                    ApiError::Malformed(format!("pinned: {value:?} is neither true nor false"))
                })?);
            }
            "limit" => {
                let asked = value.parse::<i32>().ok();
                if let Some(broken) = SESSION_LIMIT.check_whole("limit", asked.or(Some(0))) {
                    return Err(ApiError::Invalid(vec![broken]));
                }
                limit = asked.and_then(|n| usize::try_from(n).ok());
            }
            "cursor" if !value.is_empty() => cursor = Some(value),
            _ => {}
        }
    }
    let after = cursor
        .map(|cursor| {
            let (key, mark) = cursor.rsplit_once('.').unwrap_or_default();
            let key = key_of(key).ok_or_else(|| {
                ApiError::Malformed(format!("cursor: {cursor:?} is not one this API gave"))
            })?;
            if mark != list_mark(&filter) {
                return Err(ApiError::Malformed(
                    "cursor: it belongs to a list with other filters; start again without it"
                        .into(),
                ));
            }
            Ok(key)
        })
        .transpose()?;
    // A cursor alone continues with pages of the default size.
    filter.page = match (limit, after) {
        (Some(limit), after) => Some(Page { after, limit }),
        (None, Some(after)) => Some(Page {
            after: Some(after),
            limit: DEFAULT_PAGE,
        }),
        (None, None) => None,
    };
    Ok(filter)
}

/// A page's cursor: the list key of its last chat, and the mark of the list it is in.
pub fn cursor_of(key: &SessionKey, filter: &SessionFilter) -> String {
    format!(
        "{}.{}.{}.{}",
        u8::from(key.pinned),
        key.updated_at.timestamp_micros(),
        key.id,
        list_mark(filter)
    )
}

/// Which list a cursor belongs to: a key means "after this chat" only in the list it came
/// from, so a cursor carries 32 bits of a hash of the filters (the tags as compared: in
/// any case and order), and one used with other filters is refused rather than read.
fn list_mark(filter: &SessionFilter) -> String {
    let mut tags: Vec<String> = filter.tags.iter().map(|t| t.to_lowercase()).collect();
    tags.sort();
    tags.dedup();
    let list = format!(
        "{:?}\u{1f}{:?}\u{1f}{}",
        filter.event_id,
        filter.pinned,
        tags.join("\u{1f}")
    );
    hex(&Sha256::digest(list.as_bytes())[..4])
}

fn key_of(cursor: &str) -> Option<SessionKey> {
    let mut parts = cursor.splitn(3, '.');
    let pinned = match parts.next()? {
        "1" => true,
        "0" => false,
        _ => return None,
    };
    let micros: i64 = parts.next()?.parse().ok()?;
    Some(SessionKey {
        pinned,
        updated_at: DateTime::<Utc>::from_timestamp_micros(micros)?,
        id: parts.next()?.parse().ok()?,
    })
}

/// What to change of a chat; what is left out (or `null`) stays.
#[derive(Deserialize, ToSchema)]
#[schema(as = ChatSessionChanges)]
pub struct EditSessionRequest {
    /// 1 to 100 characters once whitespace runs are collapsed; not blank.
    #[schema(schema_with = schema::edited_title)]
    title: Option<String>,
    pinned: Option<bool>,
    /// At most 10, each 1 to 32 characters once trimmed; the same tag in another case is
    /// kept once, as the chat first had it. Replaces the chat's tags.
    #[schema(schema_with = schema::tags)]
    tags: Option<Vec<String>>,
}

impl EditSessionRequest {
    pub fn try_into_edit(self) -> Result<SessionEdit, ApiError> {
        SessionEdit::new(self.title.as_deref(), self.pinned, self.tags.as_deref())
            .map_err(ApiError::Invalid)
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ChatSession)]
pub struct SessionDto {
    id: Uuid,
    event_id: Option<Uuid>,
    title: String,
    /// Pinned chats are listed first.
    pinned: bool,
    /// As first given; compared without regard to case.
    tags: Vec<String>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    updated_at: DateTime<Utc>,
    /// `null` in lists, the whole conversation when one session is fetched.
    messages: Option<Vec<MessageDto>>,
}

impl From<ChatSession> for SessionDto {
    fn from(s: ChatSession) -> Self {
        Self {
            id: s.id,
            event_id: s.event_id,
            title: s.title,
            pinned: s.pinned,
            tags: s.tags,
            created_at: s.created_at,
            updated_at: s.updated_at,
            messages: None,
        }
    }
}

impl From<SessionWithMessages> for SessionDto {
    fn from(full: SessionWithMessages) -> Self {
        Self {
            messages: Some(full.messages.iter().map(MessageDto::from).collect()),
            ..Self::from(full.session)
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[schema(as = TokenUsage)]
pub struct UsageDto {
    prompt_tokens: Option<i32>,
    completion_tokens: Option<i32>,
    total_tokens: Option<i32>,
}

impl From<TokenUsage> for UsageDto {
    fn from(u: TokenUsage) -> Self {
        Self {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.total_tokens,
        }
    }
}

impl From<UsageDto> for TokenUsage {
    fn from(u: UsageDto) -> Self {
        let UsageDto {
            prompt_tokens,
            completion_tokens,
            total_tokens,
        } = u;
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ChatMessage)]
pub struct MessageDto {
    id: Uuid,
    session_id: Uuid,
    #[serde(flatten)]
    said: SaidDto,
    /// What the answer's prompt used: `{"type": "event", "event_id", "name"}` when the
    /// event's details were in it, and `{"type": "chat", "session_id", "message_id",
    /// "title", "snippet", "created_at"}` for each passage of the event's other chats it
    /// recalled; `null` when it used neither (and for questions).
    #[schema(value_type = Option<Vec<Object>>)]
    sources: Option<serde_json::Value>,
    finish_reason: Option<String>,
    model: Option<String>,
    usage: Option<UsageDto>,
}

/// What was said and how it ended: the part of a message a shared copy shows too.
#[derive(Serialize, ToSchema)]
#[schema(as = MessageText)]
pub struct SaidDto {
    #[schema(schema_with = schema::role)]
    role: &'static str,
    /// A question as typed, an answer as Markdown.
    content: String,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    created_at: DateTime<Utc>,
    /// `complete`, `interrupted` (the text is what arrived before the failure) or `generating`.
    #[schema(schema_with = schema::message_status)]
    status: &'static str,
    /// Why an interrupted answer stopped, or why a complete one may not be all the person
    /// expects (cut at the model's length limit, ...), for a person; `null` otherwise.
    status_reason: Option<String>,
    /// The same reason as a stable code: for an interrupted answer `model_rate_limited`,
    /// `model_unreachable`, `cut_off`, `server_shutdown`, `stopped`, ...; for a complete one
    /// `length`, `content_filter` or `history_shortened`; `null` otherwise.
    status_code: Option<&'static str>,
}

impl SaidDto {
    /// Why it stopped, or why it may not be all one expects, for a person.
    pub fn status_reason(self) -> Option<String> {
        self.status_reason
    }
}

impl From<&ChatMessage> for SaidDto {
    fn from(m: &ChatMessage) -> Self {
        Self {
            role: m.role.as_str(),
            content: m.content.clone(),
            created_at: m.created_at,
            status: m.status.as_str(),
            status_reason: match (m.status.interruption(), m.note) {
                (Some(why), _) => Some(words::interruption(why, !m.content.is_empty())),
                (None, note) => note.map(|note| words::note(note).to_owned()),
            },
            status_code: m
                .status
                .interruption()
                .map(Interruption::code)
                .or_else(|| m.note.map(CompletionNote::code)),
        }
    }
}

impl From<&ChatMessage> for MessageDto {
    fn from(m: &ChatMessage) -> Self {
        Self {
            id: m.id,
            session_id: m.session_id,
            said: SaidDto::from(m),
            sources: m.sources.clone(),
            finish_reason: m.finish_reason.clone(),
            model: m.model.clone(),
            usage: m.usage.map(UsageDto::from),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = DeletedChatSession)]
pub struct DeletedSessionDto {
    pub success: bool,
    pub id: Uuid,
    pub deleted_messages: u64,
}

/// Which chats to delete: `ids`, or every chat of `event_id`; one of the two, nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkDeleteRequest {
    ids: Option<Vec<Uuid>>,
    event_id: Option<Uuid>,
}

// Written by hand: "one of the two, nothing else" is a `oneOf` the derive does not make.
schema::hand_written_schema!(
    BulkDeleteRequest,
    "ChatSessionsToDelete",
    schema::chats_to_delete
);

impl BulkDeleteRequest {
    pub fn try_into_selection(self) -> Result<ChatSelection, ApiError> {
        match (self.ids, self.event_id) {
            (Some(ids), None) => ChatSelection::ids(ids).map_err(ApiError::Invalid),
            (None, Some(event_id)) => Ok(ChatSelection::Event(event_id)),
            _ => Err(ApiError::Invalid(vec![FieldError::new(
                "ids",
                "give either ids or event_id, not both nor neither",
            )])),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = DeletedChatSessions)]
pub struct BulkDeletedDto {
    /// How many chats went.
    deleted: u64,
    /// How many messages went with them.
    deleted_messages: u64,
    /// Ids asked for that were not there.
    not_found: Vec<Uuid>,
}

impl From<BulkDeleted> for BulkDeletedDto {
    fn from(done: BulkDeleted) -> Self {
        Self {
            deleted: done.deleted,
            deleted_messages: done.deleted_messages,
            not_found: done.not_found,
        }
    }
}
