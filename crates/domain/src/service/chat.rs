use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::{Fuse, FusedFuture};
use futures_util::{FutureExt, StreamExt, select};
use uuid::Uuid;

use crate::error::ServiceError;
use crate::models::answer::{CompletionNote, Interruption, LanguageModelError};
use crate::models::bulk_delete::{BulkDeleted, ChatSelection};
use crate::models::chat::{
    AnswerTiming, ChatMessage, ChatSession, MessageStatus, SessionWithMessages,
};
use crate::models::memory::{self, Recall};
use crate::models::prompt::{Prompt, ReplyChunk};
use crate::models::rules::{Blank, TextRule};
use crate::models::search::{SearchPage, SearchQuery};
use crate::models::session_edit::SessionEdit;
use crate::models::session_list::{Page, SessionFilter, SessionKey};
use crate::models::title::session_title;
use crate::models::usage::{self, Usage, UsageQuery};
use crate::ports::{
    ChatStore, ChatStoreError, EventStore, LanguageModel, Lease, ReplyStream, Stamps, StopRequest,
};
use crate::service::prompt::build_prompt;

/// Bounds on what a person may send and on what the model is sent, set by configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatLimits {
    /// Longest accepted message, in Unicode scalar values.
    pub max_message_chars: usize,
    /// How much earlier conversation (in characters) goes into a prompt; the newest is kept.
    pub max_history_chars: usize,
    /// How often the text of an answer being written is saved, which bounds what a crash
    /// can lose of it.
    pub checkpoint_every: Duration,
    /// How long this instance's claim on an answer holds without renewal: after it lapses,
    /// any instance may mark the answer interrupted.
    pub answer_lease: Duration,
    /// How much of the event's other chats (in characters) a prompt may recall; 0 turns
    /// memory off.
    pub memory_max_chars: usize,
}

impl ChatLimits {
    /// The defaults, which the command line shows and uses.
    pub const DEFAULT: Self = Self {
        max_message_chars: 32_000,
        max_history_chars: 48_000,
        checkpoint_every: Duration::from_secs(2),
        answer_lease: Duration::from_secs(15),
        memory_max_chars: 4_000,
    };

    /// The rule a question obeys.
    pub const fn message_rule(&self) -> TextRule {
        TextRule {
            max_chars: self.max_message_chars,
            blank: Blank::Refused,
        }
    }
}

impl Default for ChatLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One question as asked: a new chat (optionally about an event) or the next message of an
/// existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRequest {
    pub message: String,
    pub event_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    /// Whether the event's other chats may be recalled for this question (when memory is on).
    pub memory: bool,
}

/// A turn whose user message is committed, waiting for its answer. Holds no connection.
#[derive(Debug)]
pub struct PendingTurn {
    pub session: ChatSession,
    pub user_message: ChatMessage,
    /// The answer's row, stored as `generating` together with the question.
    pub answer: ChatMessage,
    /// Why the event's other chats were left out of the prompt, when recalling them failed:
    /// the question is asked all the same, and the caller says so in its log.
    pub recall_failed: Option<ServiceError>,
    prompt: Prompt,
}

/// Why an answer being written is halted before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// The server is shutting down and the grace period is over.
    Shutdown,
    /// Someone asked for this answer to stop.
    Stop,
}

impl From<Halt> for Interruption {
    fn from(halt: Halt) -> Self {
        match halt {
            Halt::Shutdown => Self::ServerShutdown,
            Halt::Stop => Self::Stopped,
        }
    }
}

/// How a turn ended.
#[derive(Debug)]
pub enum TurnOutcome {
    /// The answer is stored: complete, or interrupted with its reason (see its status).
    Stored(ChatMessage),
    /// The answer's last write failed, so the store holds at most its last checkpoint;
    /// `answer` is what would have been stored.
    NotSaved {
        answer: ChatMessage,
        cause: ChatStoreError,
    },
}

/// The chat use cases. Generic over its ports so tests use their mocks and the app can pass
/// trait objects.
pub struct ChatService<S: ?Sized, E: ?Sized, L: ?Sized> {
    store: Arc<S>,
    events: Arc<E>,
    model: Arc<L>,
    stamps: Stamps,
    limits: ChatLimits,
}

