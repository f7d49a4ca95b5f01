//! Resuming and stopping an answer on the instance that writes it, and the edges: an answer
//! that has ended, an unknown id, a malformed or out-of-range cursor, a second question to a
//! chat whose answer is still being written.

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use test_support::app::{TestApp, assert_problem, spawn_app, spawn_app_answering};
use test_support::fake_openai::Behavior;
use test_support::sse::parse_sse;

const PIECES: [&str; 4] = ["Start ", "easy, ", "then ", "hold on."];

async fn resume(app: &TestApp, answer_id: &str, cursor: Option<&str>) -> Response {
    let mut request = app
        .client
        .get(app.url(&format!("/api/chat/messages/{answer_id}/stream")));
    if let Some(cursor) = cursor {
        request = request.header("Last-Event-ID", cursor);
    }
    request.send().await.unwrap()
}

async fn stop(app: &TestApp, answer_id: &str) -> Response {
    let url = app.url(&format!("/api/chat/messages/{answer_id}/stop"));
    app.client.post(url).send().await.unwrap()
}

fn texts(events: &[Value]) -> String {
    events.iter().filter_map(|e| e["chunk"].as_str()).collect()
}

/// Asks and reads the whole stream; returns its events and the answer's id.
async fn asked(app: &TestApp) -> (Vec<Value>, String) {
    let events = app.chat_events(&json!({"message": "Pacing?"})).await;
    let answer_id = events[0]["answer_id"].as_str().unwrap().to_owned();
    (events, answer_id)
}

#[tokio::test]
async fn chunk_ids_are_cursors_and_a_finished_answer_replays_after_any_of_them_then_ends() {
    let app = spawn_app_answering(Behavior::answer(&PIECES)).await;
    let (events, answer_id) = asked(&app).await;
    let whole = PIECES.concat();
    let cursors: Vec<u64> = events.iter().filter_map(|e| e["id"].as_u64()).collect();
    assert_eq!(cursors, [6, 12, 17, 25]);

    for (cursor, expected) in [(None, whole.as_str()), (Some("12"), "then hold on.")] {
        let response = resume(&app, &answer_id, cursor).await;
        assert_eq!(response.status(), StatusCode::OK);
        let replayed = parse_sse(&response.text().await.unwrap());
        assert_eq!(texts(&replayed), expected, "after {cursor:?}");
        assert_eq!(replayed.last().unwrap()["done"], true);
        assert_eq!(replayed.last().unwrap()["message_id"], answer_id.as_str());
    }
    // `?after=` does the same as the header.
    let response = app
        .get(&format!("/api/chat/messages/{answer_id}/stream?after=17"))
        .await;
    assert_eq!(
        texts(&parse_sse(&response.text().await.unwrap())),
        "hold on."
    );
}

#[tokio::test]
async fn a_cursor_at_or_past_the_end_replays_nothing_then_done() {
    let app = spawn_app_answering(Behavior::answer(&PIECES)).await;
    let (_, answer_id) = asked(&app).await;
    for cursor in ["25", "1000", "942342619046868317930790389469413376"] {
        let response = resume(&app, &answer_id, Some(cursor)).await;
        let replayed = parse_sse(&response.text().await.unwrap());
        assert_eq!(replayed.len(), 1, "{replayed:?}");
        assert_eq!(replayed[0]["done"], true);
    }
}

#[tokio::test]
async fn a_malformed_cursor_is_400_and_an_unknown_answer_404() {
    let app = spawn_app_answering(Behavior::answer(&["Crème ", "brûlée."])).await;
    let (events, answer_id) = asked(&app).await;
    // Inside the two bytes of `è`: no chunk ever ended there.
    for cursor in ["-1", "abc", "1.5", "3"] {
        let response = resume(&app, &answer_id, Some(cursor)).await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_problem(resume(&app, &unknown, None).await, StatusCode::NOT_FOUND).await;
    assert_problem(stop(&app, &unknown).await, StatusCode::NOT_FOUND).await;
    // The question is a message but not an answer.
    let question = app
        .session_json(events[0]["session_id"].as_str().unwrap())
        .await["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(resume(&app, &question, None).await, StatusCode::NOT_FOUND).await;
    let by_query = format!("/api/chat/messages/{answer_id}/stream?after=x");
    let response = app.get(&by_query).await;
    assert_problem(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn stopping_an_answer_that_has_ended_changes_nothing() {
    let app = spawn_app().await;
    let (_, answer_id) = asked(&app).await;
    let response = stop(&app, &answer_id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"id": answer_id, "status": "ended"}));
    let replayed = parse_sse(&resume(&app, &answer_id, None).await.text().await.unwrap());
    assert_eq!(replayed.last().unwrap()["done"], true);
}

#[tokio::test]
async fn a_stopped_answer_ends_every_stream_of_it_and_a_second_question_waits_for_it() {
    let pieces = ["one "; 40];
    let app = spawn_app_answering(Behavior::slow_answer(&pieces, 100)).await;
    let response = app.chat(&json!({"message": "Count"})).await;
    let mut body = response.bytes_stream();
    // The first event (`started`) names the answer.
    let first = futures_util::StreamExt::next(&mut body)
        .await
        .unwrap()
        .unwrap();
    let started = parse_sse(std::str::from_utf8(&first).unwrap());
    let session_id = started[0]["session_id"].as_str().unwrap().to_owned();
    let answer_id = started[0]["answer_id"].as_str().unwrap().to_owned();

    // While it is written, the chat takes no other question.
    let busy = app
        .chat(&json!({"message": "Again?", "session_id": session_id}))
        .await;
    let problem = assert_problem(busy, StatusCode::CONFLICT).await;
    assert_eq!(problem["answer_id"], answer_id.as_str());

    // A second stream of it, then the stop.
    let follower = tokio::spawn({
        let (client, url) = (
            app.client.clone(),
            app.url(&format!("/api/chat/messages/{answer_id}/stream")),
        );
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = stop(&app, &answer_id).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);

    let mut whole = first.to_vec();
    while let Some(bytes) = futures_util::StreamExt::next(&mut body).await {
        whole.extend_from_slice(&bytes.unwrap());
    }
    let own = parse_sse(std::str::from_utf8(&whole).unwrap());
    let followed = parse_sse(&follower.await.unwrap());
    for events in [&own, &followed] {
        let last = events.last().unwrap();
        assert_eq!(last["code"], "stopped", "{last}");
        assert_eq!(last["message_id"], answer_id.as_str());
    }
    let session = app.session_json(&session_id).await;
    let stored = &session["messages"][1];
    assert_eq!(stored["status"], "interrupted");
    assert_eq!(stored["status_code"], "stopped");
    assert_eq!(stored["content"].as_str().unwrap(), texts(&own));
    assert_eq!(texts(&followed), texts(&own));

    // Now the chat takes the next question.
    let next = app
        .chat_events(&json!({"message": "Again?", "session_id": session_id}))
        .await;
    assert!(next.last().unwrap()["done"] == true || next.last().unwrap()["error"].is_string());
}
