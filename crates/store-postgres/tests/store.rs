//! The PostgreSQL adapter against a real server: a throwaway cluster per test process and a
//! fresh database per test, cloned from a migrated template.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use domain::ports::{
    ChatStore, ChatStoreError, EventStore, EventStoreError, HealthCheck, Lease, ShareStore,
    ShareStoreError, StopRequest,
};
use domain::{
    AnswerTiming, Bucket, ChatMessage, ChatSession, ChatShare, CompletionNote, Event, EventFields,
    ImportKind, ImportedChat, Interruption, LanguageModelError, MessageStatus, NewWaypoint, Role,
    SessionEdit, SessionFilter, ShareToken, TokenUsage, UsageQuery, WaypointFields, WaypointType,
};
use local_postgres::testing::{TestCluster, TestDatabase};
use secrecy::SecretString;
use store_postgres::{MigrationError, PgStore, PoolConfig, build_pool, run_migrations};
use uuid::Uuid;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 27, 5, minute, 0).unwrap()
}

fn session(event_id: Option<Uuid>, updated_at: DateTime<Utc>) -> ChatSession {
    ChatSession {
        id: Uuid::new_v4(),
        event_id,
        title: "title".into(),
        pinned: false,
        tags: Vec::new(),
        created_at: at(0),
        updated_at,
    }
}

fn user_message(session_id: Uuid, content: &str, created_at: DateTime<Utc>) -> ChatMessage {
    ChatMessage::from_user(Uuid::new_v4(), session_id, content.into(), created_at)
}

fn event(name: &str) -> Event {
    Event {
        id: Uuid::new_v4(),
        fields: EventFields {
            name: name.into(),
            planned_date: Some(at(0)),
            distance: Some(100.2),
            target_duration_minutes: Some(1_440),
            elevation_gain_adjustment_percent: Some(8.5),
            elevation_descent_adjustment_percent: None,
            fatigue_slowdown_percent: Some(4.0),
        },
        created_at: at(0),
        updated_at: at(0),
    }
}

const OWNER: Uuid = Uuid::from_u128(0xA11CE);
const LEASE: Lease = Lease {
    owner: OWNER,
    duration: Duration::from_secs(15),
};
const DEADLINE: Duration = Duration::from_secs(5);

async fn migrate(url: SecretString) -> Result<usize, MigrationError> {
    run_migrations(&url).await
}

async fn new_database() -> TestDatabase {
    TestDatabase::new(migrate).await
}

async fn store(db: &TestDatabase) -> PgStore {
    PgStore::new(build_pool(db.url(), PoolConfig::DEFAULT).unwrap(), DEADLINE)
}

/// The event and its waypoints as a prompt reads them (no recall).
async fn for_prompt(store: &PgStore, id: Uuid) -> (Event, Vec<domain::Waypoint>) {
    let read = store.get_event_for_prompt(id, None).await.unwrap();
    assert!(read.recalled.is_none());
    (read.event, read.waypoints)
}

#[tokio::test]
async fn sessions_are_listed_newest_first_with_ties_broken_by_id() {
    let db = new_database().await;
    let store = store(&db).await;
    let mut sessions = vec![
        session(None, at(1)),
        session(None, at(3)),
        session(None, at(3)),
        session(None, at(2)),
    ];
    for s in &sessions {
        store
            .create_session(s, &[user_message(s.id, "hi", s.created_at)], &LEASE)
            .await
            .unwrap();
    }
    sessions.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));

    let listed = store
        .list_sessions(&SessionFilter::default())
        .await
        .unwrap();

    assert_eq!(listed, sessions);
}

/// Two events, stored.
async fn two_events(store: &PgStore) -> (Event, Event) {
    let (a, b) = (event("A"), event("B"));
    store.insert_event(&a).await.unwrap();
    store.insert_event(&b).await.unwrap();
    (a, b)
}

