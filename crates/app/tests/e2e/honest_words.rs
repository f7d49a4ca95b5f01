//! What a person reads when the model fails or cuts an answer short, through the whole app:
//! every recorded response of a real OpenAI-compatible server (`llm-openai/tests/fixtures`)
//! replayed byte for byte, in one write and one byte per write, plus the faults no recording
//! holds (a model that cannot be reached, one that goes silent, a stop). Each ends in the
//! stored status and code that fit it, and neither the stream's last event nor the stored
//! reason carries a word of what the provider said, a link, an account id or a setting.

use std::time::Duration;

use serde_json::{Value, json};
use test_support::app::{TestApp, spawn_app, spawn_app_with};
use test_support::fake_openai::Behavior;
use test_support::replay::{ReplayServer, Split, fixtures, http_response, replay, sse_response};

use crate::chat::{chunks, session_id, wait_for_answer};

/// Words that must never reach a person: what the recordings' providers said, and the
/// marks of links, account ids, keys and settings.
fn forbidden(recording: &str) -> Vec<String> {
    let mut words: Vec<String> = [
        "http",
        "://",
        "org-",
        "sk-",
        "OPENAI",
        "API_KEY",
        "api key",
        "HTTP",
        "127.0.0.1",
        "error decoding",
        "help center",
        "platform.openai.com",
    ]
    .map(str::to_owned)
    .to_vec();
    // Each provider message: its opening words are enough to tell it.
    for part in recording.split("\"message\"").skip(1) {
        let Some(text) = part.split('"').nth(1) else {
            continue;
        };
        let opening: String = text.chars().take(20).collect();
        if opening.chars().count() >= 12 {
            words.push(opening);
        }
    }
    words
}

fn assert_clean(text: &str, recording: &str, case: &str) {
    for word in forbidden(recording) {
        assert!(
            !text.contains(&word),
            "{case}: {word:?} reached a person: {text}"
        );
    }
}

/// What one turn left: the stream's last event and the stored answer.
struct Ended {
    last: Value,
    streamed: String,
    stored: Value,
}

async fn turn(app: &TestApp, body: &Value) -> Ended {
    let events = app.chat_events(body).await;
    let session = wait_for_answer(app, &session_id(&events)).await;
    let stored = session["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    Ended {
        last: events.last().unwrap().clone(),
        streamed: chunks(&events),
        stored,
    }
}

/// The code each recording should end in: a note's for a complete answer (or none), the
/// reason's for an interrupted one.
fn expected_code(name: &str) -> Option<&'static str> {
    let expected: Value = std::fs::read(fixtures().join(format!("expected/{name}.json")))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null);
    match (
        expected["outcome"].as_str(),
        expected["finish_reason"].as_str(),
    ) {
        (Some("finished"), Some("length")) => Some("length"),
        (Some("finished"), Some("content_filter")) => Some("content_filter"),
        (Some("finished"), _) => None,
        _ => match name {
            "aibridge_http400-context-length-exceeded" => Some("model_context_too_long"),
            "err_http400-invalid-request-param" => Some("model_refused"),
            "err_http401-invalid-api-key" => Some("model_key_refused"),
            "err_http429-insufficient-quota" => Some("model_out_of_quota"),
            "err_http429-rate-limit-requests-no-retry-after" | "err_http429-rate-limit-tokens" => {
                Some("model_rate_limited")
            }
            "err_http500-server-error"
            | "err_http502-html-from-proxy"
            | "err_http503-overloaded" => Some("model_failed"),
            // Streams that fail: before any text (retried, then reported) or after some.
            _ => Some("interrupted"),
        },
    }
}

/// Every recording, as the response it is replayed as.
fn recordings() -> Vec<(String, Vec<u8>, String)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let bytes = std::fs::read(&path).unwrap_or_default();
        let response = match path.extension().and_then(|e| e.to_str()) {
            Some("sse") => sse_response(&bytes),
            Some("http") => http_response(&bytes),
            _ => continue,
        };
        all.push((name, response, String::from_utf8_lossy(&bytes).into_owned()));
    }
    all.sort();
    all
}

async fn app_on(server: &ReplayServer) -> TestApp {
    let base_url = server.base_url.clone();
    spawn_app_with(Behavior::answer(&["unused"]), move |settings| {
        settings.openai.base_url = base_url;
    })
    .await
}

