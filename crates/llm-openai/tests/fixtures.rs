//! The client against every recorded response in `tests/fixtures` (copied from the shared
//! fixture set; see its README for what each one teaches). A local HTTP server replays each
//! recording byte for byte, once in a single write and once one byte per write (which cuts
//! every multi-byte character and every line ending across reads). The expected outcomes in
//! `tests/fixtures/expected` were derived by an independent reading of the recordings and
//! agree with the `.expected.txt` and `.chunks.txt` files where those exist.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use domain::ports::{LanguageModel, LanguageModelError};
use domain::{Prompt, PromptMessage, PromptRole, ReplyChunk};
use futures_util::StreamExt;
use llm_openai::{OpenAiClient, OpenAiConfig};
use serde_json::Value;
use test_support::fake_openai::read_request;
use test_support::replay::{Split, fixtures, http_response, replay, sse_response};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

const KEY: &str = "sk-test-0123456789abcdef";

fn client(base_url: &str) -> OpenAiClient {
    let mut config = OpenAiConfig::new(base_url.into(), Some(KEY.into()), "gpt-test".into());
    config.retry_base_delay = Duration::from_millis(10);
    config.first_token_timeout = Duration::from_secs(20);
    config.idle_timeout = Duration::from_secs(5);
    OpenAiClient::new(config).unwrap()
}

fn prompt() -> Prompt {
    Prompt {
        messages: vec![
            PromptMessage {
                role: PromptRole::System,
                content: "coach".into(),
            },
            PromptMessage {
                role: PromptRole::User,
                content: "How do I pace a 100?".into(),
            },
        ],
    }
}

#[derive(Debug, PartialEq)]
struct Outcome {
    kind: String,
    text: String,
    finish_reason: Option<String>,
    usage: Option<[Option<i32>; 3]>,
    error: Option<LanguageModelError>,
}

async fn run(base_url: &str) -> Outcome {
    let mut outcome = Outcome {
        kind: "finished".into(),
        text: String::new(),
        finish_reason: None,
        usage: None,
        error: None,
    };
    let mut answer = match client(base_url).stream_reply(&prompt()).await {
        Ok(answer) => answer,
        Err(error) => {
            outcome.kind = "error".into();
            outcome.error = Some(error);
            return outcome;
        }
    };
    while let Some(item) = answer.next().await {
        match item {
            Ok(ReplyChunk::Text(text)) => outcome.text.push_str(&text),
            Ok(ReplyChunk::Finished {
                finish_reason,
                usage,
                ..
            }) => {
                outcome.finish_reason = Some(finish_reason);
                outcome.usage =
                    usage.map(|u| [u.prompt_tokens, u.completion_tokens, u.total_tokens]);
            }
            Err(error) => {
                outcome.kind = "interrupted".into();
                outcome.error = Some(error);
            }
        }
    }
    outcome
}

fn expected(name: &str) -> Outcome {
    let path = fixtures().join("expected").join(format!("{name}.json"));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let usage = json.get("usage").filter(|u| !u.is_null()).map(|u| {
        ["prompt_tokens", "completion_tokens", "total_tokens"]
            .map(|k| u[k].as_i64().map(|n| i32::try_from(n).unwrap()))
    });
    Outcome {
        kind: json["outcome"].as_str().unwrap().into(),
        text: json["text"].as_str().unwrap().into(),
        finish_reason: json
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        usage,
        error: None,
    }
}