impl<S, E, L> ChatService<S, E, L>
where
    S: ChatStore + ?Sized,
    E: EventStore + ?Sized,
    L: LanguageModel + ?Sized,
{
    pub fn new(
        store: Arc<S>,
        events: Arc<E>,
        model: Arc<L>,
        stamps: Stamps,
        limits: ChatLimits,
    ) -> Self {
        Self {
            store,
            events,
            model,
            stamps,
            limits,
        }
    }

    pub fn limits(&self) -> ChatLimits {
        self.limits
    }

    /// The chats `filter` lets through, in list order; with a limit, also where the next
    /// page starts (`None` on the last page).
    pub async fn list_sessions(
        &self,
        filter: &SessionFilter,
    ) -> Result<(Vec<ChatSession>, Option<SessionKey>), ServiceError> {
        let Some(page) = filter.page else {
            return Ok((self.store.list_sessions(filter).await?, None));
        };
        // One more than the page tells whether another follows.
        let probe = SessionFilter {
            page: Some(Page {
                limit: page.limit.saturating_add(1),
                ..page
            }),
            ..filter.clone()
        };
        let mut sessions = self.store.list_sessions(&probe).await?;
        let next = (sessions.len() > page.limit).then(|| {
            sessions.truncate(page.limit);
            sessions.last().map(SessionKey::of)
        });
        Ok((sessions, next.flatten()))
    }

    pub async fn list_tags(
        &self,
        event_id: Option<Uuid>,
    ) -> Result<Vec<(String, u64)>, ServiceError> {
        Ok(self.store.list_tags(event_id).await?)
    }

    pub async fn get_session(&self, id: Uuid) -> Result<SessionWithMessages, ServiceError> {
        Ok(self.store.get_session(id).await?)
    }

    pub async fn search(&self, query: &SearchQuery) -> Result<SearchPage, ServiceError> {
        Ok(self.store.search(query).await?)
    }

    /// Usage figures, with a point for every bucket of the range.
    pub async fn usage(&self, query: &UsageQuery) -> Result<Usage, ServiceError> {
        let mut usage = self.store.usage(query).await?;
        usage.series = usage::fill(query, std::mem::take(&mut usage.series));
        Ok(usage)
    }

    /// Renames, pins or tags a chat; its place among the newest does not change.
    pub async fn edit_session(
        &self,
        id: Uuid,
        edit: &SessionEdit,
    ) -> Result<ChatSession, ServiceError> {
        Ok(self.store.edit_session(id, edit).await?)
    }

    /// Deletes many chats in one transaction; ids that are not there are listed, not an
    /// error.
    pub async fn delete_sessions(
        &self,
        which: &ChatSelection,
    ) -> Result<BulkDeleted, ServiceError> {
        let (deleted, deleted_messages) = self.store.delete_sessions(which).await?;
        let not_found = match which {
            ChatSelection::Ids(ids) => {
                let mut missing: Vec<Uuid> = Vec::new();
                for id in ids {
                    if !deleted.contains(id) && !missing.contains(id) {
                        missing.push(*id);
                    }
                }
                missing
            }
            ChatSelection::Event(_) => Vec::new(),
        };
        Ok(BulkDeleted {
            deleted: deleted.len() as u64,
            deleted_messages,
            not_found,
        })
    }

    /// Returns how many messages were deleted with the session.
    pub async fn delete_session(&self, id: Uuid) -> Result<u64, ServiceError> {
        Ok(self.store.delete_session(id).await?)
    }

    /// This instance's claim on the answers it writes.
    fn lease(&self) -> Lease {
        Lease {
            owner: self.stamps.instance,
            duration: self.limits.answer_lease,
        }
    }

    /// Extends this instance's claim on the answers it is writing (`live`); returns how
    /// many.
    pub async fn renew_leases(&self, live: &[Uuid]) -> Result<u64, ServiceError> {
        Ok(self.store.renew_leases(&self.lease(), live).await?)
    }

    /// Marks answers whose writer's lease lapsed (it died, or lost the database) as
    /// interrupted, keeping their saved text; returns their ids.
    pub async fn reap_expired(&self) -> Result<Vec<Uuid>, ServiceError> {
        Ok(self.store.reap_expired(self.limits.answer_lease).await?)
    }

    /// Asks whichever instance writes the answer to stop it.
    pub async fn request_stop(&self, answer_id: Uuid) -> Result<StopRequest, ServiceError> {
        Ok(self.store.request_stop(answer_id).await?)
    }

    /// The answers this instance writes that someone asked to stop.
    pub async fn stops_requested(&self) -> Result<Vec<Uuid>, ServiceError> {
        Ok(self.store.stops_requested(self.stamps.instance).await?)
    }

    /// One answer as stored (for a client that resumes it).
    pub async fn get_answer(&self, answer_id: Uuid) -> Result<ChatMessage, ServiceError> {
        Ok(self.store.get_answer(answer_id).await?)
    }

    /// Stores the question with the (empty, `generating`) row of its answer, in a new session
    /// titled after it when none is named.
    async fn store_question(
        &self,
        session_id: Option<Uuid>,
        event_id: Option<Uuid>,
        message: String,
        sources: Option<serde_json::Value>,
    ) -> Result<(ChatSession, ChatMessage, ChatMessage), ServiceError> {
        let now = self.stamps.clock.now();
        let question_and_answer = |id: Uuid, message: String| {
            [
                ChatMessage::from_user(self.stamps.ids.new_id(), id, message, now),
                ChatMessage {
                    sources: sources.clone(),
                    ..ChatMessage::generating(self.stamps.ids.new_id(), id, now)
                },
            ]
        };
        let (session, [question, answer]) = match session_id {
            Some(id) => {
                let messages = question_and_answer(id, message);
                let session = self.store.append_messages(&messages, &self.lease()).await?;
                (session, messages)
            }
            None => {
                let session = ChatSession {
                    id: self.stamps.ids.new_id(),
                    event_id,
                    title: session_title(&message),
                    pinned: false,
                    tags: Vec::new(),
                    created_at: now,
                    updated_at: now,
                };
                let messages = question_and_answer(session.id, message);
                let lease = self.lease();
                self.store
                    .create_session(&session, &messages, &lease)
                    .await?;
                (session, messages)
            }
        };
        Ok((session, question, answer))
    }

    /// First half of a chat turn: checks the request (an unknown session or event is
    /// `NotFound` and nothing is created), commits the user message (with a new session
    /// when none is named) and prepares the prompt. Everything that can refuse the request
    /// happens here, before any answer streams.
    pub async fn begin_turn(&self, request: TurnRequest) -> Result<PendingTurn, ServiceError> {
        let broken = self
            .limits
            .message_rule()
            .check("message", &request.message);
        ServiceError::invalid_if_any(broken.into_iter().collect())?;
        // A continued chat keeps its own event, whatever the request says.
        let (history, event_id) = match request.session_id {
            Some(id) => {
                let existing = self
                    .store
                    .get_recent_history(id, self.limits.max_history_chars)
                    .await?;
                // One answer at a time per chat.
                if let Some(busy) = existing
                    .messages
                    .iter()
                    .find(|m| m.status == MessageStatus::Generating)
                {
                    return Err(ServiceError::AnswerInProgress(busy.id));
                }
                let event_id = existing.session.event_id;
                (existing.messages, event_id)
            }
            None => (Vec::new(), request.event_id),
        };
        let (event, recalled) = match event_id {
            Some(id) => {
                let recall = self.wants_recall(&request).then(|| Recall {
                    event_id: id,
                    exclude_session: request.session_id,
                    question: &request.message,
                    limit: RECALLED,
                });
                let read = self
                    .events
                    .get_event_for_prompt(id, recall.as_ref())
                    .await?;
                (Some((read.event, read.waypoints)), read.recalled)
            }
            None => (None, None),
        };
        // What earlier chats said is extra: a recall that failed (a slow statement past its
        // deadline) leaves it out rather than refusing the question.
        let (passages, recall_failed) = match recalled {
            None => (Vec::new(), None),
            Some(Ok(found)) => {
                let said: Vec<&str> = history.iter().map(|m| m.content.as_str()).collect();
                let fitting = memory::fitting(found, &said, self.limits.memory_max_chars);
                (fitting, None)
            }
            Some(Err(error)) => (Vec::new(), Some(ServiceError::from(error))),
        };
        let prompt = build_prompt(
            event.as_ref().map(|(e, w)| (e, w.as_slice())),
            memory::section(&passages).as_deref(),
            &history,
            &request.message,
            self.limits.max_history_chars,
        );
        let sources = memory::sources(event.as_ref().map(|(e, _)| e), &passages);
        let (session, user_message, answer) = self
            .store_question(request.session_id, event_id, request.message, sources)
            .await?;
        Ok(PendingTurn {
            session,
            user_message,
            answer,
            recall_failed,
            prompt,
        })
    }

    /// Second half: streams the model's answer (each piece of text goes to `on_text` as it
    /// arrives), then writes the answer's final state: complete, or interrupted with the
    /// text that arrived and the reason. When `halt` resolves first (shutdown, or someone
    /// asked to stop), the answer so far is stored as interrupted.
    pub async fn answer(
        &self,
        turn: PendingTurn,
        on_text: impl FnMut(&str) + Send,
        halt: impl Future<Output = Halt> + Send,
    ) -> TurnOutcome {
        let mut answer = turn.answer;
        let asked = self.stamps.clock.now();
        let mut first_text = None;
        let ended = self
            .stream(turn.prompt, &mut answer, &mut first_text, on_text, halt)
            .await;
        answer.status = match ended {
            Ok(()) => MessageStatus::Complete,
            Err(why) => MessageStatus::Interrupted(why),
        };
        answer.timing = Some(AnswerTiming {
            first_text_ms: first_text.map(|at| millis_between(asked, at)),
            total_ms: millis_between(asked, self.stamps.clock.now()),
        });
        self.finish(answer).await
    }

    /// Fills `answer` from the model: its text as it streams, then what the model says of
    /// its finish. `Err` says why it ended early. The text is saved every `checkpoint_every`
    /// alongside: a slow database delays a save, never the next piece of text.
    async fn stream(
        &self,
        prompt: Prompt,
        answer: &mut ChatMessage,
        first_text: &mut Option<DateTime<Utc>>,
        mut on_text: impl FnMut(&str) + Send,
        halt: impl Future<Output = Halt> + Send,
    ) -> Result<(), Interruption> {
        let mut halt = pin!(halt.fuse());
        let mut reply = select! {
            why = halt => return Err(why.into()),
            reply = self.open_reply(&prompt, &mut answer.note).fuse() => {
                reply.map_err(Interruption::ModelFailed)?.fuse()
            }
        };
        let mut checkpoint = Checkpoint::new(self.stamps.clock.now(), self.limits.checkpoint_every);
        let mut saving: Pin<&mut Fuse<Saving<'_>>> = pin!(Fuse::terminated());
        let ended = loop {
            select! {
                why = halt => break Err(why.into()),
                () = saving => {}
                item = reply.next() => match item {
                    Some(Ok(ReplyChunk::Text(piece))) => {
                        on_text(&piece);
                        answer.content.push_str(&piece);
                        let now = self.stamps.clock.now();
                        first_text.get_or_insert(now);
                        if saving.is_terminated() && checkpoint.is_due(now) {
                            saving.set(self.save_progress(answer.id, answer.content.clone()).fuse());
                        }
                    }
                    Some(Ok(ReplyChunk::Finished { finish_reason, model, usage })) => {
                        // A cut answer's note outweighs the shortened history's.
                        answer.note = CompletionNote::for_finish(&finish_reason).or(answer.note);
                        answer.finish_reason = Some(finish_reason);
                        answer.model = model;
                        answer.usage = usage;
                        break Ok(());
                    }
                    Some(Err(error)) => break Err(Interruption::ModelFailed(error)),
                    None => break Err(Interruption::CutOff),
                },
            }
        };
        // A save still on its way ends (within the store's deadline) before the final write.
        if !saving.is_terminated() {
            saving.await;
        }
        ended
    }

    /// Asks the model. A prompt longer than the model's context is ours to fix, not the
    /// person's: it is asked once more with the older half of the conversation left out,
    /// and the answer's `note` says so.
    async fn open_reply(
        &self,
        prompt: &Prompt,
        note: &mut Option<CompletionNote>,
    ) -> Result<ReplyStream, LanguageModelError> {
        match self.model.stream_reply(prompt).await {
            Err(LanguageModelError::ContextTooLong(detail)) => {
                let Some(shorter) = prompt.with_history_halved() else {
                    return Err(LanguageModelError::ContextTooLong(detail));
                };
                let reply = self.model.stream_reply(&shorter).await?;
                *note = Some(CompletionNote::HistoryShortened);
                Ok(reply)
            }
            reply => reply,
        }
    }

    /// Best effort: the final write is the one that counts, so a failed checkpoint only
    /// means a crash now would lose more.
    fn save_progress(&self, id: Uuid, text: String) -> Saving<'_> {
        Box::pin(async move {
            let _ = self
                .store
                .save_progress(id, self.stamps.instance, &text)
                .await;
        })
    }

    /// The answer's last write. `NotSaved` gives the answer back, so the caller may try
    /// again while the database is unreachable.
    pub async fn finish(&self, answer: ChatMessage) -> TurnOutcome {
        let owner = self.stamps.instance;
        match self
            .store
            .finish_message(&answer, owner, self.stamps.clock.now())
            .await
        {
            Ok(_) => TurnOutcome::Stored(answer),
            Err(cause) => TurnOutcome::NotSaved { answer, cause },
        }
    }

    /// Whether the event's other chats are searched for what bears on the question: not
    /// when memory is off, for the server or for this question.
    fn wants_recall(&self, request: &TurnRequest) -> bool {
        request.memory && self.limits.memory_max_chars > 0
    }
}