#[tokio::test]
async fn every_recording_ends_in_its_own_status_and_words_with_nothing_of_the_provider() {
    let recordings = recordings();
    assert_eq!(recordings.len(), 37, "every .sse and .http recording");
    let server = replay(Vec::new(), Split::OneWrite).await;
    let app = app_on(&server).await;
    for (name, response, recording) in &recordings {
        for split in [Split::OneWrite, Split::BytePerWrite] {
            let case = format!("{name} [{split:?}]");
            server.set(response.clone(), split);
            let ended = turn(&app, &json!({"message": "How much salt per hour?"})).await;
            let (last, stored) = (&ended.last, &ended.stored);
            assert_eq!(
                stored["content"], ended.streamed,
                "{case}: the text as streamed"
            );
            let reason = stored["status_reason"].as_str().unwrap_or_default();
            assert_clean(reason, recording, &case);
            match expected_code(name) {
                Some(note @ ("length" | "content_filter")) => {
                    assert_eq!(last["done"], true, "{case}: {last}");
                    assert_eq!(last["status_code"], note, "{case}");
                    assert_eq!(stored["status"], "complete", "{case}");
                    assert_eq!(stored["status_code"], note, "{case}");
                    assert!(reason.contains("incomplete"), "{case}: {reason}");
                    assert_eq!(last["status_reason"], reason, "{case}");
                }
                None => {
                    assert_eq!(last["done"], true, "{case}: {last}");
                    assert_eq!(last["status_code"], Value::Null, "{case}");
                    assert_eq!(stored["status"], "complete", "{case}");
                    assert_eq!(stored["status_reason"], Value::Null, "{case}");
                }
                Some(code) => {
                    let error = last["error"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{case}: {last}"));
                    assert_clean(error, recording, &case);
                    assert_eq!(stored["status"], "interrupted", "{case}");
                    assert_eq!(last["code"], stored["status_code"], "{case}");
                    assert_eq!(
                        error, reason,
                        "{case}: the stream and the chat say the same"
                    );
                    if code == "interrupted" {
                        let stored_code = stored["status_code"].as_str().unwrap();
                        assert!(
                            stored_code.starts_with("model_") || stored_code == "cut_off",
                            "{case}: {stored_code}"
                        );
                    } else {
                        assert_eq!(stored["status_code"], code, "{case}");
                    }
                    // Whether the answer is incomplete is said when some of it arrived.
                    assert_eq!(
                        error.contains("incomplete"),
                        !ended.streamed.is_empty(),
                        "{case}: {error}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn faults_no_recording_holds_are_worded_the_same_way() {
    // Nothing listens where the model should be.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_app_with(Behavior::answer(&["unused"]), |settings| {
        settings.openai.base_url = nowhere;
    })
    .await;
    let ended = turn(&app, &json!({"message": "Anyone?"})).await;
    assert_eq!(ended.stored["status_code"], "model_unreachable");
    assert_clean(ended.last["error"].as_str().unwrap(), "", "unreachable");

    // A model that goes silent mid-answer.
    let app = spawn_app_with(Behavior::StallAfter(vec!["Slow ".into()]), |settings| {
        settings.openai.idle_timeout = Duration::from_millis(300);
    })
    .await;
    let ended = turn(&app, &json!({"message": "Still there?"})).await;
    assert_eq!(ended.stored["status_code"], "model_stalled");
    let error = ended.last["error"].as_str().unwrap();
    assert!(error.contains("incomplete"), "{error}");
    assert_clean(error, "", "stalled");
}

#[tokio::test]
async fn a_chat_too_long_for_the_model_is_asked_again_shorter_and_the_answer_says_so() {
    let app = spawn_app().await;
    let first = app
        .chat_events(&json!({"message": "Plan my first 50 miles"}))
        .await;
    let session = session_id(&first);
    let too_long =
        std::fs::read(fixtures().join("aibridge_http400-context-length-exceeded.http")).unwrap();
    let body: Value = serde_json::from_str(
        String::from_utf8_lossy(&too_long)
            .split_once("\n{")
            .map(|(_, json)| format!("{{{json}"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    app.model.then([Behavior::Status {
        status: 400,
        headers: vec![],
        body,
    }]);
    let ended = turn(
        &app,
        &json!({"message": "And the next 50?", "session_id": session}),
    )
    .await;
    assert_eq!(ended.last["done"], true, "{}", ended.last);
    assert_eq!(ended.last["status_code"], "history_shortened");
    assert_eq!(ended.stored["status_code"], "history_shortened");
    assert!(
        ended.stored["status_reason"]
            .as_str()
            .is_some_and(|r| r.contains("older messages were left out")),
        "{}",
        ended.stored
    );
    let requests = app.model.requests();
    let sent = |i: usize| requests[i]["messages"].as_array().unwrap().len();
    // The first turn, the refused second, then the second again with less history.
    assert_eq!(requests.len(), 3);
    assert!(sent(2) < sent(1), "{} then {}", sent(1), sent(2));
    assert_eq!(
        requests[2]["messages"].as_array().unwrap().last().unwrap()["content"],
        "And the next 50?"
    );
}
