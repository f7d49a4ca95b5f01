//! What the domain needs from the outside world. Each port has its own error enum; the doc
//! comment of each method says which variant an adapter must return for which case, so that
//! driver errors stop at the adapter.

use std::error::Error as StdError;

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use uuid::Uuid;

pub use crate::models::answer::LanguageModelError;
use crate::models::bulk_delete::ChatSelection;
use crate::models::chat::{ChatMessage, ChatSession, SessionWithMessages};
use crate::models::event::{Event, NewWaypoint, Waypoint};
use crate::models::import::ImportedChat;
use crate::models::memory::{Passage, Recall};
use crate::models::prompt::{Prompt, ReplyChunk};
use crate::models::search::{SearchPage, SearchQuery};
use crate::models::session_edit::SessionEdit;
use crate::models::session_list::SessionFilter;
use crate::models::share::{ChatShare, ShareToken, SharedChat};
use crate::models::usage::{Usage, UsageQuery};

type Cause = Box<dyn StdError + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum ChatStoreError {
    #[error("chat session not found")]
    SessionNotFound,
    #[error("event not found")]
    EventNotFound,
    /// No assistant message has that id.
    #[error("answer not found")]
    AnswerNotFound,
    /// Another answer of the session is still being written: its id.
    #[error("an answer of this chat is still being written")]
    AnswerInProgress(Uuid),
    /// The answer's row is no longer `generating` (it was finished or reaped), or another
    /// instance writes it.
    #[error("the answer is no longer being written here")]
    NotGenerating,
    /// The database cannot be reached, no connection could be had in time, or a call
    /// missed its deadline.
    #[error("chat store unavailable")]
    Unavailable(#[source] Cause),
    #[error("unexpected chat store failure")]
    Unexpected(#[source] Cause),
}

/// An instance's claim on the answers it writes: `owner` identifies the running instance,
/// and a claim not renewed within `duration` (in the database's clock) lapses, after which
/// any instance may mark the answer interrupted (every instance is run with the same
/// duration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub owner: Uuid,
    pub duration: Duration,
}

/// What asking an answer to stop found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopRequest {
    /// It was being written; its owner will stop it.
    Requested,
    /// It had already ended; nothing changed.
    AlreadyEnded,
}