#[tokio::test]
async fn sessions_can_be_filtered_by_event() {
    let db = new_database().await;
    let store = store(&db).await;
    let (a, b) = two_events(&store).await;
    let of_a = session(Some(a.id), at(1));
    let of_b = session(Some(b.id), at(2));
    let unattached = session(None, at(3));
    for s in [&of_a, &of_b, &unattached] {
        store
            .create_session(s, &[user_message(s.id, "hi", at(0))], &LEASE)
            .await
            .unwrap();
    }

    assert_eq!(
        store
            .list_sessions(&SessionFilter {
                event_id: Some(a.id),
                ..SessionFilter::default()
            })
            .await
            .unwrap(),
        [of_a]
    );
    assert_eq!(
        store
            .list_sessions(&SessionFilter {
                event_id: Some(Uuid::new_v4()),
                ..SessionFilter::default()
            })
            .await
            .unwrap(),
        []
    );
    assert_eq!(
        store
            .list_sessions(&SessionFilter::default())
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn a_session_comes_back_with_its_messages_in_order_even_with_equal_timestamps() {
    let db = new_database().await;
    let store = store(&db).await;
    let s = session(None, at(0));
    store
        .create_session(&s, &[user_message(s.id, "first", at(0))], &LEASE)
        .await
        .unwrap();
    let answer = ChatMessage {
        role: Role::Assistant,
        sources: Some(serde_json::json!([{"title": "WSER guide"}])),
        status: MessageStatus::Interrupted(Interruption::ModelFailed(
            LanguageModelError::Interrupted("upstream closed".into()),
        )),
        finish_reason: Some("length".into()),
        model: Some("gpt-test".into()),
        usage: Some(TokenUsage {
            prompt_tokens: Some(10),
            completion_tokens: Some(20),
            total_tokens: Some(30),
        }),
        ..user_message(s.id, "second", at(1))
    };
    store
        .append_messages(std::slice::from_ref(&answer), &LEASE)
        .await
        .unwrap();
    // Same timestamp as the answer: insertion order decides.
    for text in ["third", "fourth", "fifth"] {
        store
            .append_messages(&[user_message(s.id, text, at(1))], &LEASE)
            .await
            .unwrap();
    }

    let loaded = store.get_session(s.id).await.unwrap();

    let texts: Vec<_> = loaded.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["first", "second", "third", "fourth", "fifth"]);
    // Everything comes back but the model's own account of the failure, which is never
    // stored (it is the provider's wording, for the log).
    let without_detail = ChatMessage {
        status: MessageStatus::Interrupted(Interruption::ModelFailed(
            LanguageModelError::Interrupted(String::new()),
        )),
        ..answer
    };
    assert_eq!(loaded.messages[1], without_detail);
    assert_eq!(loaded.session.updated_at, at(1));
    // A prompt's history has what a prompt uses of it, in the same order.
    let history = store.get_recent_history(s.id, 1_000).await.unwrap();
    assert_eq!(history.messages.len(), 5);
    assert_eq!(
        history.messages[1],
        ChatMessage {
            sources: None,
            finish_reason: None,
            model: None,
            usage: None,
            ..without_detail
        }
    );
}

#[tokio::test]
async fn a_complete_answer_keeps_its_note_and_the_database_refuses_a_note_on_any_other() {
    let db = new_database().await;
    let store = store(&db).await;
    let s = session(None, at(0));
    let answer = ChatMessage {
        role: Role::Assistant,
        note: Some(CompletionNote::Length),
        finish_reason: Some("length".into()),
        ..user_message(s.id, "Walk the climbs and", at(1))
    };
    store
        .create_session(&s, std::slice::from_ref(&answer), &LEASE)
        .await
        .unwrap();
    assert_eq!(store.get_session(s.id).await.unwrap().messages, [answer]);
    // The database itself refuses a note on an answer that is not complete.
    let refused = db
        .try_execute(&format!(
            "UPDATE chat_messages SET status = 'interrupted', status_code = 'stopped' WHERE session_id = '{}'",
            s.id
        ))
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn appending_moves_updated_at_forward_but_never_back() {
    let db = new_database().await;
    let store = store(&db).await;
    let s = session(None, at(5));
    store
        .create_session(&s, &[user_message(s.id, "hi", at(5))], &LEASE)
        .await
        .unwrap();

    let later = store
        .append_messages(&[user_message(s.id, "later", at(9))], &LEASE)
        .await
        .unwrap();
    let earlier = store
        .append_messages(&[user_message(s.id, "clock skew", at(7))], &LEASE)
        .await
        .unwrap();

    assert_eq!(later.updated_at, at(9));
    assert_eq!(earlier.updated_at, at(9));
}

#[tokio::test]
async fn a_session_for_an_unknown_event_is_refused_and_nothing_is_stored() {
    let db = new_database().await;
    let store = store(&db).await;
    let s = session(Some(Uuid::new_v4()), at(0));

    let result = store
        .create_session(&s, &[user_message(s.id, "hi", at(0))], &LEASE)
        .await;

    assert!(
        matches!(result, Err(ChatStoreError::EventNotFound)),
        "{result:?}"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM chat_sessions").await, 0);
    assert_eq!(db.count("SELECT count(*) AS n FROM chat_messages").await, 0);
}

#[tokio::test]
async fn appending_to_an_unknown_session_is_not_found() {
    let db = new_database().await;
    let store = store(&db).await;
    let result = store
        .append_messages(&[user_message(Uuid::new_v4(), "hi", at(0))], &LEASE)
        .await;
    assert!(
        matches!(result, Err(ChatStoreError::SessionNotFound)),
        "{result:?}"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM chat_messages").await, 0);
}

/// A new session with its question and the `generating` row of its answer, as a turn stores
/// them; returns the session and the answer.
async fn turn_started(store: &PgStore) -> Result<(ChatSession, ChatMessage), ChatStoreError> {
    turn_started_under(store, &LEASE).await
}

async fn turn_started_under(
    store: &PgStore,
    lease: &Lease,
) -> Result<(ChatSession, ChatMessage), ChatStoreError> {
    let s = session(None, at(0));
    let answer = ChatMessage::generating(Uuid::new_v4(), s.id, at(0));
    let question = user_message(s.id, "pace?", at(0));
    store
        .create_session(&s, &[question, answer.clone()], lease)
        .await?;
    Ok((s, answer))
}

/// An owner's lease (the reaper's duration is what counts).
fn lease_of(owner: u128) -> Lease {
    Lease {
        owner: Uuid::from_u128(owner),
        ..LEASE
    }
}

/// What the tests give the reaper for a lease: longer than a test's own steps take, shorter
/// than the pause that lets one lapse.
const SHORT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn an_answer_is_saved_while_it_streams_then_finished_once_and_never_overwritten() {
    let db = new_database().await;
    let store = store(&db).await;
    let (s, mut answer) = turn_started(&store).await.unwrap();

    store
        .save_progress(answer.id, OWNER, "Start ")
        .await
        .unwrap();
    let midway = store.get_session(s.id).await.unwrap().messages;
    assert_eq!(
        (midway[1].content.as_str(), &midway[1].status),
        ("Start ", &MessageStatus::Generating)
    );

    answer.content = "Start slow.".into();
    answer.status = MessageStatus::Complete;
    answer.finish_reason = Some("stop".into());
    answer.model = Some("gpt-test".into());
    answer.usage = Some(TokenUsage {
        prompt_tokens: Some(1),
        completion_tokens: Some(2),
        total_tokens: Some(3),
    });
    let touched = store.finish_message(&answer, OWNER, at(4)).await.unwrap();
    assert_eq!(touched.updated_at, at(4));
    assert_eq!(store.get_session(s.id).await.unwrap().messages[1], answer);

    // Finished is final: a late checkpoint or a second finish changes nothing.
    assert!(matches!(
        store.save_progress(answer.id, OWNER, "late").await,
        Err(ChatStoreError::NotGenerating)
    ));
    let mut again = answer.clone();
    again.content = "overwritten".into();
    assert!(matches!(
        store.finish_message(&again, OWNER, at(5)).await,
        Err(ChatStoreError::NotGenerating)
    ));
    assert_eq!(store.get_session(s.id).await.unwrap().messages[1], answer);
}

#[tokio::test]
async fn an_answer_keeps_the_sources_stored_with_its_question() {
    let db = new_database().await;
    let store = store(&db).await;
    let s = session(None, at(0));
    let sources = serde_json::json!([{"type": "chat", "snippet": "salt every hour"}]);
    let answer = ChatMessage {
        sources: Some(sources.clone()),
        ..ChatMessage::generating(Uuid::new_v4(), s.id, at(0))
    };
    store
        .create_session(
            &s,
            &[user_message(s.id, "salt?", at(0)), answer.clone()],
            &LEASE,
        )
        .await
        .unwrap();

    // The final write carries what the answer says and how it ended, not what its prompt
    // used: those were written with the question.
    let finished = ChatMessage {
        content: "Salt every hour.".into(),
        status: MessageStatus::Complete,
        sources: None,
        ..answer
    };
    store.finish_message(&finished, OWNER, at(1)).await.unwrap();

    let stored = &store.get_session(s.id).await.unwrap().messages[1];
    assert_eq!(
        (stored.content.as_str(), &stored.status, &stored.sources),
        ("Salt every hour.", &MessageStatus::Complete, &Some(sources))
    );
}

#[tokio::test]
async fn a_lapsed_lease_is_reaped_keeping_the_saved_text_and_live_ones_are_untouched() {
    let db = new_database().await;
    let store = store(&db).await;
    let dead_lease = lease_of(7);
    let (dead, dead_answer) = turn_started_under(&store, &dead_lease).await.unwrap();
    store
        .save_progress(dead_answer.id, dead_lease.owner, "Walk the")
        .await
        .unwrap();
    let (done, mut done_answer) = turn_started_under(&store, &lease_of(8)).await.unwrap();
    tokio::time::sleep(2 * SHORT).await;
    let (live, live_answer) = turn_started(&store).await.unwrap();
    done_answer.content = "Eat early.".into();
    done_answer.status = MessageStatus::Complete;
    let owner = Uuid::from_u128(8);
    store
        .finish_message(&done_answer, owner, at(1))
        .await
        .unwrap();

    assert_eq!(store.reap_expired(SHORT).await.unwrap(), [dead_answer.id]);

    let recovered = &store.get_session(dead.id).await.unwrap().messages[1];
    assert_eq!(recovered.content, "Walk the");
    assert_eq!(
        recovered.status,
        MessageStatus::Interrupted(Interruption::ProcessDied)
    );
    assert_eq!(
        store.get_session(done.id).await.unwrap().messages[1],
        done_answer
    );
    assert_eq!(
        store.get_session(live.id).await.unwrap().messages[1],
        live_answer
    );
    assert!(store.reap_expired(SHORT).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_runs_writes_are_fenced_by_its_owner_who_may_still_complete_it_after_a_reap() {
    let db = new_database().await;
    let store = store(&db).await;
    let lease = lease_of(1);
    let (s, mut answer) = turn_started_under(&store, &lease).await.unwrap();
    let stranger = Uuid::from_u128(2);
    assert!(matches!(
        store.save_progress(answer.id, stranger, "not mine").await,
        Err(ChatStoreError::NotGenerating)
    ));
    store
        .save_progress(answer.id, lease.owner, "Walk")
        .await
        .unwrap();
    assert_eq!(
        store.reap_expired(Duration::ZERO).await.unwrap(),
        [answer.id]
    );

    // Reaped: checkpoints stop, a stranger still cannot finish it, its owner can.
    assert!(matches!(
        store
            .save_progress(answer.id, lease.owner, "Walk the")
            .await,
        Err(ChatStoreError::NotGenerating)
    ));
    answer.content = "Walk the climbs.".into();
    answer.status = MessageStatus::Complete;
    assert!(matches!(
        store.finish_message(&answer, stranger, at(2)).await,
        Err(ChatStoreError::NotGenerating)
    ));
    store
        .finish_message(&answer, lease.owner, at(2))
        .await
        .unwrap();
    assert_eq!(store.get_session(s.id).await.unwrap().messages[1], answer);
}

#[tokio::test]
async fn renewing_keeps_the_owners_live_runs_alive_and_no_one_elses() {
    let db = new_database().await;
    let store = store(&db).await;
    let (_, kept) = turn_started_under(&store, &lease_of(1)).await.unwrap();
    let (_, lost) = turn_started_under(&store, &lease_of(2)).await.unwrap();
    // The owner's run ended without its last write: no longer live, no longer renewed.
    let (_, ended) = turn_started_under(&store, &lease_of(1)).await.unwrap();
    tokio::time::sleep(2 * SHORT).await;
    // Another owner's answer among the live ones is not this owner's to renew.
    let live = [kept.id, lost.id];
    let short = Lease {
        duration: SHORT,
        ..lease_of(1)
    };
    assert_eq!(store.renew_leases(&short, &live).await.unwrap(), 1);
    let mut reaped = store.reap_expired(SHORT).await.unwrap();
    reaped.sort();
    let mut expected = vec![lost.id, ended.id];
    expected.sort();
    assert_eq!(reaped, expected);
    let still = store.get_answer(kept.id).await.unwrap();
    assert_eq!(still.status, MessageStatus::Generating);
    assert_eq!(store.renew_leases(&short, &[]).await.unwrap(), 0);
    // A checkpoint renews the lease too: the keeper leaves a claim renewed within the last
    // sixth of the lease as it is, and it does not lapse.
    tokio::time::sleep(2 * SHORT).await;
    store
        .save_progress(kept.id, short.owner, "Walk the")
        .await
        .unwrap();
    let long = lease_of(1);
    assert_eq!(store.renew_leases(&long, &[kept.id]).await.unwrap(), 0);
    assert_eq!(store.reap_expired(SHORT).await.unwrap(), Vec::<Uuid>::new());
    tokio::time::sleep(2 * SHORT).await;
    assert_eq!(store.renew_leases(&short, &[kept.id]).await.unwrap(), 1);
}

#[tokio::test]
async fn a_stop_request_reaches_the_owner_and_says_whether_the_answer_was_still_being_written() {
    let db = new_database().await;
    let store = store(&db).await;
    let (s, mut answer) = turn_started(&store).await.unwrap();
    assert!(store.stops_requested(OWNER).await.unwrap().is_empty());
    assert_eq!(
        store.request_stop(answer.id).await.unwrap(),
        StopRequest::Requested
    );
    assert_eq!(store.stops_requested(OWNER).await.unwrap(), [answer.id]);
    assert!(
        store
            .stops_requested(Uuid::from_u128(99))
            .await
            .unwrap()
            .is_empty()
    );

    answer.status = MessageStatus::Interrupted(Interruption::Stopped);
    store.finish_message(&answer, OWNER, at(1)).await.unwrap();
    assert!(store.stops_requested(OWNER).await.unwrap().is_empty());
    assert_eq!(
        store.request_stop(answer.id).await.unwrap(),
        StopRequest::AlreadyEnded
    );
    assert_eq!(store.get_answer(answer.id).await.unwrap(), answer);
    let question = store.get_session(s.id).await.unwrap().messages[0].id;
    for not_an_answer in [question, Uuid::new_v4()] {
        assert!(matches!(
            store.request_stop(not_an_answer).await,
            Err(ChatStoreError::AnswerNotFound)
        ));
        assert!(matches!(
            store.get_answer(not_an_answer).await,
            Err(ChatStoreError::AnswerNotFound)
        ));
    }
}

#[tokio::test]
async fn a_second_answer_in_a_chat_while_one_is_written_is_refused_naming_the_first() {
    let db = new_database().await;
    let store = store(&db).await;
    let (s, first) = turn_started(&store).await.unwrap();
    let second = [
        user_message(s.id, "and?", at(1)),
        ChatMessage::generating(Uuid::new_v4(), s.id, at(1)),
    ];
    assert!(matches!(
        store.append_messages(&second, &LEASE).await,
        Err(ChatStoreError::AnswerInProgress(id)) if id == first.id
    ));
    assert_eq!(store.get_session(s.id).await.unwrap().messages.len(), 2);
}

#[tokio::test]
async fn finishing_an_answer_whose_session_was_deleted_is_not_found() {
    let db = new_database().await;
    let store = store(&db).await;
    let (s, mut answer) = turn_started(&store).await.unwrap();
    store.delete_session(s.id).await.unwrap();
    answer.status = MessageStatus::Complete;
    assert!(matches!(
        store.finish_message(&answer, OWNER, at(1)).await,
        Err(ChatStoreError::SessionNotFound)
    ));
    assert_eq!(db.count("SELECT count(*) AS n FROM chat_messages").await, 0);
}

#[tokio::test]
async fn deleting_a_session_removes_its_messages_by_cascade_and_nothing_else() {
    let db = new_database().await;
    let store = store(&db).await;
    let (gone, kept) = (session(None, at(0)), session(None, at(0)));
    for s in [&gone, &kept] {
        store
            .create_session(s, &[user_message(s.id, "hi", at(0))], &LEASE)
            .await
            .unwrap();
        store
            .append_messages(&[user_message(s.id, "again", at(1))], &LEASE)
            .await
            .unwrap();
    }

    assert_eq!(store.delete_session(gone.id).await.unwrap(), 2);

    let sql = format!(
        "SELECT count(*) AS n FROM chat_messages WHERE session_id = '{}'",
        gone.id
    );
    assert_eq!(db.count(&sql).await, 0);
    assert_eq!(db.count("SELECT count(*) AS n FROM chat_messages").await, 2);
    assert!(matches!(
        store.get_session(gone.id).await,
        Err(ChatStoreError::SessionNotFound)
    ));
    assert!(matches!(
        store.delete_session(gone.id).await,
        Err(ChatStoreError::SessionNotFound)
    ));
}

#[tokio::test]
async fn deleting_an_event_cascades_to_its_waypoints_sessions_and_messages() {
    let db = new_database().await;
    let store = store(&db).await;
    let (doomed, other) = (event("Doomed"), event("Other"));
    for e in [&doomed, &other] {
        store.insert_event(e).await.unwrap();
        let s = session(Some(e.id), at(0));
        store
            .create_session(&s, &[user_message(s.id, "hi", at(0))], &LEASE)
            .await
            .unwrap();
        store
            .insert_waypoint(Uuid::new_v4(), &waypoint(e.id, "Aid 1", None), at(0))
            .await
            .unwrap();
    }

    store.delete_event(doomed.id).await.unwrap();

    assert_eq!(db.count("SELECT count(*) AS n FROM events").await, 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM waypoints").await, 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM chat_sessions").await, 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM chat_messages").await, 1);
    let leftovers = format!(
        "SELECT count(*) AS n FROM chat_sessions WHERE event_id = '{}'",
        doomed.id
    );
    assert_eq!(db.count(&leftovers).await, 0);
    assert!(matches!(
        store.delete_event(doomed.id).await,
        Err(EventStoreError::EventNotFound)
    ));
}

fn waypoint(event_id: Uuid, name: &str, order_index: Option<i32>) -> NewWaypoint {
    NewWaypoint {
        event_id,
        order_index,
        fields: WaypointFields {
            name: name.into(),
            waypoint_type: WaypointType::Food,
            latitude: Some(39.1),
            longitude: Some(-120.2),
            elevation: Some(6_000.0),
            stop_time_minutes: Some(5),
            comments: Some("ice".into()),
            distance_from_start: Some(10.0),
        },
    }
}

#[tokio::test]
async fn events_round_trip_and_update_keeps_the_creation_time() {
    let db = new_database().await;
    let store = store(&db).await;
    let mut e = event("Western States");
    store.insert_event(&e).await.unwrap();
    assert_eq!(store.get_event(e.id).await.unwrap(), e);

    e.fields.distance = None;
    e.fields.name = "WSER".into();
    e.updated_at = at(30);
    store.update_event(&e).await.unwrap();

    assert_eq!(store.get_event(e.id).await.unwrap(), e);
    assert!(matches!(
        store.get_event(Uuid::new_v4()).await,
        Err(EventStoreError::EventNotFound)
    ));
    let mut ghost = event("ghost");
    ghost.id = Uuid::new_v4();
    assert!(matches!(
        store.update_event(&ghost).await,
        Err(EventStoreError::EventNotFound)
    ));
}

#[tokio::test]
async fn events_are_listed_by_planned_date_with_undated_ones_last() {
    let db = new_database().await;
    let store = store(&db).await;
    let mut late = event("late");
    late.fields.planned_date = Some(at(50));
    let mut undated = event("undated");
    undated.fields.planned_date = None;
    let early = event("early");
    for e in [&undated, &late, &early] {
        store.insert_event(e).await.unwrap();
    }
    let names: Vec<_> = store
        .list_events()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.fields.name)
        .collect();
    assert_eq!(names, ["early", "late", "undated"]);
}

#[tokio::test]
async fn waypoints_without_an_index_go_last_and_are_listed_in_order() {
    let db = new_database().await;
    let store = store(&db).await;
    let e = event("race");
    store.insert_event(&e).await.unwrap();
    assert_eq!(store.list_waypoints(e.id).await.unwrap(), []);
    assert_eq!(for_prompt(&store, e.id).await, (e.clone(), vec![]));

    let first = store
        .insert_waypoint(Uuid::new_v4(), &waypoint(e.id, "Start", None), at(0))
        .await
        .unwrap();
    let third = store
        .insert_waypoint(Uuid::new_v4(), &waypoint(e.id, "Finish", Some(10)), at(1))
        .await
        .unwrap();
    let last = store
        .insert_waypoint(Uuid::new_v4(), &waypoint(e.id, "After", None), at(2))
        .await
        .unwrap();
    let second = store
        .insert_waypoint(Uuid::new_v4(), &waypoint(e.id, "Middle", Some(5)), at(3))
        .await
        .unwrap();

    assert_eq!((first.order_index, last.order_index), (0, 11));
    let listed = store.list_waypoints(e.id).await.unwrap();
    assert_eq!(listed, [first, second, third, last.clone()]);
    // What a prompt reads, in one round trip: the same event and the same order.
    assert_eq!(for_prompt(&store, e.id).await, (e.clone(), listed));

    let mut changed = last.clone();
    changed.fields.waypoint_type = WaypointType::Rest;
    changed.fields.comments = None;
    changed.order_index = 12;
    let updated = store.update_waypoint(&changed).await.unwrap();
    assert_eq!(updated, changed);
    assert_eq!(updated.created_at, last.created_at);
    store.delete_waypoint(last.id).await.unwrap();
    assert!(matches!(
        store.get_waypoint(last.id).await,
        Err(EventStoreError::WaypointNotFound)
    ));
}

#[tokio::test]
async fn waypoints_of_an_unknown_event_are_not_found() {
    let db = new_database().await;
    let store = store(&db).await;
    assert!(matches!(
        store.list_waypoints(Uuid::new_v4()).await,
        Err(EventStoreError::EventNotFound)
    ));
    let result = store
        .insert_waypoint(Uuid::new_v4(), &waypoint(Uuid::new_v4(), "x", None), at(0))
        .await;
    assert!(matches!(result, Err(EventStoreError::EventNotFound)));
}

#[tokio::test]
async fn migrations_are_idempotent_and_safe_when_instances_start_together() {
    let db = new_database().await;
    // The template was migrated already: every run after it finds nothing to do, including
    // several at once.
    let runs = futures_util::future::join_all((0..4).map(|_| run_migrations(db.url()))).await;
    for applied in runs {
        assert_eq!(applied.unwrap(), 0);
    }
}

#[tokio::test]
async fn concurrent_first_migrations_apply_once() {
    let cluster = TestCluster::start().await;
    cluster.cluster().ensure_database("fresh").await.unwrap();
    let url = cluster.cluster().database_url("fresh");
    let runs = futures_util::future::join_all((0..3).map(|_| run_migrations(&url))).await;
    let mut applied: Vec<usize> = runs.into_iter().map(Result::unwrap).collect();
    applied.sort_unstable();
    let all = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .unwrap()
        .count();
    // One instance applies them all; the others find nothing left to do.
    assert_eq!(applied, [0, 0, all]);
}

#[tokio::test]
async fn a_stopped_database_is_unavailable_within_the_pool_timeout_and_recovers() {
    let cluster = TestCluster::start().await;
    let url = cluster.migrated_database("outage", migrate).await;
    let config = PoolConfig {
        max_size: 4,
        timeout: Duration::from_millis(500),
        ..PoolConfig::DEFAULT
    };
    let store = PgStore::new(build_pool(&url, config).unwrap(), DEADLINE);
    store.check().await.unwrap();
    let s = session(None, at(0));
    store
        .create_session(&s, &[user_message(s.id, "kept", at(0))], &LEASE)
        .await
        .unwrap();

    cluster.stop().await;
    let started = Instant::now();
    let down = store.list_sessions(&SessionFilter::default()).await;
    let health = store.check().await;
    assert!(
        matches!(down, Err(ChatStoreError::Unavailable(_))),
        "{down:?}"
    );
    assert!(health.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );

    cluster.restart().await;
    store.check().await.unwrap();
    assert_eq!(
        store
            .list_sessions(&SessionFilter::default())
            .await
            .unwrap(),
        [s]
    );
}

#[tokio::test]
async fn an_exhausted_pool_answers_unavailable_after_its_wait_timeout() {
    let db = new_database().await;
    let config = PoolConfig {
        max_size: 1,
        timeout: Duration::from_millis(300),
        ..PoolConfig::DEFAULT
    };
    let pool = build_pool(db.url(), config).unwrap();
    let held = pool.get().await.unwrap();
    let store = PgStore::new(pool.clone(), DEADLINE);

    let started = Instant::now();
    let result = store.list_sessions(&SessionFilter::default()).await;

    assert!(
        matches!(result, Err(ChatStoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(held);
    assert!(store.list_sessions(&SessionFilter::default()).await.is_ok());
}

/// A thread with a runtime of its own that asks `pool` for a connection, says whether it got
/// one, and holds it until `release` is sent (or dropped).
fn ask_on_another_thread(
    pool: &store_postgres::PgPool,
) -> (
    bool,
    std::sync::mpsc::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let pool = pool.clone();
    let (got_tx, got) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            let held = pool.get().await;
            let _ = got_tx.send(held.is_ok());
            let _ = release_rx.recv();
        });
    });
    (got.recv().unwrap_or(false), release, thread)
}

#[tokio::test]
async fn each_thread_draws_on_a_pool_of_its_own_and_together_they_hold_no_more_than_the_most() {
    let db = new_database().await;
    let config = PoolConfig {
        max_size: 3,
        threads: 2,
        timeout: Duration::from_millis(300),
        ..PoolConfig::DEFAULT
    };
    let pool = build_pool(db.url(), config).unwrap();
    assert_eq!(pool.status().max_size, 3);

    // The first thread to ask gets the small share (1), and can empty it...
    let held = pool.get().await.unwrap();
    assert!(pool.get().await.is_err());
    // ...while the next thread still draws on its own (2).
    let (second_got_one, release_second, second) = ask_on_another_thread(&pool);
    assert!(second_got_one);
    assert_eq!(pool.status().size, 2);
    // A third thread shares the first one's pool, where nothing is free; nor is anything
    // idle in the second's (whose room is not another thread's to fill).
    let (third_got_one, _, third) = ask_on_another_thread(&pool);
    assert!(!third_got_one);
    third.join().unwrap();
    // Once the second gives its connection back, the first thread is lent it rather than
    // waiting on its own.
    let _ = release_second.send(());
    second.join().unwrap();
    let started = Instant::now();
    let lent = pool.get().await;
    assert!(lent.is_ok());
    assert!(started.elapsed() < Duration::from_millis(300));
    drop(held);
}

#[tokio::test]
async fn recent_history_keeps_the_newest_whole_messages_that_fit_the_budget() {
    let db = new_database().await;
    let store = store(&db).await;
    let s = session(None, at(0));
    store
        .create_session(&s, &[user_message(s.id, "aaaaaaaaaa", at(0))], &LEASE)
        .await
        .unwrap(); // 10 chars
    store
        .append_messages(&[user_message(s.id, "bbbbb", at(1))], &LEASE)
        .await
        .unwrap(); // 5
    store
        .append_messages(&[user_message(s.id, "", at(1))], &LEASE)
        .await
        .unwrap(); // nothing: fits wherever what is newer fits
    store
        .append_messages(&[user_message(s.id, "ccc", at(1))], &LEASE)
        .await
        .unwrap(); // 3, same time: insertion order
    store
        .append_messages(&[user_message(s.id, "éé", at(2))], &LEASE)
        .await
        .unwrap(); // 2 characters, 4 bytes

    let texts = |history: domain::SessionWithMessages| {
        history
            .messages
            .into_iter()
            .map(|m| m.content)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        texts(store.get_recent_history(s.id, 5).await.unwrap()),
        ["", "ccc", "éé"]
    );
    assert_eq!(
        texts(store.get_recent_history(s.id, 9).await.unwrap()),
        ["", "ccc", "éé"]
    );
    assert_eq!(
        texts(store.get_recent_history(s.id, 10).await.unwrap()),
        ["bbbbb", "", "ccc", "éé"]
    );
    assert_eq!(
        texts(store.get_recent_history(s.id, 1_000).await.unwrap()),
        ["aaaaaaaaaa", "bbbbb", "", "ccc", "éé"]
    );
    let nothing_fits = store.get_recent_history(s.id, 1).await.unwrap();
    assert_eq!(nothing_fits.session.id, s.id);
    assert!(nothing_fits.messages.is_empty());
    assert!(matches!(
        store.get_recent_history(Uuid::new_v4(), 100).await,
        Err(ChatStoreError::SessionNotFound)
    ));
}

fn share_of(session_id: Uuid, minute: u32) -> ChatShare {
    ChatShare {
        id: Uuid::new_v4(),
        session_id,
        created_at: at(minute),
    }
}

fn token(fill: char) -> ShareToken {
    ShareToken::parse(&fill.to_string().repeat(ShareToken::LENGTH)).unwrap()
}

#[tokio::test]
async fn a_share_keeps_a_copy_of_the_finished_chat_and_only_the_digest_of_its_token() {
    let db = new_database().await;
    let store = store(&db).await;
    // A finished turn, then a question whose answer is still being written.
    let (s, mut first) = turn_started(&store).await.unwrap();
    first.content = "Start *slow*.".into();
    first.status = MessageStatus::Interrupted(Interruption::Stopped);
    store.finish_message(&first, OWNER, at(1)).await.unwrap();
    let asked = user_message(s.id, "and then?", at(2));
    let writing = ChatMessage::generating(Uuid::new_v4(), s.id, at(2));
    store
        .append_messages(&[asked.clone(), writing.clone()], &LEASE)
        .await
        .unwrap();
    store
        .save_progress(writing.id, OWNER, "Walk the")
        .await
        .unwrap();

    let share = share_of(s.id, 3);
    store.create_share(&share, &token('a')).await.unwrap();
    // Later the chat is renamed and its answer finished: the link still shows the copy.
    store
        .edit_session(
            s.id,
            &SessionEdit::new(Some("Renamed"), None, None).unwrap(),
        )
        .await
        .unwrap();
    let mut done = writing.clone();
    done.content = "Walk the hills.".into();
    done.status = MessageStatus::Complete;
    store.finish_message(&done, OWNER, at(4)).await.unwrap();

    let shared = store.shared_chat(&token('a')).await.unwrap();
    let question = store.get_session(s.id).await.unwrap().messages[0].clone();
    assert_eq!(shared.title, "title");
    assert_eq!(shared.shared_at, at(3));
    assert_eq!(shared.messages, vec![question, first, asked]);
    // Another token opens nothing, and the token itself is nowhere in the database.
    assert!(matches!(
        store.shared_chat(&token('b')).await,
        Err(ShareStoreError::ShareNotFound)
    ));
    let stored = db
        .count(&format!(
            "SELECT count(*) AS n FROM chat_shares WHERE token_sha256 = sha256('{}') \
             AND position('{}' IN messages::text || title || encode(token_sha256, 'escape')) = 0",
            "a".repeat(ShareToken::LENGTH),
            "a".repeat(ShareToken::LENGTH),
        ))
        .await;
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn shares_are_listed_oldest_first_revoked_one_by_one_and_deleted_with_their_chat() {
    let db = new_database().await;
    let store = store(&db).await;
    let (s, _) = turn_started(&store).await.unwrap();
    let (other, _) = turn_started(&store).await.unwrap();
    let (late, early) = (share_of(s.id, 9), share_of(s.id, 1));
    store.create_share(&late, &token('l')).await.unwrap();
    store.create_share(&early, &token('e')).await.unwrap();
    assert_eq!(store.list_shares(s.id).await.unwrap(), vec![early, late]);
    assert_eq!(store.list_shares(other.id).await.unwrap(), vec![]);

    // A link is revoked only through its own chat, and only once.
    assert!(matches!(
        store.revoke_share(other.id, early.id).await,
        Err(ShareStoreError::ShareNotFound)
    ));
    store.revoke_share(s.id, early.id).await.unwrap();
    assert!(matches!(
        store.revoke_share(s.id, early.id).await,
        Err(ShareStoreError::ShareNotFound)
    ));
    assert!(matches!(
        store.shared_chat(&token('e')).await,
        Err(ShareStoreError::ShareNotFound)
    ));
    assert!(store.shared_chat(&token('l')).await.is_ok());

    store.delete_session(s.id).await.unwrap();
    assert!(matches!(
        store.shared_chat(&token('l')).await,
        Err(ShareStoreError::ShareNotFound)
    ));
    assert!(matches!(
        store.list_shares(s.id).await,
        Err(ShareStoreError::SessionNotFound)
    ));
    assert!(matches!(
        store.create_share(&share_of(s.id, 2), &token('x')).await,
        Err(ShareStoreError::SessionNotFound)
    ));
    assert_eq!(db.count("SELECT count(*) AS n FROM chat_shares").await, 0);
}

fn imported(
    kind: ImportKind,
    external_id: &str,
    event_id: Option<Uuid>,
    messages: usize,
) -> ImportedChat {
    let session = session(event_id, at(9));
    let messages = (0..messages)
        .map(|i| user_message(session.id, &format!("message {i}"), at(1)))
        .collect();
    ImportedChat {
        kind,
        external_id: external_id.into(),
        session,
        messages,
    }
}

#[tokio::test]
async fn an_imported_chat_is_stored_whole_once_and_again_after_it_was_deleted() {
    let db = new_database().await;
    let store = store(&db).await;
    // More messages than one INSERT takes, in their order.
    let chat = imported(ImportKind::ChatGpt, "conv-1", None, 2_500);
    assert!(store.import_chat(&chat).await.unwrap());
    let stored = store.get_session(chat.session.id).await.unwrap();
    assert_eq!(stored.session, chat.session);
    assert_eq!(stored.messages, chat.messages);

    // The same conversation again, even under another chat id: nothing more.
    let again = ImportedChat {
        session: session(None, at(9)),
        ..imported(ImportKind::ChatGpt, "conv-1", None, 3)
    };
    assert!(!store.import_chat(&again).await.unwrap());
    // The same chat id from another source (an aidstation file of a chat that is here).
    let same_id = ImportedChat {
        kind: ImportKind::Aidstation,
        external_id: chat.session.id.to_string(),
        ..chat.clone()
    };
    assert!(!store.import_chat(&same_id).await.unwrap());
    assert_eq!(db.count("SELECT count(*) AS n FROM chat_sessions").await, 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM chat_messages").await,
        2_500
    );

    store.delete_session(chat.session.id).await.unwrap();
    assert_eq!(db.count("SELECT count(*) AS n FROM chat_imports").await, 0);
    assert!(store.import_chat(&chat).await.unwrap());
}

#[tokio::test]
async fn an_import_into_a_missing_event_stores_nothing() {
    let db = new_database().await;
    let store = store(&db).await;
    let chat = imported(ImportKind::OpenWebUi, "w-1", Some(Uuid::new_v4()), 2);
    assert!(matches!(
        store.import_chat(&chat).await,
        Err(ChatStoreError::EventNotFound)
    ));
    for table in ["chat_sessions", "chat_messages", "chat_imports"] {
        assert_eq!(
            db.count(&format!("SELECT count(*) AS n FROM {table}"))
                .await,
            0,
            "{table}"
        );
    }
}

#[tokio::test]
async fn recall_ranks_the_events_other_chats_and_cuts_a_long_message_around_its_words() {
    let db = new_database().await;
    let store = store(&db).await;
    let (race, other) = two_events(&store).await;
    let long = format!(
        "{} The spare headlamp is in the Foresthill drop bag. {}",
        "Filler about pacing and gels. ".repeat(20),
        "More filler about socks. ".repeat(20)
    );
    let asking = session(Some(race.id), at(1));
    let older = session(Some(race.id), at(2));
    let elsewhere = session(Some(other.id), at(3));
    for (s, text) in [
        (&asking, "Where is my spare headlamp?"),
        (&older, long.as_str()),
        (&elsewhere, "The spare headlamp is in the Ouray bag."),
    ] {
        store
            .create_session(s, &[user_message(s.id, text, at(0))], &LEASE)
            .await
            .unwrap();
    }
    let recall = |exclude: Option<Uuid>| domain::Recall {
        event_id: race.id,
        exclude_session: exclude,
        question: "Where is my spare headlamp?",
        limit: 12,
    };

    let found = recalled(&store, &recall(Some(asking.id))).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].session_id, older.id);
    assert!(
        found[0].text.contains("spare headlamp"),
        "{}",
        found[0].text
    );
    assert!(
        found[0].text.chars().count() < long.chars().count() / 2,
        "{}",
        found[0].text
    );
    assert!(!found[0].text.contains('\u{E000}'), "no markers left");

    // Without a chat to leave out, the asking chat's own question is found too.
    let all = recalled(&store, &recall(None)).await;
    assert_eq!(all.len(), 2);
    // Text with no spaces between its words is recalled by its pairs of characters.
    let japanese = session(Some(race.id), at(4));
    let said = user_message(japanese.id, "東京マラソンの給水所は五キロごと", at(0));
    store
        .create_session(&japanese, &[said], &LEASE)
        .await
        .unwrap();
    let asked = domain::Recall {
        question: "給水所はどこ？",
        ..recall(Some(asking.id))
    };
    let found = recalled(&store, &asked).await;
    assert_eq!(
        found.iter().map(|p| p.session_id).collect::<Vec<_>>(),
        [japanese.id]
    );
    // Text with no searchable word recalls nothing (and is no error).
    let none = domain::Recall {
        question: "the and of?",
        ..recall(None)
    };
    assert_eq!(recalled(&store, &none).await, []);
}

/// What the event's chats said about the question, read with the event.
async fn recalled(store: &PgStore, recall: &domain::Recall<'_>) -> Vec<domain::Passage> {
    let read = store
        .get_event_for_prompt(recall.event_id, Some(recall))
        .await
        .unwrap();
    read.recalled.unwrap().unwrap()
}

#[tokio::test]
async fn a_recall_past_the_deadline_leaves_the_event_read() {
    let db = new_database().await;
    let store = PgStore::new(
        build_pool(db.url(), PoolConfig::DEFAULT).unwrap(),
        Duration::from_millis(500),
    );
    let (race, _) = two_events(&store).await;
    let recall = domain::Recall {
        event_id: race.id,
        exclude_session: None,
        question: "Where is my spare headlamp?",
        limit: 12,
    };
    // The recall waits for this lock on the messages; the event's own tables are free.
    let hold = db.execute("BEGIN; LOCK TABLE chat_messages; SELECT pg_sleep(2); COMMIT");
    let locked = "SELECT count(*) AS n FROM pg_locks \
        WHERE relation = 'chat_messages'::regclass AND mode = 'AccessExclusiveLock' AND granted";
    let read = async {
        while db.count(locked).await == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        store.get_event_for_prompt(race.id, Some(&recall)).await
    };

    let ((), read) = tokio::join!(hold, read);

    let read = read.unwrap();
    assert_eq!(read.event, race);
    assert!(
        matches!(read.recalled, Some(Err(EventStoreError::Unavailable(_)))),
        "{:?}",
        read.recalled
    );
    // Without a recall, none is reported.
    let read = store.get_event_for_prompt(race.id, None).await.unwrap();
    assert!(read.recalled.is_none());
}

#[tokio::test]
async fn many_answers_checkpointed_at_once_are_each_saved_or_refused_on_their_own() {
    let db = new_database().await;
    let store = store(&db).await;
    let mut answers = Vec::new();
    for _ in 0..200 {
        answers.push(turn_started(&store).await.unwrap());
    }
    // One of them is another owner's, one is already finished.
    let (_, foreign) = turn_started_under(&store, &lease_of(7)).await.unwrap();
    let (_, mut finished) = answers.pop().unwrap();
    finished.status = MessageStatus::Complete;
    store.finish_message(&finished, OWNER, at(1)).await.unwrap();

    let saves = answers
        .iter()
        .map(|(_, answer)| store.save_progress(answer.id, OWNER, "saved ✓"))
        .collect::<Vec<_>>();
    let (saved, foreign_saved, finished_saved) = tokio::join!(
        futures_util::future::join_all(saves),
        store.save_progress(foreign.id, OWNER, "not mine"),
        store.save_progress(finished.id, OWNER, "too late"),
    );
    assert!(saved.iter().all(Result::is_ok), "{saved:?}");
    assert!(matches!(foreign_saved, Err(ChatStoreError::NotGenerating)));
    assert!(matches!(finished_saved, Err(ChatStoreError::NotGenerating)));
    for (session, _) in &answers {
        let messages = store.get_session(session.id).await.unwrap().messages;
        assert_eq!(messages[1].content, "saved ✓");
    }
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM chat_messages WHERE content IN ('not mine', 'too late')"
        )
        .await,
        0
    );
}

/// A chat of one question and its complete answer at `asked`, with tokens and timings.
async fn answered_chat(
    store: &PgStore,
    event_id: Option<Uuid>,
    asked: DateTime<Utc>,
    first_ms: u32,
) -> ChatSession {
    let s = ChatSession {
        created_at: asked,
        ..session(event_id, asked)
    };
    let answer = ChatMessage {
        role: Role::Assistant,
        model: Some("gpt-a".into()),
        usage: Some(TokenUsage {
            prompt_tokens: Some(10),
            completion_tokens: Some(2),
            total_tokens: Some(12),
        }),
        timing: Some(AnswerTiming {
            first_text_ms: Some(first_ms),
            total_ms: first_ms * 10,
        }),
        ..user_message(s.id, "Walk the climbs.", asked)
    };
    store
        .create_session(&s, &[user_message(s.id, "Pace?", asked), answer], &LEASE)
        .await
        .unwrap();
    s
}

/// Questions, answers, chats and the median first text across every event.
async fn all_usage(store: &PgStore) -> (u64, u64, u64, Option<f64>) {
    let query = UsageQuery::new(None, None, None, Bucket::Day);
    let usage = ChatStore::usage(store, &query).await.unwrap();
    let t = usage.totals;
    (
        t.questions,
        t.answers.total(),
        t.chats,
        t.medians.first_token_ms,
    )
}

#[tokio::test]
async fn usage_across_events_rolls_settled_hours_up_and_still_sees_deletes_imports_and_new_turns() {
    let db = new_database().await;
    let store = store(&db).await;
    let (a, b) = two_events(&store).await;
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 6, d, h, 30, 0).unwrap();
    let first = answered_chat(&store, Some(a.id), day(1, 5), 100).await;
    answered_chat(&store, Some(b.id), day(1, 7), 300).await;
    // Four days later: past what one call rolls up, read from the messages meanwhile.
    answered_chat(&store, None, day(5, 9), 200).await;
    // A turn still generating holds back every hour from its own.
    let (generating, _) = turn_started(&store).await.unwrap();

    assert_eq!(all_usage(&store).await, (4, 4, 4, Some(200.0)));
    let rolled_until =
        "SELECT count(*) AS n FROM usage_rollup WHERE rolled_until = '2026-06-04 05:00Z'";
    assert_eq!(db.count(rolled_until).await, 1, "72 hours from the first");
    // Two hours of a chat each: a row for the questions, one for the model, one for chats.
    assert_eq!(db.count("SELECT count(*) AS n FROM usage_hours").await, 6);
    for _ in 0..10 {
        assert_eq!(all_usage(&store).await, (4, 4, 4, Some(200.0)));
    }
    let held = "SELECT count(*) AS n FROM usage_rollup WHERE rolled_until = '2026-06-27 05:00Z'";
    assert_eq!(
        db.count(held).await,
        1,
        "up to the generating answer's hour"
    );

    // A delete marks its hour; it is read from the messages, then rolled up again.
    store.delete_session(first.id).await.unwrap();
    let marked = "SELECT count(DISTINCT hour) AS n FROM usage_dirty";
    assert_eq!(db.count(marked).await, 1);
    assert_eq!(all_usage(&store).await, (3, 3, 3, Some(250.0)));
    assert_eq!(db.count("SELECT count(*) AS n FROM usage_dirty").await, 0);
    assert_eq!(all_usage(&store).await, (3, 3, 3, Some(250.0)));

    // A chat imported into a rolled-up hour counts at once.
    let chat = ImportedChat {
        session: ChatSession {
            created_at: day(1, 5),
            ..session(None, day(1, 5))
        },
        ..imported(ImportKind::ChatGpt, "conv-usage", None, 0)
    };
    let chat = ImportedChat {
        messages: vec![user_message(chat.session.id, "Salt?", day(1, 5))],
        ..chat
    };
    assert!(store.import_chat(&chat).await.unwrap());
    assert_eq!(all_usage(&store).await, (4, 3, 4, Some(250.0)));

    // Deleting an event marks the hours of its chats and messages, cascades included.
    store.delete_session(generating.id).await.unwrap();
    store.delete_event(b.id).await.unwrap();
    assert_eq!(all_usage(&store).await, (2, 1, 2, Some(200.0)));
    let of_a = UsageQuery::new(Some(a.id), None, None, Bucket::Day);
    let of_a = ChatStore::usage(&store, &of_a).await.unwrap();
    assert_eq!(of_a.totals.questions, 0);
}

#[tokio::test]
async fn usage_calls_at_once_roll_each_hour_up_once() {
    let db = new_database().await;
    let store = store(&db).await;
    // Ten days of a chat a day: four calls' worth of rolling up.
    for day in 1..=10 {
        let asked = Utc.with_ymd_and_hms(2026, 5, day, 12, 0, 0).unwrap();
        answered_chat(&store, None, asked, 100 * day).await;
    }
    for _ in 0..6 {
        let calls = (0..4).map(|_| all_usage(&store));
        for figures in futures_util::future::join_all(calls).await {
            assert_eq!(figures, (10, 10, 10, Some(550.0)));
        }
    }
    let rolled = "SELECT count(*) AS n FROM usage_rollup WHERE rolled_until > '2026-05-10 12:00Z'";
    assert_eq!(db.count(rolled).await, 1);
    assert_eq!(
        db.count("SELECT coalesce(sum(questions), 0)::bigint AS n FROM usage_hours")
            .await,
        10
    );
}
