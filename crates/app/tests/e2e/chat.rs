use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use test_support::app::{
    MODEL_KEY, TestApp, assert_contains_all, assert_problem, settings, spawn_app,
    spawn_app_answering, spawn_app_with, test_database,
};
use test_support::fake_openai::Behavior;
use test_support::sse::parse_sse;

pub fn session_id(events: &[Value]) -> String {
    events[0]["session_id"]
        .as_str()
        .expect("first event names the session")
        .to_owned()
}

pub fn chunks(events: &[Value]) -> String {
    events.iter().filter_map(|e| e["chunk"].as_str()).collect()
}

/// Waits until the session's answer is final (generation is detached; until then its row is
/// `generating`).
pub async fn wait_for_answer(app: &TestApp, id: &str) -> Value {
    for _ in 0..100 {
        let session = app.session_json(id).await;
        if session["messages"]
            .as_array()
            .unwrap()
            .last()
            .is_some_and(|m| m["role"] == "assistant" && m["status"] != "generating")
        {
            return session;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no answer stored for {id}");
}

#[tokio::test]
async fn a_new_question_streams_session_id_then_chunks_then_done_and_stores_both_sides() {
    let app = spawn_app().await;
    let event = app.create_event("Western States 100").await;
    let event_id = event["id"].as_str().unwrap();
    app.post_json("/api/waypoints", &json!({"event_id": event_id, "name": "Robinson Flat", "waypoint_type": "food", "distance_from_start": 30.3})).await;

    let events = app
        .chat_events(
            &json!({"message": "How should I pace the first 30 miles?", "event_id": event_id}),
        )
        .await;

    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e.as_object().unwrap().keys().next().unwrap().as_str())
        .collect();
    assert!(events[0]["session_id"].is_string(), "{events:?}");
    assert_eq!(
        events.iter().filter(|e| e.get("chunk").is_some()).count(),
        4,
        "{kinds:?}"
    );
    let last = events.last().unwrap();
    assert_eq!(last["done"], true);
    // The event's details were in the prompt: the answer cites them.
    assert_eq!(
        last["sources"],
        json!([{"type": "event", "event_id": event_id, "name": "Western States 100"}])
    );
    assert_eq!(chunks(&events), "Start easy, then hold on.");

    // Committed by the time `done` arrives.
    let session = app.session_json(&session_id(&events)).await;
    assert_eq!(session["event_id"], event_id);
    assert_eq!(session["title"], "How should I pace the first 30 miles?");
    let messages = session["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        (
            messages[0]["role"].as_str(),
            messages[0]["content"].as_str()
        ),
        (Some("user"), Some("How should I pace the first 30 miles?"))
    );
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"], chunks(&events));
    assert_eq!(messages[1]["status"], "complete");
    assert_eq!(messages[1]["finish_reason"], "stop");
    assert_eq!(messages[1]["model"], "fake-gpt");
    assert_eq!(messages[1]["usage"]["completion_tokens"], 4);
    assert_eq!(last["message_id"], messages[1]["id"]);

    // What the model was sent: the coach, the event and its waypoints, the question.
    let sent = &app.model.requests()[0];
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["model"], "fake-gpt");
    let system = sent["messages"][0]["content"].as_str().unwrap();
    assert_eq!(sent["messages"][0]["role"], "system");
    assert_contains_all(
        system,
        &["ultra-running coach", "Western States 100", "Robinson Flat"],
    );
    assert_eq!(
        sent["messages"][1],
        json!({"role": "user", "content": "How should I pace the first 30 miles?"})
    );
}

