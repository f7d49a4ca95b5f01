//! Faults, with the real `aidstation` binary as a process of its own, a real PostgreSQL
//! cluster of each test's own (so it can be stopped, or cut off by a proxy) and the fake
//! model over HTTP: a database restart under streaming turns, SIGKILL mid-answer, SIGTERM
//! mid-answer, a network partition to the database that heals or never does.

use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::Value;
use test_support::proxy::Proxy;

use local_postgres::testing::TestCluster;
use test_support::app::migrate;
use test_support::fake_openai::{Behavior, FakeOpenAi};

use crate::processes::{
    AppProcess, DELTAS, Turn, ask, ask_in_background, finished, full_answer, is_whole_prefix,
    until_chunks,
};

#[tokio::test]
async fn a_database_restart_under_32_streaming_turns_loses_no_question_and_needs_no_app_restart() {
    let cluster = TestCluster::start().await;
    let url = cluster.migrated_database("restart", migrate).await;
    let model = FakeOpenAi::start(Behavior::slow_answer(&DELTAS, 75)).await;
    let app = AppProcess::start(&url, &model, &[("ANSWER_CHECKPOINT_SECS", "1")]).await;

    let turns: Vec<_> = (0..32)
        .map(|i| {
            let base = app.base.clone();
            tokio::spawn(async move {
                let message = format!("Question {i}");
                (message.clone(), ask(&base, &message, None).await)
            })
        })
        .collect();
    // All 32 questions are stored and their answers streaming when the database goes.
    while model.requests().len() < 32 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    cluster.stop().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.restart().await;
    let turns: Vec<(String, Turn)> = futures_util::future::join_all(turns)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let (mut completed, mut failed) = (0, 0);
    for (question, turn) in &turns {
        assert_eq!(turn.status, 200, "{question}");
        assert!(
            turn.ended_with("done") || turn.ended_with("error"),
            "{question}: the stream ended without done or error: {turn:?}"
        );
        if turn.ended_with("done") {
            completed += 1;
        } else {
            failed += 1;
        }
        // The question was committed before its session_id was sent: it is there, and its
        // answer is final (complete, or interrupted with a reason), not left generating.
        let id = turn.session_id.as_deref().unwrap();
        let session = app.session(id).await;
        assert_eq!(session["messages"][0]["content"], question.as_str());
        assert_ne!(session["messages"][1]["status"], "generating", "{session}");
    }
    eprintln!(
        "32 turns streaming across a database restart: {completed} completed, {failed} ended with an error event"
    );
    assert!(completed > 0, "no turn completed");

    // Recovered without restarting the app.
    let after = ask(&app.base, "Still there?", None).await;
    assert!(after.ended_with("done"), "{after:?}\n{}", app.log());
    assert!(!app.log().contains("panicked"), "{}", app.log());
}