/// Persistence of chat sessions and their messages. Each call is one statement or one short
/// transaction: no connection outlives the call, and every call has a deadline.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ChatStore: Send + Sync + 'static {
    /// The sessions `filter` lets through, pinned first, then newest first (`updated_at`
    /// descending, ties by `id` descending). An unknown event simply has none.
    async fn list_sessions(
        &self,
        filter: &SessionFilter,
    ) -> Result<Vec<ChatSession>, ChatStoreError>;

    /// The tags of the event's chats (or of every chat), each once whatever its case (as the
    /// oldest chat spells it), with how many chats have it; most used first.
    async fn list_tags(&self, event_id: Option<Uuid>)
    -> Result<Vec<(String, u64)>, ChatStoreError>;

    /// The session and its messages in chronological order (stable also for equal
    /// timestamps); `SessionNotFound` when there is no such session.
    async fn get_session(&self, id: Uuid) -> Result<SessionWithMessages, ChatStoreError>;

    /// The session and only its newest messages whose contents add up to at most
    /// `max_chars` characters, in chronological order: what a prompt can use, without
    /// reading a long chat whole. Each message as a prompt needs it: its id, role, text,
    /// status and time; its sources, note, model, usage and timings are left out (`None`).
    /// `SessionNotFound` when there is no such session.
    async fn get_recent_history(
        &self,
        id: Uuid,
        max_chars: usize,
    ) -> Result<SessionWithMessages, ChatStoreError>;

    /// Applies `edit` to the session (its title, pin and tags; never `updated_at`, which
    /// follows its messages) and returns it as stored; `SessionNotFound` when there is none.
    async fn edit_session(
        &self,
        id: Uuid,
        edit: &SessionEdit,
    ) -> Result<ChatSession, ChatStoreError>;

    /// Deletes the selected sessions and, by cascade, their messages, in one transaction;
    /// returns the ids of the sessions that went and how many messages went with them.
    async fn delete_sessions(
        &self,
        which: &ChatSelection,
    ) -> Result<(Vec<Uuid>, u64), ChatStoreError>;

    /// Deletes the session and, by cascade, its messages; returns how many messages went.
    /// `SessionNotFound` when there is no such session.
    async fn delete_session(&self, id: Uuid) -> Result<u64, ChatStoreError>;

    /// Stores a new session together with its first messages (the question and the row its
    /// answer will fill, owned under `lease`) in one transaction, so a session never exists
    /// without them. `EventNotFound` when `session.event_id` names no event.
    async fn create_session(
        &self,
        session: &ChatSession,
        messages: &[ChatMessage],
        lease: &Lease,
    ) -> Result<(), ChatStoreError>;

    /// Stores an imported chat with its messages and where it came from, in one
    /// transaction; `false` (storing nothing) when that conversation was imported before
    /// or a chat with its id exists. `EventNotFound` when its event is gone.
    async fn import_chat(&self, chat: &ImportedChat) -> Result<bool, ChatStoreError>;

    /// Stores messages of one session (a `generating` one owned under `lease`) and moves its
    /// `updated_at` forward to the newest `created_at` in one transaction; returns the
    /// session as updated. `SessionNotFound` when the session does not exist (any more),
    /// `AnswerInProgress` when another answer of it is still generating.
    async fn append_messages(
        &self,
        messages: &[ChatMessage],
        lease: &Lease,
    ) -> Result<ChatSession, ChatStoreError>;

    /// Overwrites the text of an answer that is still `generating` and owned by `owner`, so
    /// a crash loses at most what arrived since, and renews the owner's claim on it (the
    /// owner is plainly alive). `NotGenerating` otherwise.
    async fn save_progress(
        &self,
        message_id: Uuid,
        owner: Uuid,
        content: &str,
    ) -> Result<(), ChatStoreError>;

    /// Writes the final state of an answer owned by `owner` (text, status, reason, finish
    /// reason, model, usage; its sources stay as the question's write stored them, since a
    /// prompt's sources are known before the model answers) and moves the session's
    /// `updated_at` forward to `at`, in one transaction; returns the session as updated.
    /// The answer must still be generating, or have been reaped from this same owner (whose
    /// whole text beats the saved part). `SessionNotFound` when the session is gone,
    /// `NotGenerating` otherwise.
    async fn finish_message(
        &self,
        message: &ChatMessage,
        owner: Uuid,
        at: DateTime<Utc>,
    ) -> Result<ChatSession, ChatStoreError>;

    /// Extends `lease.owner`'s claim on those of `live` (the answers it is still writing)
    /// that are still generating, in one statement; returns how many. A claim renewed in
    /// the last sixth of the lease (by a checkpoint) is left as it is: an answer being
    /// written is saved every few seconds, and rewriting its row again only for the lease
    /// cost a tenth of the database's time with 20,000 answers open; two renewals in a row
    /// can still fail before it lapses. An answer of this owner not in `live` (its run ended
    /// but its last write failed) is left to lapse, so that the reaper marks it interrupted
    /// instead of it blocking its chat for as long as the owner lives.
    async fn renew_leases(&self, lease: &Lease, live: &[Uuid]) -> Result<u64, ChatStoreError>;

    /// Marks every answer whose lease (of `lease`, since its owner last renewed it) has
    /// lapsed interrupted (`ProcessDied`), keeping the text saved so far; returns their ids.
    async fn reap_expired(&self, lease: Duration) -> Result<Vec<Uuid>, ChatStoreError>;

    /// Asks the owner of a generating answer to stop it. `AnswerNotFound` when no assistant
    /// message has the id.
    async fn request_stop(&self, answer_id: Uuid) -> Result<StopRequest, ChatStoreError>;

    /// The answers `owner` is writing that someone asked to stop.
    async fn stops_requested(&self, owner: Uuid) -> Result<Vec<Uuid>, ChatStoreError>;

    /// One answer as stored; `AnswerNotFound` when no assistant message has the id.
    async fn get_answer(&self, answer_id: Uuid) -> Result<ChatMessage, ChatStoreError>;
    /// The titles and messages that match `query`, best first: a page of them. Text that
    /// holds no searchable word finds nothing (not an error).
    async fn search(&self, query: &SearchQuery) -> Result<SearchPage, ChatStoreError>;
    /// The usage figures `query` asks for; the series holds only buckets with activity,
    /// in any order (the service fills the rest).
    async fn usage(&self, query: &UsageQuery) -> Result<Usage, ChatStoreError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ShareStoreError {
    #[error("chat session not found")]
    SessionNotFound,
    /// No link has that token or id (never made, revoked, or its chat deleted).
    #[error("share not found")]
    ShareNotFound,
    #[error("share store unavailable")]
    Unavailable(#[source] Cause),
    #[error("unexpected share store failure")]
    Unexpected(#[source] Cause),
}

/// Persistence of share links. A link's token is kept only as a digest, and deleting a chat
/// deletes its links.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ShareStore: Send + Sync + 'static {
    /// Stores the link with a copy of its chat's title and finished messages, taken in the
    /// same statement; `SessionNotFound` when there is no such chat.
    async fn create_share(
        &self,
        share: &ChatShare,
        token: &ShareToken,
    ) -> Result<(), ShareStoreError>;

    /// The chat's links, oldest first; `SessionNotFound` when there is no such chat.
    async fn list_shares(&self, session_id: Uuid) -> Result<Vec<ChatShare>, ShareStoreError>;

    /// Deletes one link of the chat; `ShareNotFound` when the chat has no link of that id.
    async fn revoke_share(&self, session_id: Uuid, share_id: Uuid) -> Result<(), ShareStoreError>;

    /// The copy a token opens; `ShareNotFound` when no link has it.
    async fn shared_chat(&self, token: &ShareToken) -> Result<SharedChat, ShareStoreError>;
}

#[derive(Debug, thiserror::Error)]
pub enum EventStoreError {
    #[error("event not found")]
    EventNotFound,
    #[error("waypoint not found")]
    WaypointNotFound,
    #[error("event store unavailable")]
    Unavailable(#[source] Cause),
    #[error("unexpected event store failure")]
    Unexpected(#[source] Cause),
}

/// An event as a prompt needs it (see [`EventStore::get_event_for_prompt`]).
#[derive(Debug)]
pub struct EventForPrompt {
    pub event: Event,
    pub waypoints: Vec<Waypoint>,
    /// `None` when nothing was to be recalled.
    pub recalled: Option<Result<Vec<Passage>, EventStoreError>>,
}

/// Persistence of events and their waypoints.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Events by planned date (undated last), then by id.
    async fn list_events(&self) -> Result<Vec<Event>, EventStoreError>;
    /// `EventNotFound` when absent.
    async fn get_event(&self, id: Uuid) -> Result<Event, EventStoreError>;
    async fn insert_event(&self, event: &Event) -> Result<(), EventStoreError>;
    /// Replaces the fields and `updated_at`; `EventNotFound` when absent.
    async fn update_event(&self, event: &Event) -> Result<(), EventStoreError>;
    /// Deletes the event with, by cascade, its waypoints and chat sessions (and their
    /// messages). `EventNotFound` when absent.
    async fn delete_event(&self, id: Uuid) -> Result<(), EventStoreError>;

    /// Waypoints of the event by `order_index`, then creation. `EventNotFound` when the
    /// event does not exist, so that an empty list means "no waypoints yet".
    async fn list_waypoints(&self, event_id: Uuid) -> Result<Vec<Waypoint>, EventStoreError>;
    /// The event and its waypoints (ordered as by `list_waypoints`) at once, as a prompt
    /// needs them, and with `recall` what the event's chats said about the question (in
    /// the same round trip: every question about an event asks for both). `EventNotFound`
    /// when the event does not exist. A recall that fails, or misses the deadline, is
    /// `recalled: Some(Err(_))` and the event is read all the same.
    ///
    /// Recalled are the finished messages of the event's chats (but
    /// `recall.exclude_session`) that best answer to the question's words, best first: any
    /// word may match, and those matching more of them, closer together, come first. Text
    /// with no searchable word recalls nothing.
    async fn get_event_for_prompt<'a>(
        &self,
        id: Uuid,
        recall: Option<&'a Recall<'a>>,
    ) -> Result<EventForPrompt, EventStoreError>;
    /// `WaypointNotFound` when absent.
    async fn get_waypoint(&self, id: Uuid) -> Result<Waypoint, EventStoreError>;
    /// Stores the waypoint, placing it after the event's last one when it has no
    /// `order_index`; `EventNotFound` when the event does not exist.
    async fn insert_waypoint(
        &self,
        id: Uuid,
        waypoint: &NewWaypoint,
        created_at: DateTime<Utc>,
    ) -> Result<Waypoint, EventStoreError>;
    /// Replaces the waypoint's fields and order (never its event or creation time);
    /// `WaypointNotFound` when absent.
    async fn update_waypoint(&self, waypoint: &Waypoint) -> Result<Waypoint, EventStoreError>;
    /// `WaypointNotFound` when absent.
    async fn delete_waypoint(&self, id: Uuid) -> Result<(), EventStoreError>;
}

/// A streamed answer: text pieces, then [`ReplyChunk::Finished`]. An `Err` item, or the end
/// of the stream without `Finished`, means the answer was cut short.
pub type ReplyStream = Pin<Box<dyn Stream<Item = Result<ReplyChunk, LanguageModelError>> + Send>>;

/// A chat model that streams its answer.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait LanguageModel: Send + Sync + 'static {
    /// Sends the prompt and returns the answer as it streams. Failures before the first piece
    /// of text, after the adapter's own retries, are the `Err` of this call.
    async fn stream_reply(&self, prompt: &Prompt) -> Result<ReplyStream, LanguageModelError>;
}