#[tokio::test]
async fn every_recorded_stream_is_read_right_in_one_write_and_byte_by_byte() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| {
            e.unwrap()
                .file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".sse"))
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 28, "{names:?}");
    let runs = names
        .iter()
        .flat_map(|name| [Split::OneWrite, Split::BytePerWrite].map(|split| (name.clone(), split)));
    let results = futures_util::future::join_all(runs.map(|(name, split)| async move {
        let body = std::fs::read(fixtures().join(format!("{name}.sse"))).unwrap();
        let server = replay(sse_response(&body), split).await;
        let outcome = run(&server.base_url).await;
        (name, split, outcome, server)
    }))
    .await;

    for (name, split, mut outcome, server) in results {
        let summary = format!(
            "{name} [{split:?}]: {} {}, {} chars, usage {:?}{}",
            outcome.kind,
            outcome.finish_reason.as_deref().unwrap_or("-"),
            outcome.text.chars().count(),
            outcome.usage,
            outcome
                .error
                .as_ref()
                .map(|e| format!(", error: {e}"))
                .unwrap_or_default(),
        );
        println!("{summary}");
        let error = outcome.error.take();
        assert_eq!(outcome, expected(&name), "{summary}");
        match outcome.kind.as_str() {
            "interrupted" => assert!(
                matches!(
                    error,
                    Some(
                        LanguageModelError::Interrupted(_)
                            | LanguageModelError::Malformed(_)
                            | LanguageModelError::Stalled(_)
                    )
                ),
                "{summary}"
            ),
            // A server error before any text is retried twice, then reported.
            "error" => {
                assert!(
                    matches!(
                        error,
                        Some(LanguageModelError::Failed(_) | LanguageModelError::Malformed(_))
                    ),
                    "{summary}"
                );
                assert_eq!(server.requests.load(Ordering::SeqCst), 3, "{summary}");
            }
            _ => assert_eq!(server.requests.load(Ordering::SeqCst), 1, "{summary}"),
        }
    }
}

#[tokio::test]
async fn the_request_names_the_model_streams_with_usage_and_carries_the_key_only_in_its_header() {
    let body = std::fs::read(fixtures().join("oai-python_stream-text-usage.sse")).unwrap();
    let server = replay(sse_response(&body), Split::OneWrite).await;
    run(&server.base_url).await;
    let request = server.last_request.lock().unwrap().clone();
    assert!(
        request.starts_with("POST /v1/chat/completions HTTP/1.1"),
        "{request}"
    );
    assert!(
        request
            .to_lowercase()
            .contains(&format!("authorization: bearer {KEY}").to_lowercase())
    );
    let json: Value = serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(json["model"], "gpt-test");
    assert_eq!(json["stream"], true);
    assert_eq!(json["stream_options"]["include_usage"], true);
    assert_eq!(
        json["messages"][0],
        serde_json::json!({"role": "system", "content": "coach"})
    );
    assert_eq!(json["messages"][1]["role"], "user");
}

#[tokio::test]
async fn every_recorded_http_error_becomes_a_short_typed_error_retried_only_when_it_should_be() {
    // (fixture, expected kind, attempts, words the message must contain)
    let cases: [(&str, &str, usize, &str); 9] = [
        (
            "aibridge_http400-context-length-exceeded",
            "model_context_too_long",
            1,
            "Input tokens exceed",
        ),
        (
            "err_http400-invalid-request-param",
            "model_refused",
            1,
            "HTTP 400",
        ),
        (
            "err_http401-invalid-api-key",
            "model_key_refused",
            1,
            "OPENAI_API_KEY",
        ),
        (
            "err_http429-insufficient-quota",
            "model_out_of_quota",
            1,
            "quota",
        ),
        (
            "err_http429-rate-limit-requests-no-retry-after",
            "model_rate_limited",
            3,
            "HTTP 429",
        ),
        (
            "err_http429-rate-limit-tokens",
            "model_rate_limited",
            3,
            "HTTP 429",
        ),
        ("err_http500-server-error", "model_failed", 3, "HTTP 500"),
        ("err_http502-html-from-proxy", "model_failed", 3, "HTTP 502"),
        ("err_http503-overloaded", "model_failed", 3, "overloaded"),
    ];
    let runs = cases
        .iter()
        .flat_map(|case| [Split::OneWrite, Split::BytePerWrite].map(move |split| (*case, split)));
    let results = futures_util::future::join_all(runs.map(|(case, split)| async move {
        let recording = std::fs::read(fixtures().join(format!("{}.http", case.0))).unwrap();
        let server = replay(http_response(&recording), split).await;
        let started = std::time::Instant::now();
        let outcome = run(&server.base_url).await;
        (
            case,
            split,
            outcome,
            server.requests.load(Ordering::SeqCst),
            started.elapsed(),
        )
    }))
    .await;

    for ((name, kind, attempts, words), split, outcome, requests, took) in results {
        let error = outcome.error.clone().expect("an error");
        println!("{name} [{split:?}]: {requests} attempt(s) in {took:.1?}: {error:?}");
        let message = error.detail();
        assert_eq!(error.code(), kind, "{name}");
        assert_eq!(requests, attempts, "{name}");
        assert!(message.contains(words), "{name}: {message}");
        assert!(
            !message.contains("sk-") && !message.contains('<') && message.len() < 400,
            "{name}: {message}"
        );
    }
}

