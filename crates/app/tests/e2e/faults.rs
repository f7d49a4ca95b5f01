//! Faults, with the real `aidstation` binary as a process of its own, a real PostgreSQL
//! cluster of each test's own (so it can be stopped) and the fake model over HTTP: a database
//! restart under streaming turns, SIGKILL mid-answer, SIGTERM mid-answer.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use local_postgres::testing::TestCluster;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use test_support::app::migrate;
use test_support::fake_openai::{Behavior, FakeOpenAi};
use test_support::process::serving_port;
use test_support::sse::parse_event;
use tokio::process::{Child, Command};

const DELTAS: [&str; 20] = [
    "Start ", "easy ", "and ", "walk ", "every ", "climb ", "until ", "mile ", "thirty; ", "eat ",
    "sixty ", "grams ", "of ", "carbs ", "an ", "hour ", "and ", "drink ", "to ", "thirst.",
];

/// The app as a child process on a free port.
struct AppProcess {
    child: Child,
    base: String,
    client: reqwest::Client,
    log: PathBuf,
}

impl AppProcess {
    async fn start(database_url: &SecretString, model: &FakeOpenAi, env: &[(&str, &str)]) -> Self {
        let log = tempfile::Builder::new()
            .prefix("aidstation-faults-")
            .suffix(".log")
            .tempfile()
            .unwrap()
            .into_temp_path()
            .keep()
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_aidstation"));
        command
            .env("DATABASE_URL", database_url.expose_secret())
            // The app binds a free port itself and says which: nothing is bound and let go.
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("OPENAI_BASE_URL", &model.base_url)
            .env("OPENAI_API_KEY", "sk-fault-test")
            .env("OPENAI_MODEL", "fake-gpt")
            .env("DATABASE_POOL_TIMEOUT_MS", "500")
            .env("RUST_LOG", "warn,app=info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true);
        let mut app = Self {
            child: command.spawn().unwrap(),
            base: String::new(),
            client: reqwest::Client::new(),
            log,
        };
        for _ in 0..300 {
            if let Some(port) = serving_port(&app.log()) {
                app.base = format!("http://127.0.0.1:{port}");
                return app;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the app did not start serving: {}", app.log());
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    async fn exit_status(&mut self, within: Duration) -> ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the app did not exit within {within:?}"))
            .unwrap()
    }

    async fn session(&self, id: &str) -> Value {
        let response = self
            .client
            .get(self.url(&format!("/api/chat/sessions/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "session {id}");
        response.json().await.unwrap()
    }
}

/// What a client saw of one turn.
#[derive(Debug, Default)]
struct Turn {
    status: u16,
    session_id: Option<String>,
    streamed: String,
    last: Option<Value>,
}

impl Turn {
    fn ended_with(&self, key: &str) -> bool {
        self.last
            .as_ref()
            .is_some_and(|event| event.get(key).is_some())
    }
}

/// Asks `message`, reading the stream until it ends (or `stop_after_chunks` arrived).
async fn ask(app_base: &str, message: &str, stop_after_chunks: Option<usize>) -> Turn {
    let response = reqwest::Client::new()
        .post(format!("{app_base}/api/chat"))
        .json(&json!({"message": message}))
        .send()
        .await
        .unwrap();
    let mut turn = Turn {
        status: response.status().as_u16(),
        ..Turn::default()
    };
    if !response.status().is_success() {
        return turn;
    }
    let mut body = response.bytes_stream();
    let mut pending = String::new();
    let mut chunks = 0;
    while let Some(Ok(bytes)) = body.next().await {
        pending.push_str(std::str::from_utf8(&bytes).unwrap());
        while let Some(end) = pending.find("\n\n") {
            let block: String = pending.drain(..end + 2).collect();
            let Some(event) = parse_event(block.trim_end()) else {
                continue; // a `: ping` comment
            };
            if let Some(id) = event["session_id"].as_str() {
                turn.session_id = Some(id.to_owned());
            }
            if let Some(chunk) = event["chunk"].as_str() {
                turn.streamed.push_str(chunk);
                chunks += 1;
            }
            turn.last = Some(event);
        }
        if stop_after_chunks.is_some_and(|n| chunks >= n) {
            break;
        }
    }
    turn
}

fn full_answer() -> String {
    DELTAS.concat()
}

/// True when `text` is the first pieces of the answer, whole: what a checkpoint writes.
fn is_whole_prefix(text: &str) -> bool {
    (0..=DELTAS.len()).any(|n| DELTAS[..n].concat() == text)
}

#[tokio::test]
async fn a_database_restart_under_32_streaming_turns_loses_no_question_and_needs_no_app_restart() {
    let cluster = TestCluster::start().await;
    let url = cluster.migrated_database("restart", migrate).await;
    let model = FakeOpenAi::start(Behavior::slow_answer(&DELTAS, Duration::from_millis(75))).await;
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
    let model = FakeOpenAi::start(Behavior::slow_answer(&DELTAS, Duration::from_millis(150))).await;
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
    let model = FakeOpenAi::start(Behavior::slow_answer(&DELTAS, Duration::from_millis(200))).await;
    // The first question gets a short answer that fits in the grace period.
    model.then([Behavior::slow_answer(
        &DELTAS[..5],
        Duration::from_millis(100),
    )]);
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