#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("dependency unavailable")]
    Unavailable(#[source] Cause),
}

/// How busy the store's connections are, for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreUsage {
    /// Connections checked out now.
    pub in_use: usize,
    /// Calls waiting for a connection.
    pub waiting: usize,
    /// Most connections open at once.
    pub max: usize,
}

/// Whether the service can do its work right now (the database answers), and how busy its
/// store is.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait HealthCheck: Send + Sync + 'static {
    async fn check(&self) -> Result<(), HealthError>;
    fn usage(&self) -> StoreUsage;
}

/// Time, as a port so tests can pin it.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// Identifiers, as a port so tests can predict them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait IdSource: Send + Sync + 'static {
    fn new_id(&self) -> Uuid;
}

/// No secret could be made: the system's random source failed.
#[derive(Debug, thiserror::Error)]
#[error("no random bytes to make a secret")]
pub struct NoRandomness(#[source] pub Cause);

/// Secrets that nobody may guess, as a port so tests can predict them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait TokenSource: Send + Sync + 'static {
    /// [`ShareToken::BYTES`] bytes from a CSPRNG.
    fn new_token(&self) -> Result<ShareToken, NoRandomness>;
}

/// What new records are stamped with: a fresh id, the time, and the running instance that
/// wrote them (the owner of the answers it writes).
#[derive(Clone)]
pub struct Stamps {
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub instance: Uuid,
}

impl Stamps {
    /// The wall clock, time-ordered ids and a new instance id: what the app runs with.
    pub fn system() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            ids: Arc::new(TimeOrderedIds),
            instance: Uuid::new_v4(),
        }
    }
}

/// The wall clock, cut to microseconds: what PostgreSQL keeps, so a value read back equals
/// the value written.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        let micros = now.timestamp_micros();
        DateTime::from_timestamp_micros(micros).unwrap_or(now)
    }
}

/// Time-ordered v7 UUIDs: new rows land at the end of the primary-key index.
#[derive(Debug, Default, Clone, Copy)]
pub struct TimeOrderedIds;

impl IdSource for TimeOrderedIds {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}
