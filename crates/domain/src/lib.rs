//! aidstation's core: what a chat session, a message, an event and a waypoint are, the
//! rules they obey, the ports the outside world must implement, and the use cases.
//!
//! Nothing here performs I/O or names a framework, a database driver or an HTTP client, so
//! every rule is testable with the mocks of the ports (feature `mock`). The modules form
//! layers: `models` (with `rules` at the bottom) ← `ports` ← `error` ← `service`.

pub mod error;
pub mod models;
pub mod ports;
pub mod service;

pub use error::{Missing, ServiceError};
pub use models::answer::{CompletionNote, Interruption, LanguageModelError};
pub use models::bulk_delete::{BulkDeleted, ChatSelection};
pub use models::chat::{
    AnswerTiming, ChatMessage, ChatSession, MessageStatus, Role, SessionWithMessages, TokenUsage,
};
pub use models::event::{Event, EventFields, NewWaypoint, Waypoint, WaypointFields, WaypointType};
pub use models::import::{ChatDraft, ImportKind, ImportSummary, ImportedChat, Skipped};
pub use models::memory::{Passage, Recall};
pub use models::prompt::{Prompt, PromptMessage, PromptRole, ReplyChunk};
pub use models::rules::FieldError;
pub use models::search::{SearchHit, SearchPage, SearchQuery};
pub use models::session_edit::SessionEdit;
pub use models::session_list::{Page, SessionFilter, SessionKey};
pub use models::share::{ChatShare, ShareToken, SharedChat};
pub use models::title::session_title;
pub use models::usage::{
    AnswerCounts, Bucket, HourCounts, Medians, ModelTokens, Usage, UsageHour, UsagePoint,
    UsageQuery, UsageTotals,
};
pub use service::chat::{ChatLimits, ChatService, Halt, PendingTurn, TurnOutcome, TurnRequest};
pub use service::events::{EventService, WaypointEdit};
pub use service::shares::ShareService;
pub use service::transfer::TransferService;