#[tokio::test]
async fn after_sigkill_mid_answer_every_question_is_kept_and_its_answer_is_interrupted_with_whole_saved_text()
 {
    let cluster = TestCluster::start().await;
    let url = cluster.migrated_database("killed", migrate).await;
    let model = FakeOpenAi::start(Behavior::slow_answer(&DELTAS, 150)).await;
    let lease = [("ANSWER_CHECKPOINT_SECS", "1"), ("ANSWER_LEASE_SECS", "2")];
    let mut app = AppProcess::start(&url, &model, &lease).await;

    let turns: Vec<_> = (0..8)
        .map(|i| {
            let base = app.base.clone();
            tokio::spawn(async move { ask(&base, &format!("Kill test {i}"), Some(10)).await })
        })
        .collect();
    let turns: Vec<Turn> = futures_util::future::join_all(turns)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    // Ten pieces in (1.5 s): at least one checkpoint has been written for each answer.
    app.signal("-KILL");
    let killed_at = std::time::Instant::now();
    let killed = app.exit_status(Duration::from_secs(5)).await;
    assert!(!killed.success());

    // The next instance marks them once their lease (2 s) has lapsed.
    let app = AppProcess::start(&url, &model, &lease).await;
    while !app.log().contains("marked interrupted") {
        assert!(
            killed_at.elapsed() < Duration::from_secs(2 + 5),
            "the unfinished answers were not reaped within the lease and 5 s: {}",
            app.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (i, turn) in turns.iter().enumerate() {
        let id = turn.session_id.as_deref().unwrap();
        let session = app.session(id).await;
        let messages = session["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 2, "{session}");
        assert_eq!(messages[0]["content"], format!("Kill test {i}"));
        let answer = &messages[1];
        assert_eq!(answer["status"], "interrupted", "{answer}");
        assert!(
            answer["status_reason"]
                .as_str()
                .unwrap()
                .contains("stopped"),
            "{answer}"
        );
        let saved = answer["content"].as_str().unwrap();
        assert!(is_whole_prefix(saved), "a half-written answer: {saved:?}");
        assert!(!saved.is_empty(), "nothing was saved in 1.5 s: {answer}");
        assert!(turn.streamed.starts_with(saved) || saved.starts_with(&turn.streamed));
        assert_ne!(saved, full_answer());
    }
}

#[tokio::test]
async fn sigterm_lets_short_answers_finish_interrupts_the_rest_after_the_grace_and_exits_0() {
    let cluster = TestCluster::start().await;
    let url = cluster.migrated_database("terminated", migrate).await;
    let model = FakeOpenAi::start(Behavior::slow_answer(&DELTAS, 200)).await;
    // The first question gets a short answer that fits in the grace period.
    model.then([Behavior::slow_answer(&DELTAS[..5], 100)]);
    let mut app = AppProcess::start(&url, &model, &[("SHUTDOWN_GRACE_SECS", "2")]).await;

    let short = {
        let base = app.base.clone();
        tokio::spawn(async move { ask(&base, "Short one", None).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let long: Vec<_> = (0..3)
        .map(|i| {
            let base = app.base.clone();
            tokio::spawn(async move { ask(&base, &format!("Long {i}"), None).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.signal("-TERM");
    let status = app.exit_status(Duration::from_secs(15)).await;
    assert_eq!(status.code(), Some(0), "{}", app.log());

    let short = short.await.unwrap();
    assert!(short.ended_with("done"), "{short:?}");
    assert_eq!(short.streamed, DELTAS[..5].concat());
    let long: Vec<Turn> = futures_util::future::join_all(long)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let app = AppProcess::start(&url, &model, &[]).await;
    let answer = |session: &Value| session["messages"][1].clone();
    let short_answer = answer(&app.session(short.session_id.as_deref().unwrap()).await);
    assert_eq!(short_answer["status"], "complete");
    for turn in &long {
        assert!(turn.ended_with("error"), "{turn:?}");
        let stored = answer(&app.session(turn.session_id.as_deref().unwrap()).await);
        assert_eq!(stored["status"], "interrupted", "{stored}");
        // Exactly what the client was sent before the cut.
        assert_eq!(stored["content"], turn.streamed.as_str());
        assert!(!turn.streamed.is_empty() && turn.streamed != full_answer());
    }
}

/// An app that reaches its database through a proxy of the test's own, which can cut the
/// network without a reset; deadlines short enough for a test.
async fn behind_a_proxy(
    name: &str,
    save_retry_secs: &str,
    lease_secs: &str,
) -> (TestCluster, Proxy, FakeOpenAi, AppProcess) {
    let cluster = TestCluster::start().await;
    cluster.migrated_database(name, migrate).await;
    let proxy = Proxy::start(cluster.cluster().socket_path()).await;
    let url = SecretString::from(proxy.database_url(name));
    let model = FakeOpenAi::start(Behavior::slow_answer(&DELTAS, 150)).await;
    let settings = [
        ("DATABASE_STATEMENT_TIMEOUT_MS", "1000"),
        ("ANSWER_CHECKPOINT_SECS", "1"),
        ("ANSWER_SAVE_RETRY_SECS", save_retry_secs),
        ("ANSWER_LEASE_SECS", lease_secs),
        ("SHUTDOWN_GRACE_SECS", "2"),
    ];
    let app = AppProcess::start(&url, &model, &settings).await;
    (cluster, proxy, model, app)
}

async fn until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_partition_mid_answer_never_stops_the_words_and_once_healed_the_answer_is_stored_whole() {
    let (_cluster, proxy, _model, app) = behind_a_proxy("partition_healed", "20", "15").await;
    let (seen, task) = ask_in_background(&app.base, "Through the partition");
    until_chunks(&seen, 4).await;

    proxy.cut();
    let cut = Instant::now();
    // Every piece still reaches the client, at the model's pace (150 ms): saving waits (a
    // checkpoint is due every second, and each waits out its 1 s deadline), the words do not.
    until(
        "the rest of the answer, during the partition",
        Duration::from_secs(6),
        || seen.lock().unwrap().streamed == full_answer(),
    )
    .await;
    {
        let turn = seen.lock().unwrap();
        assert!(turn.last.as_ref().is_some_and(|e| e.get("chunk").is_some()));
        let during: Vec<Instant> = turn.arrivals.iter().copied().filter(|t| *t > cut).collect();
        let slowest = during.windows(2).map(|w| w[1] - w[0]).max();
        assert!(
            slowest.is_some_and(|gap| gap < Duration::from_millis(700)),
            "a gap of {slowest:?} between pieces"
        );
    }

    // Anything else asked of the database meanwhile is a 503 within the deadline.
    let asked = Instant::now();
    let events = reqwest::get(app.url("/api/events")).await.unwrap();
    assert_eq!(events.status(), 503);
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );

    proxy.heal();
    let (turn, _) = finished(&seen, task).await;
    assert!(turn.ended_with("done"), "{turn:?}\n{}", app.log());
    let session = app.session(turn.session_id.as_deref().unwrap()).await;
    let stored = &session["messages"][1];
    assert_eq!(stored["status"], "complete", "{stored}");
    assert_eq!(stored["content"].as_str().unwrap(), full_answer());
}

#[tokio::test]
async fn a_partition_that_never_heals_ends_the_stream_saying_so_and_sigterm_still_ends_the_app() {
    let (_cluster, proxy, _model, mut app) = behind_a_proxy("partition_lost", "2", "15").await;
    let (seen, task) = ask_in_background(&app.base, "Through the partition");
    until_chunks(&seen, 4).await;

    proxy.cut();
    let (turn, _) = finished(&seen, task).await;
    assert_eq!(turn.streamed, full_answer());
    let last = turn.last.unwrap();
    assert_eq!(last["code"], "not_saved", "{last}");
    assert!(
        last["error"]
            .as_str()
            .is_some_and(|error| error.starts_with("aidstation could not save this answer")),
        "{last}"
    );
    let answer_id = turn.answer_id.unwrap();
    assert!(
        app.log().contains("the answer could not be saved") && app.log().contains(&answer_id),
        "{}",
        app.log()
    );

    // Grace (2 s) plus one deadline (1 s), whatever the database does.
    app.signal("-TERM");
    let stopping = Instant::now();
    app.exit_status(Duration::from_secs(6)).await;
    assert!(
        stopping.elapsed() < Duration::from_secs(2 + 1 + 2),
        "{:?}",
        stopping.elapsed()
    );
}

#[tokio::test]
async fn an_answer_whose_last_write_failed_is_reaped_once_the_database_is_back_and_its_chat_goes_on()
 {
    let (_cluster, proxy, _model, app) = behind_a_proxy("unsaved_then_healed", "2", "3").await;
    let (seen, task) = ask_in_background(&app.base, "Through the partition");
    until_chunks(&seen, 4).await;
    proxy.cut();
    let (turn, _) = finished(&seen, task).await;
    assert_eq!(turn.last.as_ref().unwrap()["code"], "not_saved", "{turn:?}");
    proxy.heal();

    // Its run is over, so its lease is no longer renewed: within the lease (3 s) and a look
    // (1 s) it is interrupted, with the text saved before the cut, instead of generating for
    // as long as the app lives.
    let session_id = turn.session_id.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let stored = loop {
        let session = app.session(&session_id).await;
        let answer = session["messages"][1].clone();
        if answer["status"] != "generating" {
            break answer;
        }
        assert!(
            Instant::now() < deadline,
            "still generating: {answer}\n{}",
            app.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(stored["status"], "interrupted", "{stored}");
    assert!(
        is_whole_prefix(stored["content"].as_str().unwrap()),
        "{stored}"
    );

    // And the chat takes its next question.
    let next = reqwest::Client::new()
        .post(app.url("/api/chat"))
        .json(&serde_json::json!({"message": "Again?", "session_id": session_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), 200, "{}", app.log());
}