#[tokio::test]
async fn a_continued_session_sends_the_event_the_history_and_the_new_message() {
    let app = spawn_app().await;
    let event = app.create_event("Hardrock").await;
    let first = app
        .chat_events(&json!({"message": "Pacing?", "event_id": event["id"]}))
        .await;
    let id = session_id(&first);
    let before = app.session_json(&id).await;

    // No event_id in the follow-up: the session's own event still goes into the prompt.
    let second = app
        .chat_events(&json!({"message": "And nutrition?", "session_id": id}))
        .await;

    assert_eq!(session_id(&second), id);
    assert_eq!(second.last().unwrap()["done"], true);
    let sent = &app.model.requests()[1];
    let roles_and_texts: Vec<(String, String)> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(roles_and_texts[0].1.contains("Hardrock"));
    let rest: Vec<(&str, &str)> = roles_and_texts[1..]
        .iter()
        .map(|(r, t)| (r.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        rest,
        [
            ("user", "Pacing?"),
            ("assistant", "Start easy, then hold on."),
            ("user", "And nutrition?")
        ]
    );
    let after = app.session_json(&id).await;
    assert_eq!(after["messages"].as_array().unwrap().len(), 4);
    assert!(after["updated_at"].as_str() > before["updated_at"].as_str());
    assert_eq!(after["title"], "Pacing?");
}

async fn failed_turn(model: Behavior) -> (TestApp, Vec<Value>, Value) {
    let app = spawn_app_answering(model).await;
    let events = app.chat_events(&json!({"message": "Will it hold?"})).await;
    let session = wait_for_answer(&app, &session_id(&events)).await;
    (app, events, session)
}

fn assert_failed_turn(events: &[Value], session: &Value, expected_text: &str, error_words: &str) {
    let error = events.last().unwrap()["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error event: {events:?}"));
    assert!(error.contains(error_words), "{error}");
    // Nothing of the provider, the operator's settings or the server's insides.
    for internal in [MODEL_KEY, "sk-", "http", "HTTP", "127.0.0.1", "OPENAI"] {
        assert!(!error.contains(internal), "{internal} in {error}");
    }
    assert_eq!(chunks(events), expected_text);
    let messages = session["messages"].as_array().unwrap();
    assert_eq!(
        messages[0]["content"], "Will it hold?",
        "the question is always kept"
    );
    assert_eq!(messages[1]["status"], "interrupted");
    assert_eq!(messages[1]["content"], expected_text);
    assert!(
        messages[1]["status_reason"]
            .as_str()
            .is_some_and(|r| r.contains(error_words))
    );
}