/// Whole milliseconds from `from` to `to`; none when the clock stepped back.
fn millis_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
    u32::try_from((to - from).num_milliseconds().max(0)).unwrap_or(u32::MAX)
}

/// How many passages the store is asked for; the budget in characters then keeps the best
/// that fit.
const RECALLED: usize = 12;

/// A checkpoint being written.
type Saving<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// When the text of an answer being written is next saved.
struct Checkpoint {
    last: DateTime<Utc>,
    every: TimeDelta,
}

impl Checkpoint {
    fn new(now: DateTime<Utc>, every: Duration) -> Self {
        Self {
            last: now,
            every: TimeDelta::from_std(every).unwrap_or(TimeDelta::MAX),
        }
    }

    /// True at most once per interval; a clock that steps back only delays the next one.
    fn is_due(&mut self, now: DateTime<Utc>) -> bool {
        let due = now - self.last >= self.every;
        if due {
            self.last = now;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::{DateTime, TimeZone, Utc};
    use futures_util::stream;
    use mockall::Sequence;
    use mockall::predicate::eq;

    use super::*;
    use crate::error::Missing;
    use crate::models::chat::{Role, TokenUsage};
    use crate::models::event::{Event, EventFields};
    use crate::models::memory::Passage;
    use crate::models::prompt::PromptRole;
    use crate::ports::{
        ChatStoreError, EventForPrompt, EventStoreError, LanguageModelError, MockChatStore,
        MockClock, MockEventStore, MockIdSource, MockLanguageModel, ReplyStream,
    };

    type Service = ChatService<MockChatStore, MockEventStore, MockLanguageModel>;

    const OWNER: Uuid = Uuid::from_u128(0xA11CE);

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 27, 5, 0, 0).unwrap()
    }

