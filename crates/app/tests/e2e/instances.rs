//! Several instances on one database, each the real binary as a process of its own: an
//! answer resumed on another instance than the one writing it, stopped from a third, reaped
//! when its writer is killed, and left alone by an instance that starts while it is written.

use std::time::{Duration, Instant};

use local_postgres::testing::TestCluster;
use secrecy::SecretString;
use serde_json::Value;
use test_support::app::migrate;
use test_support::fake_openai::{Behavior, FakeOpenAi};

use crate::processes::{
    AppProcess, DELTAS, ask, ask_in_background, finished, full_answer, is_whole_prefix, read,
    until_chunks,
};

/// A lease short enough for a test to see it lapse; checkpoints every second.
const SETTINGS: [(&str, &str); 2] = [("ANSWER_LEASE_SECS", "2"), ("ANSWER_CHECKPOINT_SECS", "1")];

struct Instances {
    _cluster: TestCluster,
    url: SecretString,
    model: FakeOpenAi,
}

impl Instances {
    /// A database and a model that sends the 20 pieces of the answer 150 ms apart.
    async fn new(name: &str) -> Self {
        let cluster = TestCluster::start().await;
        let url = cluster.migrated_database(name, migrate).await;
        let model = FakeOpenAi::start(Behavior::slow_answer(&DELTAS, 150)).await;
        Self {
            _cluster: cluster,
            url,
            model,
        }
    }

    async fn start(&self) -> AppProcess {
        AppProcess::start(&self.url, &self.model, &SETTINGS).await
    }

    async fn three(&self) -> [AppProcess; 3] {
        let (a, b, c) = tokio::join!(self.start(), self.start(), self.start());
        [a, b, c]
    }
}

fn stored_answer(session: &Value) -> Value {
    session["messages"][1].clone()
}

#[tokio::test]
async fn an_answer_started_on_one_instance_resumes_on_another_from_a_cursor_byte_for_byte() {
    let instances = Instances::new("resume").await;
    let [a, b, _c] = instances.three().await;

    // The browser on A goes away after six pieces.
    let before = ask(&a.base, "Resume me", Some(6)).await;
    let answer_id = before.answer_id.clone().unwrap();
    let cursor = before.cursor.unwrap();
    assert_eq!(cursor as usize, before.streamed.len());

    let response = reqwest::Client::new()
        .get(b.url(&format!("/api/chat/messages/{answer_id}/stream")))
        .header("Last-Event-ID", cursor.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let after = read(response, None).await;
    assert!(after.ended_with("done"), "{after:?}");

    let stored = stored_answer(&b.session(before.session_id.as_deref().unwrap()).await);
    let whole = format!("{}{}", before.streamed, after.streamed);
    assert_eq!(whole, stored["content"].as_str().unwrap());
    assert_eq!(whole, full_answer());
    assert_eq!(after.cursor, Some(whole.len() as u64));
}

#[tokio::test]
async fn an_answer_stopped_from_a_third_instance_ends_its_stream_within_two_seconds_and_keeps_its_text()
 {
    let instances = Instances::new("stop").await;
    let [a, b, c] = instances.three().await;
    let (seen, reading) = ask_in_background(&a.base, "Stop me");
    until_chunks(&seen, 5).await;
    let answer_id = seen.lock().unwrap().answer_id.clone().unwrap();

    let response = reqwest::Client::new()
        .post(c.url(&format!("/api/chat/messages/{answer_id}/stop")))
        .send()
        .await
        .unwrap();
    let asked = Instant::now();
    assert_eq!(response.status(), 202);
    let (turn, ended) = finished(&seen, reading).await;
    assert!(
        ended - asked < Duration::from_secs(2),
        "the stream ended {:?} after the stop",
        ended - asked
    );

    let last = turn.last.clone().unwrap();
    assert_eq!(last["code"], "stopped", "{last}");
    let stored = stored_answer(&b.session(turn.session_id.as_deref().unwrap()).await);
    assert_eq!(stored["status"], "interrupted");
    assert_eq!(stored["status_code"], "stopped");
    assert_eq!(stored["content"].as_str().unwrap(), turn.streamed);
    assert_ne!(turn.streamed, full_answer());

    // Asked again, on any instance: it has ended, nothing changes.
    let again = reqwest::Client::new()
        .post(b.url(&format!("/api/chat/messages/{answer_id}/stop")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
}

#[tokio::test]
async fn an_answer_whose_instance_is_killed_is_reaped_by_another_within_the_lease_and_five_seconds()
{
    let instances = Instances::new("reap").await;
    let [mut a, b, _c] = instances.three().await;
    let before = ask(&a.base, "Kill my writer", Some(10)).await;
    a.signal("-KILL");
    let killed = Instant::now();
    a.exit_status(Duration::from_secs(5)).await;

    let session_id = before.session_id.unwrap();
    let answer = loop {
        let answer = stored_answer(&b.session(&session_id).await);
        if answer["status"] != "generating" {
            break answer;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(2 + 5),
            "not reaped within the lease and 5 s: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(answer["status"], "interrupted", "{answer}");
    assert_eq!(answer["status_code"], "process_died");
    let saved = answer["content"].as_str().unwrap();
    assert!(!saved.is_empty() && is_whole_prefix(saved), "{saved:?}");
    assert!(
        before.streamed.starts_with(saved),
        "{saved:?} vs {:?}",
        before.streamed
    );
}

#[tokio::test]
async fn an_instance_that_starts_while_another_answers_leaves_that_answer_to_finish_whole() {
    let instances = Instances::new("rolling").await;
    let a = instances.start().await;
    let (seen, reading) = ask_in_background(&a.base, "Keep going");
    until_chunks(&seen, 3).await;

    // A rolling deploy: a second instance comes up mid-answer.
    let b = instances.start().await;
    let (turn, _) = finished(&seen, reading).await;
    assert!(turn.ended_with("done"), "{turn:?}");
    let stored = stored_answer(&b.session(turn.session_id.as_deref().unwrap()).await);
    assert_eq!(stored["status"], "complete", "{stored}");
    assert_eq!(stored["content"].as_str().unwrap(), full_answer());
}