#[tokio::test]
async fn a_server_that_ignores_stream_true_still_gives_its_whole_answer() {
    let body = std::fs::read(fixtures().join("aibridge_nonstream-completion.json")).unwrap();
    let json: Value = serde_json::from_slice(&body).unwrap();
    let mut response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    let server = replay(response, Split::BytePerWrite).await;
    let outcome = run(&server.base_url).await;
    assert_eq!(outcome.kind, "finished");
    assert_eq!(
        outcome.text,
        json["choices"][0]["message"]["content"].as_str().unwrap()
    );
    assert_eq!(
        outcome.finish_reason.as_deref(),
        json["choices"][0]["finish_reason"].as_str()
    );
    assert_eq!(
        outcome.usage.unwrap()[2],
        json["usage"]["total_tokens"]
            .as_i64()
            .map(|n| i32::try_from(n).unwrap())
    );
}

#[tokio::test]
async fn retry_after_from_the_server_is_honoured_between_attempts() {
    let recording = std::fs::read(fixtures().join("err_http503-overloaded.http")).unwrap();
    let server = replay(http_response(&recording), Split::OneWrite).await;
    let started = std::time::Instant::now();
    run(&server.base_url).await;
    // retry-after: 1 s, twice.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_server_that_cannot_be_reached_is_unreachable_after_the_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let outcome = run(&base_url).await;
    assert!(
        matches!(outcome.error, Some(LanguageModelError::Unreachable(m)) if m.contains("could not reach"))
    );
}

#[tokio::test]
async fn a_stream_that_goes_silent_is_cut_by_the_idle_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        read_request(&mut socket).await.unwrap();
        let first = sse_response(
            b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Start easy\"}}]}\n\n",
        );
        socket.write_all(&first).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let mut config = OpenAiConfig::new(base_url, None, "m".into());
    config.idle_timeout = Duration::from_millis(300);
    let mut answer = OpenAiClient::new(config)
        .unwrap()
        .stream_reply(&prompt())
        .await
        .unwrap();
    assert_eq!(
        answer.next().await,
        Some(Ok(ReplyChunk::Text("Start easy".into())))
    );
    let Some(Err(LanguageModelError::Stalled(message))) = answer.next().await else {
        panic!("not stalled")
    };
    assert!(message.contains("stopped sending"), "{message}");
    assert_eq!(answer.next().await, None);
}

#[tokio::test]
async fn without_a_key_or_a_self_hosted_server_nothing_is_sent() {
    let client = OpenAiClient::new(OpenAiConfig::new(
        llm_openai::OpenAiConfig::DEFAULT_BASE_URL.into(),
        None,
        "m".into(),
    ))
    .unwrap();
    let Err(LanguageModelError::NotConfigured(message)) = client.stream_reply(&prompt()).await
    else {
        panic!("expected NotConfigured")
    };
    assert!(message.contains("OPENAI_API_KEY") && message.contains("OPENAI_BASE_URL"));
}