    fn service_with(
        store: MockChatStore,
        events: MockEventStore,
        model: MockLanguageModel,
    ) -> Service {
        let mut clock = MockClock::new();
        clock.expect_now().returning(at);
        let mut ids = MockIdSource::new();
        let mut n = 0u128;
        ids.expect_new_id().returning(move || {
            n += 1;
            Uuid::from_u128(n)
        });
        let limits = ChatLimits {
            max_message_chars: 100,
            max_history_chars: 1_000,
            ..ChatLimits::DEFAULT
        };
        ChatService::new(
            Arc::new(store),
            Arc::new(events),
            Arc::new(model),
            Stamps {
                clock: Arc::new(clock),
                ids: Arc::new(ids),
                instance: OWNER,
            },
            limits,
        )
    }

    fn service(store: MockChatStore) -> Service {
        service_with(store, MockEventStore::new(), MockLanguageModel::new())
    }

    fn session(id: u128, event_id: Option<Uuid>) -> ChatSession {
        ChatSession {
            id: Uuid::from_u128(id),
            event_id,
            title: "t".into(),
            pinned: false,
            tags: Vec::new(),
            created_at: at(),
            updated_at: at(),
        }
    }

    fn event(id: Uuid) -> Event {
        Event {
            id,
            fields: EventFields {
                name: "Leadville 100".into(),
                planned_date: None,
                distance: Some(100.0),
                target_duration_minutes: Some(1_500),
                elevation_gain_adjustment_percent: None,
                elevation_descent_adjustment_percent: None,
                fatigue_slowdown_percent: None,
            },
            created_at: at(),
            updated_at: at(),
        }
    }

    fn reply(items: Vec<Result<ReplyChunk, LanguageModelError>>) -> ReplyStream {
        Box::pin(stream::iter(items))
    }

    fn finished() -> Result<ReplyChunk, LanguageModelError> {
        Ok(ReplyChunk::Finished {
            finish_reason: "stop".into(),
            model: Some("gpt-test".into()),
            usage: Some(TokenUsage {
                prompt_tokens: Some(10),
                completion_tokens: Some(3),
                total_tokens: Some(13),
            }),
        })
    }

    fn text(piece: &str) -> Result<ReplyChunk, LanguageModelError> {
        Ok(ReplyChunk::Text(piece.into()))
    }

    fn request(message: &str, event_id: Option<Uuid>, session_id: Option<Uuid>) -> TurnRequest {
        TurnRequest {
            memory: true,
            message: message.into(),
            event_id,
            session_id,
        }
    }

    fn never() -> futures_util::future::Pending<Halt> {
        futures_util::future::pending()
    }

    /// A store that accepts the user message of a new session and captures the answer.
    fn store_capturing_answer(answer: Arc<Mutex<Option<ChatMessage>>>) -> MockChatStore {
        let mut store = MockChatStore::new();
        store.expect_create_session().returning(|_, _, _| Ok(()));
        store.expect_finish_message().returning(move |m, _, _| {
            *answer.lock().unwrap() = Some(m.clone());
            Ok(session(1, None))
        });
        store
    }

    #[tokio::test]
    async fn a_new_chat_stores_its_session_titled_after_the_question_with_the_question_and_a_generating_answer()
     {
        let mut store = MockChatStore::new();
        store
            .expect_create_session()
            .withf(|session, messages, lease| {
                let [question, answer] = messages else {
                    return false;
                };
                session.id == Uuid::from_u128(1)
                    && session.event_id.is_none()
                    && session.title == "Pacing for the first 30 miles?"
                    && session.created_at == at()
                    && session.updated_at == at()
                    && question.id == Uuid::from_u128(2)
                    && question.session_id == session.id
                    && question.role == Role::User
                    && question.status == MessageStatus::Complete
                    && question.content == "  Pacing for the\n first 30 miles? "
                    && answer.id == Uuid::from_u128(3)
                    && answer.session_id == session.id
                    && answer.role == Role::Assistant
                    && answer.status == MessageStatus::Generating
                    && answer.content.is_empty()
                    && lease
                        == &Lease {
                            owner: OWNER,
                            duration: ChatLimits::DEFAULT.answer_lease,
                        }
            })
            .times(1)
            .returning(|_, _, _| Ok(()));

        let turn = service(store)
            .begin_turn(request("  Pacing for the\n first 30 miles? ", None, None))
            .await
            .unwrap();

        assert_eq!(turn.session.title, "Pacing for the first 30 miles?");
        assert_eq!(turn.user_message.session_id, turn.session.id);
        assert_eq!(turn.answer.status, MessageStatus::Generating);
    }

    #[tokio::test]
    async fn a_blank_message_is_rejected_before_anything_is_stored() {
        let store = MockChatStore::new(); // any call would panic: no expectations
        let result = service(store)
            .begin_turn(request(" \n\t ", None, None))
            .await;
        assert!(
            matches!(result, Err(ServiceError::Invalid(errors)) if errors[0].field == "message")
        );
    }