#[tokio::test]
async fn an_upstream_401_ends_the_stream_with_a_readable_error_and_keeps_the_question() {
    let model = Behavior::Status {
        status: 401,
        headers: vec![],
        body: json!({"error": {"message": format!("Incorrect API key provided: {MODEL_KEY}"), "code": "invalid_api_key"}}),
    };
    let (app, events, session) = failed_turn(model).await;
    assert_failed_turn(
        &events,
        &session,
        "",
        "did not accept aidstation's access key",
    );
    assert_eq!(app.model.requests().len(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn an_upstream_429_with_retry_after_is_retried_and_then_answered() {
    let app = spawn_app().await;
    app.model.then([Behavior::Status {
        status: 429,
        headers: vec![("retry-after", "1".into())],
        body: json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}),
    }]);
    let started = std::time::Instant::now();
    let events = app.chat_events(&json!({"message": "Busy?"})).await;
    assert_eq!(events.last().unwrap()["done"], true);
    assert_eq!(chunks(&events), "Start easy, then hold on.");
    assert_eq!(app.model.requests().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retry-after honoured"
    );
}

#[tokio::test]
async fn an_upstream_500_before_any_output_is_retried_then_reported() {
    let (app, events, session) =
        failed_turn(Behavior::status(500, "The server had an error")).await;
    assert_failed_turn(&events, &session, "", "ran into a problem on its side");
    assert_eq!(app.model.requests().len(), 3);
}

#[tokio::test]
async fn a_stream_dropped_mid_answer_keeps_the_text_that_arrived_as_interrupted() {
    let (_, events, session) = failed_turn(Behavior::DropAfter(vec![
        "Walk ".into(),
        "the hills".into(),
    ]))
    .await;
    assert_failed_turn(&events, &session, "Walk the hills", "stopped partway");
}

#[tokio::test]
async fn an_error_event_mid_stream_keeps_the_text_that_arrived_as_interrupted() {
    let (_, events, session) = failed_turn(Behavior::ErrorAfter(
        vec!["Eat ".into()],
        "overloaded, sorry".into(),
    ))
    .await;
    assert_failed_turn(&events, &session, "Eat ", "stopped partway");
}

#[tokio::test]
async fn a_model_that_stalls_is_cut_by_the_idle_timeout() {
    let app = spawn_app_with(Behavior::StallAfter(vec!["Slow ".into()]), |s| {
        s.openai.idle_timeout = Duration::from_millis(500);
    })
    .await;
    let events = app.chat_events(&json!({"message": "Will it hold?"})).await;
    let session = wait_for_answer(&app, &session_id(&events)).await;
    assert_failed_turn(&events, &session, "Slow ", "stopped responding");
}

#[tokio::test]
async fn a_client_that_disconnects_after_the_first_chunk_still_gets_its_answer_stored() {
    let deltas: Vec<&str> = vec!["One ", "two ", "three ", "four ", "five."];
    let app = spawn_app_answering(Behavior::slow_answer(&deltas, 100)).await;
    let response = app.chat(&json!({"message": "Count for me"})).await;
    let mut body = response.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("\"chunk\"") {
        seen.push_str(std::str::from_utf8(&body.next().await.unwrap().unwrap()).unwrap());
    }
    let id = parse_sse(&seen[..seen.find("\n\n").unwrap() + 2])[0]["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(body);

    let session = wait_for_answer(&app, &id).await;
    let answer = &session["messages"][1];
    assert_eq!(answer["content"], "One two three four five.");
    assert_eq!(answer["status"], "complete");
}

#[tokio::test]
async fn without_a_configured_model_the_question_is_stored_and_the_error_says_what_to_set() {
    let app = spawn_app_with(Behavior::answer(&["unused"]), |s| {
        s.openai = llm_openai::OpenAiConfig::new(
            llm_openai::OpenAiConfig::DEFAULT_BASE_URL.into(),
            None,
            "gpt-4o-mini".into(),
        );
    })
    .await;
    let events = app.chat_events(&json!({"message": "Anyone there?"})).await;
    let error = events.last().unwrap()["error"].as_str().unwrap();
    // The setting to give is the operator's business (the log says it), not the person's.
    assert!(
        error.contains("not connected to a language model") && !error.contains("OPENAI"),
        "{error}"
    );
    let session = app.session_json(&session_id(&events)).await;
    assert_eq!(session["messages"][0]["content"], "Anyone there?");
    assert!(app.model.requests().is_empty());
    // History still works.
    assert_eq!(app.get("/api/chat/sessions").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn bad_chat_input_is_a_problem_before_any_stream_and_creates_nothing() {
    let app = spawn_app().await;
    let too_long = "x".repeat(2_001);
    let cases: Vec<(Value, StatusCode)> = vec![
        (json!([1, 2]), StatusCode::BAD_REQUEST),
        (json!("just a string"), StatusCode::BAD_REQUEST),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"message": 42}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"message": null}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"message": "   \n "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"message": too_long}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"message": "hi", "event_id": "nope"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"message": "hi", "session_id": "12345"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"message": "hi", "session_id": Uuid::new_v4()}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"message": "hi", "event_id": Uuid::new_v4()}),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (body, status) in cases {
        let problem = assert_problem(app.chat(&body).await, status).await;
        assert!(
            !problem.to_string().contains("String") && !problem.to_string().contains("Uuid"),
            "{problem}"
        );
    }
    let response = app
        .post_raw("/api/chat", "application/json", "{\"message\": ")
        .await;
    assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM chat_sessions")
            .await,
        0
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM chat_messages")
            .await,
        0
    );
    assert!(app.model.requests().is_empty());
}

