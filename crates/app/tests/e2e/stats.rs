//! `GET /api/chat/stats` against hand-computed figures: totals, tokens per model, medians,
//! the series by day and by week, ranges, empty ranges and bad parameters.

use chrono::{DateTime, TimeZone, Utc};
use domain::ports::{ChatStore, Lease};
use domain::{
    AnswerTiming, ChatLimits, ChatMessage, ChatSession, Interruption, MessageStatus, Role,
    TokenUsage,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::app::{TestApp, assert_problem, spawn_app};
use uuid::Uuid;

fn on(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

/// An answer as the model left it.
struct Answer {
    status: MessageStatus,
    model: &'static str,
    tokens: Option<(i32, i32)>,
    first_ms: u32,
    total_ms: u32,
}

/// A chat of `turns` (question time, answer), started with its first question.
async fn chat(app: &TestApp, event_id: Option<Uuid>, turns: Vec<(DateTime<Utc>, Answer)>) {
    let session = ChatSession {
        id: Uuid::now_v7(),
        event_id,
        title: "Usage".into(),
        pinned: false,
        tags: Vec::new(),
        created_at: turns[0].0,
        updated_at: turns[0].0,
    };
    let lease = Lease {
        owner: Uuid::nil(),
        duration: ChatLimits::DEFAULT.answer_lease,
    };
    let mut messages = Vec::new();
    for (at, answer) in turns {
        messages.push(ChatMessage::from_user(
            Uuid::now_v7(),
            session.id,
            "Pace?".into(),
            at,
        ));
        messages.push(ChatMessage {
            role: Role::Assistant,
            status: answer.status,
            model: Some(answer.model.into()),
            usage: answer.tokens.map(|(prompt, completion)| TokenUsage {
                prompt_tokens: Some(prompt),
                completion_tokens: Some(completion),
                total_tokens: Some(prompt + completion),
            }),
            timing: Some(AnswerTiming {
                first_text_ms: Some(answer.first_ms),
                total_ms: answer.total_ms,
            }),
            ..ChatMessage::from_user(Uuid::now_v7(), session.id, "Easy.".into(), at)
        });
    }
    app.store
        .create_session(&session, &messages, &lease)
        .await
        .unwrap();
}

fn complete(model: &'static str, tokens: (i32, i32), first_ms: u32, total_ms: u32) -> Answer {
    Answer {
        status: MessageStatus::Complete,
        model,
        tokens: Some(tokens),
        first_ms,
        total_ms,
    }
}

/// Two chats of one event, one of another: see each test for the figures they make.
pub(crate) async fn seeded() -> (TestApp, Uuid) {
    let app = spawn_app().await;
    let western = app.seed_event("Western States").await;
    let utmb = app.seed_event("UTMB").await;
    chat(
        &app,
        Some(western),
        vec![(on(2, 10), complete("gpt-a", (100, 20), 200, 1_000))],
    )
    .await;
    let stopped = Answer {
        status: MessageStatus::Interrupted(Interruption::Stopped),
        model: "gpt-a",
        tokens: None,
        first_ms: 400,
        total_ms: 3_000,
    };
    chat(
        &app,
        Some(western),
        vec![
            (on(3, 10), stopped),
            (on(10, 12), complete("gpt-b", (50, 10), 600, 2_000)),
        ],
    )
    .await;
    chat(
        &app,
        Some(utmb),
        vec![(on(3, 9), complete("gpt-b", (1_000, 100), 100, 500))],
    )
    .await;
    (app, western)
}

async fn stats(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/chat/stats?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.unwrap()
}

/// `(start, questions, answers, interrupted, prompt, completion)` of each point.
fn points(stats: &Value) -> Vec<(String, u64, u64, u64, u64, u64)> {
    stats["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let n = |key: &str| p[key].as_u64().unwrap();
            (
                p["start"].as_str().unwrap().to_owned(),
                n("questions"),
                n("answers"),
                n("interrupted"),
                n("prompt_tokens"),
                n("completion_tokens"),
            )
        })
        .collect()
}

#[tokio::test]
async fn one_events_totals_tokens_medians_and_daily_and_weekly_series() {
    let (app, western) = seeded().await;
    let day = stats(&app, &format!("event_id={western}")).await;
    assert_eq!(day["bucket"], "day");
    assert_eq!(
        day["totals"],
        json!({
            "chats": 2, "questions": 3,
            "answers": {"complete": 2, "interrupted": 1, "generating": 0},
            "tokens": [
                {"model": "gpt-a", "answers": 2, "prompt_tokens": 100, "completion_tokens": 20},
                {"model": "gpt-b", "answers": 1, "prompt_tokens": 50, "completion_tokens": 10},
            ],
            "median_first_token_ms": 400.0, "median_duration_ms": 2000.0,
        })
    );
    let series = points(&day);
    assert_eq!(series.len(), 9, "2 to 10 November, empty days included");
    assert_eq!(series[0], ("2026-11-02".into(), 1, 1, 0, 100, 20));
    assert_eq!(series[1], ("2026-11-03".into(), 1, 1, 1, 0, 0));
    assert_eq!(series[2], ("2026-11-04".into(), 0, 0, 0, 0, 0));
    assert_eq!(series[8], ("2026-11-10".into(), 1, 1, 0, 50, 10));

    let week = stats(&app, &format!("event_id={western}&bucket=week")).await;
    assert_eq!(
        points(&week),
        [
            ("2026-11-02".into(), 2, 2, 1, 100, 20),
            ("2026-11-09".into(), 1, 1, 0, 50, 10)
        ]
    );
}

#[tokio::test]
async fn all_events_ranges_and_an_empty_range() {
    let (app, western) = seeded().await;
    let all = stats(&app, "").await;
    assert_eq!(all["totals"]["chats"], 3);
    assert_eq!(all["totals"]["questions"], 4);
    assert_eq!(all["totals"]["tokens"][0]["model"], "gpt-b");
    assert_eq!(all["totals"]["tokens"][0]["prompt_tokens"], 1_050);
    assert_eq!(all["totals"]["median_first_token_ms"], 300.0);
    assert_eq!(all["totals"]["median_duration_ms"], 1_500.0);

    // Both ends are days counted.
    let third = stats(
        &app,
        &format!("event_id={western}&from=2026-11-03&to=2026-11-03"),
    )
    .await;
    assert_eq!(third["totals"]["chats"], 1);
    assert_eq!(third["totals"]["questions"], 1);
    assert_eq!(third["totals"]["answers"]["interrupted"], 1);
    assert_eq!(points(&third), [("2026-11-03".into(), 1, 1, 1, 0, 0)]);

    let empty = stats(&app, "from=2025-01-01&to=2025-01-07").await;
    assert_eq!(
        empty["totals"],
        json!({
            "chats": 0, "questions": 0,
            "answers": {"complete": 0, "interrupted": 0, "generating": 0},
            "tokens": [], "median_first_token_ms": null, "median_duration_ms": null,
        })
    );
    assert_eq!(points(&empty).len(), 7);
    assert!(points(&empty).iter().all(|p| p.1 == 0 && p.2 == 0));
}

#[tokio::test]
async fn a_real_turn_records_its_timings_and_tokens() {
    let app = spawn_app().await;
    app.chat_events(&json!({"message": "Pacing?"})).await;
    let all = stats(&app, "").await;
    assert_eq!(all["totals"]["answers"]["complete"], 1);
    assert_eq!(all["totals"]["tokens"][0]["model"], "fake-gpt");
    assert!(all["totals"]["median_first_token_ms"].as_f64().unwrap() >= 0.0);
    let first = all["totals"]["median_first_token_ms"].as_f64().unwrap();
    let whole = all["totals"]["median_duration_ms"].as_f64().unwrap();
    assert!(first <= whole, "{first} > {whole}");
}

#[tokio::test]
async fn bad_parameters_are_problems() {
    let app = spawn_app().await;
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("bucket=month", "bucket"),
    ] {
        let problem = assert_problem(
            app.get(&format!("/api/chat/stats?{query}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    assert_problem(
        app.get("/api/chat/stats?event_id=nope").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // A range that ends before it starts holds nothing; a long one keeps its newest points.
    let backward = stats(&app, "from=2026-11-05&to=2026-11-04").await;
    assert_eq!(points(&backward), []);
    assert_eq!(backward["totals"]["questions"], 0);
    let long = stats(&app, "from=1900-01-01&to=2026-01-01").await;
    assert_eq!(points(&long).len(), 3_660);
    assert_eq!(points(&long).last().unwrap().0, "2026-01-01");
    // Empty values are absent ones, as a form sends them.
    stats(&app, "from=&to=&bucket=&event_id=").await;
}