    #[tokio::test]
    async fn a_message_over_the_limit_is_rejected_before_anything_is_stored() {
        let store = MockChatStore::new();
        let result = service(store)
            .begin_turn(request(&"x".repeat(101), None, Some(Uuid::from_u128(5))))
            .await;
        assert!(matches!(result, Err(ServiceError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_message_at_the_limit_counts_characters_not_bytes() {
        let mut store = MockChatStore::new();
        store
            .expect_create_session()
            .times(1)
            .returning(|_, _, _| Ok(()));
        let result = service(store)
            .begin_turn(request(&"é".repeat(100), None, None))
            .await;
        assert!(result.is_ok());
    }

    #[tokio::test]
    async fn a_turn_on_an_unknown_event_is_not_found_and_creates_nothing() {
        let mut events = MockEventStore::new();
        events
            .expect_get_event_for_prompt()
            .returning(|_, _| Err(EventStoreError::EventNotFound));
        let chat = service_with(MockChatStore::new(), events, MockLanguageModel::new());
        let result = chat
            .begin_turn(request("hi", Some(Uuid::from_u128(7)), None))
            .await;
        assert!(matches!(
            result,
            Err(ServiceError::NotFound(Missing::Event))
        ));
    }

    #[tokio::test]
    async fn a_turn_on_an_unknown_session_is_not_found_and_stores_nothing() {
        let mut store = MockChatStore::new();
        store
            .expect_get_recent_history()
            .returning(|_, _| Err(ChatStoreError::SessionNotFound));
        let result = service(store)
            .begin_turn(request("hi", None, Some(Uuid::from_u128(8))))
            .await;
        assert!(matches!(
            result,
            Err(ServiceError::NotFound(Missing::ChatSession))
        ));
    }

    #[tokio::test]
    async fn a_new_turn_stores_the_question_before_the_model_is_asked_then_stores_the_answer_streamed()
     {
        let event_id = Uuid::from_u128(50);
        let mut seq = Sequence::new();
        let mut events = MockEventStore::new();
        let mut store = MockChatStore::new();
        let mut model = MockLanguageModel::new();
        events
            .expect_get_event_for_prompt()
            .withf(move |id, recall| {
                *id == event_id
                    && recall.is_some_and(|r| r.event_id == event_id && r.exclude_session.is_none())
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|id, _| Ok(read(id, Some(Ok(Vec::new())))));
        // The answer's row cites the event whose details the prompt holds.
        store
            .expect_create_session()
            .withf(move |_, messages, _| {
                messages[1].sources
                    == Some(serde_json::json!([{"type": "event", "event_id": event_id, "name": "Leadville 100"}]))
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(()));
        model
            .expect_stream_reply()
            .withf(|prompt| {
                prompt.messages.len() == 2
                    && prompt.messages[0].role == PromptRole::System
                    && prompt.messages[0].content.contains("Leadville 100")
                    && prompt.messages[1].content == "How fast should I start?"
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(reply(vec![text("Start "), text("slow."), finished()])));
        store
            .expect_finish_message()
            .withf(|m, owner, _| {
                *owner == OWNER
                    && m.role == Role::Assistant
                    && m.content == "Start slow."
                    && m.status == MessageStatus::Complete
                    && m.finish_reason.as_deref() == Some("stop")
                    && m.model.as_deref() == Some("gpt-test")
                    && m.usage.and_then(|u| u.total_tokens) == Some(13)
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|m, _, _| Ok(session(m.session_id.as_u128(), None)));
        let chat = service_with(store, events, model);

        let turn = chat
            .begin_turn(request("How fast should I start?", Some(event_id), None))
            .await
            .unwrap();
        assert_eq!(turn.session.event_id, Some(event_id));
        assert_eq!(turn.user_message.content, "How fast should I start?");
        let mut streamed = Vec::new();
        let outcome = chat
            .answer(turn, |piece| streamed.push(piece.to_owned()), never())
            .await;

        assert_eq!(streamed, ["Start ", "slow."]);
        assert!(
            matches!(outcome, TurnOutcome::Stored(m) if m.content == "Start slow." && m.status == MessageStatus::Complete)
        );
    }

    #[tokio::test]
    async fn a_continued_turn_sends_the_history_and_keeps_the_sessions_event() {
        let event_id = Uuid::from_u128(60);
        let session_id = Uuid::from_u128(61);
        let mut store = MockChatStore::new();
        // Only the history a prompt can use is asked for, with the configured budget.
        store
            .expect_get_recent_history()
            .withf(|_, max| *max == 1_000)
            .returning(move |id, _| {
                let mut previous_answer = ChatMessage::from_user(
                    Uuid::from_u128(71),
                    id,
                    "Walk the climbs.".into(),
                    at(),
                );
                previous_answer.role = Role::Assistant;
                Ok(SessionWithMessages {
                    session: session(id.as_u128(), Some(event_id)),
                    messages: vec![
                        ChatMessage::from_user(Uuid::from_u128(70), id, "Hills?".into(), at()),
                        previous_answer,
                    ],
                })
            });
        store
            .expect_append_messages()
            .withf(move |messages, _| {
                let [question, answer] = messages else {
                    return false;
                };
                question.session_id == session_id
                    && question.role == Role::User
                    && question.content == "And the descents?"
                    && answer.session_id == session_id
                    && answer.status == MessageStatus::Generating
            })
            .times(1)
            .returning(move |_, _| Ok(session(61, Some(event_id))));
        // The request names no event: the session's own is used. The event's other chats
        // are recalled, this one left out; a passage the history already holds is not
        // repeated.
        let mut events = MockEventStore::new();
        events
            .expect_get_event_for_prompt()
            .withf(move |id, recall| {
                *id == event_id
                    && recall.is_some_and(|r| {
                        r.exclude_session == Some(session_id) && r.question == "And the descents?"
                    })
            })
            .times(1)
            .returning(|id, _| {
                Ok(read(
                    id,
                    Some(Ok(vec![
                        passage(90, "Walk the climbs."),
                        passage(91, "Poles help on the descents."),
                    ])),
                ))
            });
        let chat = service_with(store, events, MockLanguageModel::new());

        let turn = chat
            .begin_turn(request("And the descents?", None, Some(session_id)))
            .await
            .unwrap();

        let contents: Vec<_> = turn
            .prompt
            .messages
            .iter()
            .map(|m| m.content.as_str())
            .collect();
        assert!(contents[0].contains("Leadville 100"));
        assert!(
            contents[0].contains("--- chat \"Poles\", 27 June 2026:\nPoles help on the descents.")
        );
        assert!(!contents[0].contains("--- chat \"Poles\", 27 June 2026:\nWalk the climbs."));
        assert_eq!(
            contents[1..],
            ["Hills?", "Walk the climbs.", "And the descents?"]
        );
        let Some(serde_json::Value::Array(sources)) = &turn.answer.sources else {
            panic!("no sources");
        };
        assert_eq!(sources.len(), 2);
        assert_eq!(sources[1]["message_id"], Uuid::from_u128(91).to_string());
    }

    fn read(id: Uuid, recalled: Option<Result<Vec<Passage>, EventStoreError>>) -> EventForPrompt {
        EventForPrompt {
            event: event(id),
            waypoints: Vec::new(),
            recalled,
        }
    }

    fn passage(id: u128, text: &str) -> Passage {
        Passage {
            session_id: Uuid::from_u128(id + 100),
            message_id: Uuid::from_u128(id),
            title: "Poles".into(),
            text: text.into(),
            created_at: at(),
        }
    }

    #[tokio::test]
    async fn a_failed_recall_leaves_memory_out_and_the_question_is_still_asked() {
        let mut events = MockEventStore::new();
        events.expect_get_event_for_prompt().returning(|id, _| {
            let timeout = EventStoreError::Unavailable("statement timeout".into());
            Ok(read(id, Some(Err(timeout))))
        });
        let mut store = MockChatStore::new();
        store
            .expect_create_session()
            .times(1)
            .returning(|_, _, _| Ok(()));
        let chat = service_with(store, events, MockLanguageModel::new());
        let turn = chat
            .begin_turn(request("hi", Some(Uuid::from_u128(7)), None))
            .await
            .unwrap();
        assert!(!turn.prompt.messages[0].content.contains("earlier chats"));
        assert!(
            matches!(turn.recall_failed, Some(ServiceError::Unavailable(_))),
            "{:?}",
            turn.recall_failed
        );
    }

    #[tokio::test]
    async fn memory_off_for_the_question_or_the_server_recalls_nothing() {
        for (memory, limit) in [(false, 4_000), (true, 0)] {
            let mut events = MockEventStore::new();
            // No recall is asked for.
            events
                .expect_get_event_for_prompt()
                .withf(|_, recall| recall.is_none())
                .returning(|id, _| Ok(read(id, None)));
            let mut store = MockChatStore::new();
            store.expect_create_session().returning(|_, _, _| Ok(()));
            let mut chat = service_with(store, events, MockLanguageModel::new());
            chat.limits.memory_max_chars = limit;
            let turn = chat
                .begin_turn(TurnRequest {
                    memory,
                    ..request("hi", Some(Uuid::from_u128(7)), None)
                })
                .await
                .unwrap();
            assert!(!turn.prompt.messages[0].content.contains("earlier chats"));
        }
    }

    async fn run_turn(
        model: MockLanguageModel,
        stop: impl Future<Output = Halt> + Send,
    ) -> (TurnOutcome, Option<ChatMessage>, String) {
        let answer = Arc::new(Mutex::new(None));
        let chat = service_with(
            store_capturing_answer(answer.clone()),
            MockEventStore::new(),
            model,
        );
        let turn = chat.begin_turn(request("hi", None, None)).await.unwrap();
        let mut streamed = String::new();
        let outcome = chat
            .answer(turn, |piece| streamed.push_str(piece), stop)
            .await;
        let stored = answer.lock().unwrap().clone();
        (outcome, stored, streamed)
    }

    fn interruption(message: &ChatMessage) -> &Interruption {
        match &message.status {
            MessageStatus::Interrupted(why) => why,
            other => panic!("not interrupted: {other:?}"),
        }
    }

    fn stored_interrupted(outcome: &TurnOutcome) -> bool {
        matches!(outcome, TurnOutcome::Stored(m) if matches!(m.status, MessageStatus::Interrupted(_)))
    }

    #[tokio::test]
    async fn a_model_that_fails_before_answering_leaves_an_empty_interrupted_answer_with_the_reason()
     {
        let mut model = MockLanguageModel::new();
        model.expect_stream_reply().returning(|_| {
            Err(LanguageModelError::Failed(
                "The model service failed (HTTP 500)".into(),
            ))
        });
        let (outcome, stored, streamed) = run_turn(model, never()).await;
        let stored = stored.unwrap();
        assert_eq!((stored.content.as_str(), streamed.as_str()), ("", ""));
        assert_eq!(
            interruption(&stored),
            &Interruption::ModelFailed(LanguageModelError::Failed(
                "The model service failed (HTTP 500)".into()
            ))
        );
        assert!(stored_interrupted(&outcome));
    }

    #[tokio::test]
    async fn a_stream_that_breaks_mid_answer_keeps_exactly_the_text_that_arrived() {
        let mut model = MockLanguageModel::new();
        model.expect_stream_reply().returning(|_| {
            Ok(reply(vec![
                text("Eat 60"),
                text(" g of carbs"),
                Err(LanguageModelError::Interrupted("connection reset".into())),
            ]))
        });
        let (outcome, stored, streamed) = run_turn(model, never()).await;
        let stored = stored.unwrap();
        assert_eq!(stored.content, "Eat 60 g of carbs");
        assert_eq!(stored.content, streamed);
        assert_eq!(
            interruption(&stored),
            &Interruption::ModelFailed(LanguageModelError::Interrupted("connection reset".into()))
        );
        assert_eq!(stored.finish_reason, None);
        assert!(stored_interrupted(&outcome));
    }

    #[tokio::test]
    async fn a_stream_that_ends_without_a_finish_is_interrupted_not_finished() {
        let mut model = MockLanguageModel::new();
        model
            .expect_stream_reply()
            .returning(|_| Ok(reply(vec![text("Half an ans")])));
        let (_, stored, _) = run_turn(model, never()).await;
        let stored = stored.unwrap();
        assert_eq!(stored.content, "Half an ans");
        assert_eq!(interruption(&stored), &Interruption::CutOff);
    }

    fn finished_with(reason: &str) -> Result<ReplyChunk, LanguageModelError> {
        Ok(ReplyChunk::Finished {
            finish_reason: reason.into(),
            model: None,
            usage: None,
        })
    }

    #[tokio::test]
    async fn an_answer_cut_at_the_length_limit_or_by_the_content_filter_is_stored_with_a_note() {
        for (reason, note) in [
            ("length", Some(CompletionNote::Length)),
            ("content_filter", Some(CompletionNote::ContentFilter)),
            ("stop", None),
        ] {
            let mut model = MockLanguageModel::new();
            model
                .expect_stream_reply()
                .returning(move |_| Ok(reply(vec![text("Walk the"), finished_with(reason)])));
            let (_, stored, _) = run_turn(model, never()).await;
            let stored = stored.unwrap();
            assert_eq!(stored.status, MessageStatus::Complete);
            assert_eq!(
                (stored.note, stored.finish_reason.as_deref()),
                (note, Some(reason))
            );
        }
    }

    /// "And now?" asked in a chat with `history` (question, answer, ...): the stored answer.
    async fn answer_in_continued_chat(
        history: &'static [&'static str],
        model: MockLanguageModel,
    ) -> ChatMessage {
        let mut store = MockChatStore::new();
        store.expect_get_recent_history().returning(move |id, _| {
            let mut messages: Vec<ChatMessage> = (0u128..)
                .zip(history)
                .map(|(n, text)| {
                    ChatMessage::from_user(Uuid::from_u128(100 + n), id, (*text).into(), at())
                })
                .collect();
            for answer in messages.iter_mut().skip(1).step_by(2) {
                answer.role = Role::Assistant;
            }
            Ok(SessionWithMessages {
                session: session(id.as_u128(), None),
                messages,
            })
        });
        store
            .expect_append_messages()
            .returning(|messages, _| Ok(session(messages[0].session_id.as_u128(), None)));
        let answer = Arc::new(Mutex::new(None));
        let captured = answer.clone();
        store.expect_finish_message().returning(move |m, _, _| {
            *captured.lock().unwrap() = Some(m.clone());
            Ok(session(1, None))
        });
        let chat = service_with(store, MockEventStore::new(), model);
        let turn = chat
            .begin_turn(request("And now?", None, Some(Uuid::from_u128(5))))
            .await
            .unwrap();
        chat.answer(turn, |_| {}, never()).await;
        answer.lock().unwrap().clone().unwrap()
    }

    #[tokio::test]
    async fn a_context_too_long_is_asked_again_once_with_the_older_half_left_out_and_says_so() {
        const HISTORY: [&str; 4] = ["Old question", "Old answer!", "New question", "New answer!"];
        let mut seq = Sequence::new();
        let mut model = MockLanguageModel::new();
        model
            .expect_stream_reply()
            .withf(|prompt| prompt.messages.len() == 6)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| {
                Err(LanguageModelError::ContextTooLong(
                    "maximum context length".into(),
                ))
            });
        model
            .expect_stream_reply()
            .withf(|prompt| {
                let texts: Vec<&str> = prompt.messages.iter().map(|m| m.content.as_str()).collect();
                texts[1..] == ["New question", "New answer!", "And now?"]
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(reply(vec![text("Fine."), finished()])));
        let stored = answer_in_continued_chat(&HISTORY, model).await;
        assert_eq!(stored.status, MessageStatus::Complete);
        assert_eq!(stored.note, Some(CompletionNote::HistoryShortened));
    }

    #[tokio::test]
    async fn a_context_still_too_long_or_with_no_history_to_leave_out_is_the_reason() {
        // Asked twice (the second time shorter), then given up.
        let mut model = MockLanguageModel::new();
        model
            .expect_stream_reply()
            .times(2)
            .returning(|_| Err(LanguageModelError::ContextTooLong("too long".into())));
        let stored = answer_in_continued_chat(&["Q", "A"], model).await;
        assert_eq!(interruption(&stored).code(), "model_context_too_long");
        assert_eq!(stored.note, None);

        // A new chat has nothing to leave out: asked once.
        let mut model = MockLanguageModel::new();
        model
            .expect_stream_reply()
            .times(1)
            .returning(|_| Err(LanguageModelError::ContextTooLong("too long".into())));
        let (_, stored, _) = run_turn(model, never()).await;
        assert_eq!(
            interruption(&stored.unwrap()).code(),
            "model_context_too_long"
        );
    }

    /// Runs a turn whose model sends one piece and then nothing, halted for `why` once the
    /// piece is out.
    async fn halted_turn(why: Halt) -> (TurnOutcome, ChatMessage, String) {
        let mut model = MockLanguageModel::new();
        model.expect_stream_reply().returning(|_| {
            let first = stream::iter(vec![text("Keep going")]);
            Ok(Box::pin(first.chain(stream::pending())))
        });
        // `halt` resolves when the handle aborts the pending future it wraps.
        let (until_aborted, halt_handle) =
            futures_util::future::abortable(futures_util::future::pending::<()>());
        let halt = async move {
            let _ = until_aborted.await;
            why
        };
        let halter = async {
            tokio::task::yield_now().await;
            halt_handle.abort();
        };
        let ((outcome, stored, streamed), ()) = futures_util::join!(run_turn(model, halt), halter);
        (outcome, stored.unwrap(), streamed)
    }

    #[tokio::test]
    async fn a_shutdown_stores_the_answer_so_far_as_interrupted() {
        let (outcome, stored, streamed) = halted_turn(Halt::Shutdown).await;
        assert_eq!(
            (stored.content.as_str(), streamed.as_str()),
            ("Keep going", "Keep going")
        );
        assert_eq!(interruption(&stored), &Interruption::ServerShutdown);
        assert!(stored_interrupted(&outcome));
    }

    #[tokio::test]
    async fn a_stop_stores_the_answer_so_far_as_stopped() {
        let (outcome, stored, _) = halted_turn(Halt::Stop).await;
        assert_eq!(stored.content, "Keep going");
        assert_eq!(interruption(&stored), &Interruption::Stopped);
        assert!(stored_interrupted(&outcome));
    }

    #[tokio::test]
    async fn when_the_answer_cannot_be_saved_the_turn_fails_and_says_so() {
        let mut store = MockChatStore::new();
        store.expect_create_session().returning(|_, _, _| Ok(()));
        store
            .expect_finish_message()
            .returning(|_, _, _| Err(ChatStoreError::Unavailable("down".into())));
        let mut model = MockLanguageModel::new();
        model
            .expect_stream_reply()
            .returning(|_| Ok(reply(vec![text("ok"), finished()])));
        let chat = service_with(store, MockEventStore::new(), model);
        let turn = chat.begin_turn(request("hi", None, None)).await.unwrap();
        let outcome = chat.answer(turn, |_| {}, never()).await;
        assert!(matches!(
            outcome,
            TurnOutcome::NotSaved { answer, cause: ChatStoreError::Unavailable(_) }
                if answer.content == "ok" && answer.status == MessageStatus::Complete
        ));
    }

    #[tokio::test]
    async fn the_text_so_far_is_saved_once_per_checkpoint_interval_while_the_answer_streams() {
        let saved = Arc::new(Mutex::new(Vec::new()));
        let mut store = MockChatStore::new();
        store.expect_create_session().returning(|_, _, _| Ok(()));
        let saved_in_store = saved.clone();
        store.expect_save_progress().returning(move |id, _, text| {
            saved_in_store.lock().unwrap().push((id, text.to_owned()));
            Ok(())
        });
        store
            .expect_finish_message()
            .withf(|m, _, _| m.content == "a b c d e" && m.status == MessageStatus::Complete)
            .times(1)
            .returning(|_, _, _| Ok(session(1, None)));
        let mut model = MockLanguageModel::new();
        model.expect_stream_reply().returning(|_| {
            let pieces = ["a", " b", " c", " d", " e"].map(text);
            Ok(reply(pieces.into_iter().chain([finished()]).collect()))
        });
        // Each reading of the clock is one second later; a checkpoint is due every two.
        let mut clock = MockClock::new();
        let mut tick = 0;
        clock.expect_now().returning(move || {
            tick += 1;
            at() + TimeDelta::seconds(tick)
        });
        let mut ids = MockIdSource::new();
        let mut n = 0u128;
        ids.expect_new_id().returning(move || {
            n += 1;
            Uuid::from_u128(n)
        });
        let chat = ChatService::new(
            Arc::new(store),
            Arc::new(MockEventStore::new()),
            Arc::new(model),
            Stamps {
                clock: Arc::new(clock),
                ids: Arc::new(ids),
                instance: OWNER,
            },
            ChatLimits {
                checkpoint_every: Duration::from_secs(2),
                ..ChatLimits::default()
            },
        );
        let turn = chat.begin_turn(request("hi", None, None)).await.unwrap();
        let answer_id = turn.answer.id;

        let outcome = chat.answer(turn, |_| {}, never()).await;

        assert!(matches!(outcome, TurnOutcome::Stored(_)));
        assert_eq!(
            *saved.lock().unwrap(),
            [
                (answer_id, "a b".to_owned()),
                (answer_id, "a b c d".to_owned())
            ]
        );
    }

    #[tokio::test]
    async fn leases_are_renewed_as_this_instance_and_lapsed_ones_reaped() {
        let mut store = MockChatStore::new();
        let writing = [Uuid::from_u128(4)];
        store
            .expect_renew_leases()
            .withf(move |lease, live| {
                lease.owner == OWNER
                    && lease.duration == ChatLimits::DEFAULT.answer_lease
                    && live == writing
            })
            .times(1)
            .returning(|_, _| Ok(3));
        store
            .expect_reap_expired()
            .with(eq(ChatLimits::DEFAULT.answer_lease))
            .times(1)
            .returning(|_| Ok(vec![Uuid::from_u128(9)]));
        store
            .expect_stops_requested()
            .with(eq(OWNER))
            .times(1)
            .returning(|_| Ok(vec![]));
        let chat = service(store);
        assert_eq!(chat.renew_leases(&writing).await.ok(), Some(3));
        assert_eq!(
            chat.reap_expired().await.ok(),
            Some(vec![Uuid::from_u128(9)])
        );
        assert_eq!(chat.stops_requested().await.ok(), Some(vec![]));
    }

    #[tokio::test]
    async fn a_question_while_an_answer_of_the_chat_is_being_written_is_refused_naming_it() {
        let busy = Uuid::from_u128(72);
        let mut store = MockChatStore::new();
        store.expect_get_recent_history().returning(move |id, _| {
            Ok(SessionWithMessages {
                session: session(id.as_u128(), None),
                messages: vec![ChatMessage::generating(busy, id, at())],
            })
        });
        // Nothing is stored: no append_messages expectation.
        let result = service(store)
            .begin_turn(request("Again?", None, Some(Uuid::from_u128(5))))
            .await;
        assert!(matches!(result, Err(ServiceError::AnswerInProgress(id)) if id == busy));
    }

    #[tokio::test]
    async fn list_get_and_delete_pass_through_to_the_store_in_order() {
        let id = Uuid::from_u128(3);
        let mut seq = Sequence::new();
        let mut store = MockChatStore::new();
        store
            .expect_list_sessions()
            .with(eq(SessionFilter {
                event_id: Some(id),
                ..SessionFilter::default()
            }))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(vec![session(2, None), session(1, None)]));
        store
            .expect_get_session()
            .with(eq(id))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|id| {
                Ok(SessionWithMessages {
                    session: session(id.as_u128(), None),
                    messages: vec![],
                })
            });
        store
            .expect_delete_session()
            .with(eq(id))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(4));

        let chat = service(store);
        let (listed, next) = chat
            .list_sessions(&SessionFilter {
                event_id: Some(id),
                ..SessionFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(
            listed.iter().map(|s| s.id.as_u128()).collect::<Vec<_>>(),
            [2, 1]
        );
        assert_eq!(next, None, "a whole list has no next page");
        assert!(chat.get_session(id).await.is_ok());
        assert_eq!(chat.delete_session(id).await.ok(), Some(4));
    }

    #[tokio::test]
    async fn a_page_asks_for_one_more_to_know_whether_another_follows() {
        let mut store = MockChatStore::new();
        store
            .expect_list_sessions()
            .withf(|filter| filter.page.map(|page| page.limit) == Some(3))
            .returning(|_| Ok(vec![session(9, None), session(8, None), session(7, None)]));
        let chat = service(store);
        let page = SessionFilter {
            page: Some(Page {
                after: None,
                limit: 2,
            }),
            ..SessionFilter::default()
        };
        let (listed, next) = chat.list_sessions(&page).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(next.map(|key| key.id), Some(Uuid::from_u128(8)));

        let mut store = MockChatStore::new();
        store
            .expect_list_sessions()
            .returning(|_| Ok(vec![session(9, None)]));
        let (listed, next) = service(store).list_sessions(&page).await.unwrap();
        assert_eq!((listed.len(), next), (1, None));
    }

    #[tokio::test]
    async fn an_unreachable_store_is_reported_as_unavailable() {
        let mut store = MockChatStore::new();
        store
            .expect_get_session()
            .returning(|_| Err(ChatStoreError::Unavailable("down".into())));
        let result = service(store).get_session(Uuid::from_u128(1)).await;
        assert!(matches!(result, Err(ServiceError::Unavailable(_))));
    }
}