#[tokio::test]
async fn a_silent_model_gets_ping_comments_on_the_stream() {
    let app = spawn_app_with(Behavior::slow_answer(&["Patience."], 1_200), |s| {
        s.sse_ping_every = Duration::from_millis(300);
    })
    .await;
    let body = app
        .chat(&json!({"message": "Still there?"}))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains(": ping\n\n"), "{body}");
    let events = parse_sse(&body);
    assert_eq!(events.last().unwrap()["done"], true);
}

#[tokio::test]
async fn fifty_concurrent_turns_all_complete_and_are_all_stored() {
    let app = spawn_app_answering(Behavior::slow_answer(&["Hydrate ", "early."], 20)).await;
    let results = futures_util::future::join_all((0..50).map(|i| {
        let app = &app;
        async move {
            app.chat_events(&json!({"message": format!("Question {i}")}))
                .await
        }
    }))
    .await;
    for events in &results {
        assert_eq!(events.last().unwrap()["done"], true, "{events:?}");
        assert_eq!(chunks(events), "Hydrate early.");
    }
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM chat_sessions")
            .await,
        50
    );
    assert_eq!(app.db.count("SELECT count(*) AS n FROM chat_messages WHERE role = 'assistant' AND status = 'complete'").await, 50);
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM chat_messages WHERE role = 'user'")
            .await,
        50
    );
}

#[tokio::test]
async fn on_shutdown_an_answer_gets_the_grace_period_then_what_it_has_is_stored_as_interrupted() {
    let db = test_database().await;
    let deltas = [
        "a ", "b ", "c ", "d ", "e ", "f ", "g ", "h ", "i ", "j ", "k ", "l ", "m ", "n ", "o ",
        "p ", "q ", "r ", "s ", "t ",
    ];
    let model =
        test_support::fake_openai::FakeOpenAi::start(Behavior::slow_answer(&deltas, 200)).await;
    let mut settings = settings(db.url().clone(), &model.base_url);
    settings.http.shutdown_grace = Duration::from_millis(500);
    let app = app::Application::build(&settings, db.url()).await.unwrap();
    let (address, stopper) = (format!("http://127.0.0.1:{}", app.port()), app.stopper());
    let stopped = tokio::spawn(app.run_until_stopped());
    let response = reqwest::Client::new()
        .post(format!("{address}/api/chat"))
        .json(&json!({"message": "Long answer please"}))
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let first = String::from_utf8(body.next().await.unwrap().unwrap().to_vec()).unwrap();
    let id = parse_sse(&first)[0]["session_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let started = std::time::Instant::now();
    stopper.cancel();
    stopped.await.unwrap().unwrap();

    // Cut by the grace periods, well before the whole answer's 4 s.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let sql = format!(
        "SELECT count(*) AS n FROM chat_messages WHERE session_id = '{id}' AND role = 'assistant' AND status = 'interrupted' AND status_code = 'server_shutdown' AND content LIKE 'a b %'"
    );
    assert_eq!(db.count(&sql).await, 1);
}

#[tokio::test]
async fn with_openai_http2_every_answer_streams_over_one_h2c_connection() {
    let app = spawn_app_with(
        Behavior::slow_answer(&["Over ", "one ", "connection."], 20),
        |s| s.openai.http2 = true,
    )
    .await;
    let questions: Vec<Value> = (0..5)
        .map(|i| json!({"message": format!("Question {i}")}))
        .collect();
    let turns = futures_util::future::join_all(questions.iter().map(|q| app.chat_events(q))).await;
    for events in &turns {
        assert_eq!(chunks(events), "Over one connection.");
        assert_eq!(events.last().unwrap()["done"], true, "{events:?}");
        let session = wait_for_answer(&app, &session_id(events)).await;
        assert_eq!(session["messages"][1]["status"], "complete");
    }
    // A cut stream over HTTP/2 is a reset stream: the answer so far is kept as interrupted.
    app.model.then([Behavior::DropAfter(vec!["Half ".into()])]);
    let events = app.chat_events(&json!({"message": "Will it hold?"})).await;
    let session = wait_for_answer(&app, &session_id(&events)).await;
    assert_failed_turn(&events, &session, "Half ", "");
}
