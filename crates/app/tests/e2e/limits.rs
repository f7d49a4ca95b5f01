//! Hostile input: oversized and slow requests, junk bodies, and a catalogue of bad input
//! whose answers must never show how the app is built.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::fake_openai::Behavior;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use test_support::app::{MODEL_KEY, TestApp, assert_problem, spawn_app, spawn_app_with};

/// Sends raw bytes and returns everything the server answers until it closes the
/// connection (or `wait` passes).
async fn raw(app: &TestApp, request: &[u8], wait: Duration) -> (String, Duration) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

/// actix-http reads at most 128 KiB of request head and 96 headers; anything larger is
/// refused before routing.
#[tokio::test]
async fn oversized_headers_and_paths_are_refused_before_any_handler() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/events"))
        .header("x-padding", "a".repeat(200 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let long_path = format!(
        "GET /api/events/{} HTTP/1.1\r\nhost: x\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let (answer, _) = raw(&app, long_path.as_bytes(), Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    let mut many = app.client.get(app.url("/api/events"));
    for i in 0..120 {
        many = many.header(format!("x-h{i}"), "1");
    }
    assert!(many.send().await.unwrap().status().is_client_error());
    // The app is unharmed.
    assert_eq!(app.get("/api/events").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_client_that_stalls_gets_408_and_its_connection_back() {
    let app = spawn_app_with(Behavior::answer(&["unused"]), |settings| {
        settings.http.client_request_timeout = Duration::from_millis(300);
    })
    .await;

    // Half a request line, then nothing.
    let (answer, took) = raw(&app, b"GET /api/eve", Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took < Duration::from_secs(3), "{took:?}");

    // A whole head, then a body that never comes.
    let (answer, took) = raw(
        &app,
        b"POST /api/events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"na",
        Duration::from_secs(5),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(app.db.count("SELECT count(*) AS n FROM events").await, 0);
}

#[tokio::test]
async fn deep_or_broken_json_is_a_400_and_never_a_crash() {
    let app = spawn_app().await;
    let deep = format!("{{\"name\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let junk: [&[u8]; 5] = [
        deep.as_bytes(),
        b"{\"name\": \"\xff\xfe\"}",
        b"{\"name\": \"\\ud800\"}",
        b"{\"name\": 1e999999}",
        b"\x00\x01\x02",
    ];
    for body in junk {
        let response = app
            .client
            .post(app.url("/api/events"))
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_client_error(),
            "{:?} -> {}",
            String::from_utf8_lossy(&body[..body.len().min(40)]),
            response.status()
        );
    }
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.db.count("SELECT count(*) AS n FROM events").await, 0);
}

/// Words that would betray the internals: SQL and the driver, Rust types and panics, source
/// paths, credentials.
const TELLTALES: [&str; 22] = [
    "select ",
    "insert ",
    "update ",
    "violates",
    "constraint",
    "syntax error",
    "postgres",
    "diesel",
    "sqlstate",
    "panicked",
    "backtrace",
    "::",
    "option<",
    "string>",
    "i32",
    "f64",
    "serde",
    ".rs",
    "/src/",
    "/root",
    "sk-",
    "bearer",
];

#[tokio::test]
async fn no_answer_to_bad_input_shows_sql_types_paths_or_keys() {
    let app = spawn_app().await;
    let event = app.create_event("Leadville 100").await;
    let event_id = event["id"].as_str().unwrap().to_owned();
    let huge = "x".repeat(20_000);
    let catalogue: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/api/events/not-a-uuid".into(), None),
        (
            "GET",
            "/api/events/00000000-0000-0000-0000-000000000000".into(),
            None,
        ),
        (
            "GET",
            "/api/chat/sessions?event_id='; DROP TABLE events;--".into(),
            None,
        ),
        ("GET", "/api/chat/sessions/%00".into(), None),
        ("GET", "/api/nope/../../etc/passwd".into(), None),
        ("DELETE", "/api/waypoints/{}".into(), None),
        ("POST", "/api/events".into(), Some(json!({"name": "\u{0}"}))),
        ("POST", "/api/events".into(), Some(json!({"name": 7}))),
        (
            "POST",
            "/api/events".into(),
            Some(json!({"name": "x", "distance": "far"})),
        ),
        (
            "POST",
            "/api/events".into(),
            Some(json!({"name": "x", "target_duration_minutes": 1.5})),
        ),
        (
            "POST",
            "/api/events".into(),
            Some(json!({"name": "x", "target_duration_minutes": 99_999_999_999_i64})),
        ),
        (
            "POST",
            "/api/events".into(),
            Some(json!({"name": "x", "planned_date": "yesterday"})),
        ),
        ("POST", "/api/events".into(), Some(json!({"name": huge}))),
        ("POST", "/api/events".into(), Some(json!([1, 2]))),
        (
            "PUT",
            format!("/api/events/{event_id}"),
            Some(json!({"distance": -1})),
        ),
        (
            "PUT",
            format!("/api/events/{event_id}"),
            Some(json!({"name": null, "elevation_gain_adjustment_percent": "NaN"})),
        ),
        (
            "POST",
            "/api/waypoints".into(),
            Some(json!({"name": "Aid"})),
        ),
        (
            "POST",
            "/api/waypoints".into(),
            Some(json!({"name": "Aid", "event_id": event_id, "waypoint_type": "bar"})),
        ),
        (
            "POST",
            "/api/waypoints".into(),
            Some(json!({"name": "Aid", "event_id": "00000000-0000-0000-0000-000000000000"})),
        ),
        (
            "POST",
            "/api/waypoints".into(),
            Some(json!({"name": "Aid", "event_id": event_id, "order_index": -1, "latitude": 91})),
        ),
        ("POST", "/api/chat".into(), Some(json!({"message": ""}))),
        (
            "POST",
            "/api/chat".into(),
            Some(json!({"message": "hi\u{0}"})),
        ),
        (
            "POST",
            "/api/chat".into(),
            Some(json!({"message": "hi", "session_id": "00000000-0000-0000-0000-000000000000"})),
        ),
        (
            "POST",
            "/api/chat".into(),
            Some(json!({"message": "hi", "event_id": "{abc}"})),
        ),
        (
            "POST",
            "/api/chat".into(),
            Some(json!({"message": {"$ne": null}})),
        ),
        ("PATCH", "/api/events".into(), None),
    ];
    for (method, path, body) in catalogue {
        let mut request = app.client.request(method.parse().unwrap(), app.url(&path));
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status.is_client_error(),
            "{method} {path} {body:?} -> {status} {text}"
        );
        let lower = text.to_lowercase();
        for telltale in TELLTALES {
            assert!(
                !lower.contains(telltale),
                "{method} {path} {body:?} answered {text:?}, which contains {telltale:?}"
            );
        }
        assert!(!text.contains(MODEL_KEY));
    }
    assert_problem(app.get("/api/events/x").await, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn ui_pages_carry_security_headers_and_no_inline_script() {
    let app = spawn_app().await;
    for path in ["/", "/events/some-id", "/static/app.js"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
    }
    let page = app.get("/").await.text().await.unwrap();
    assert!(!page.contains("<script>"), "inline script in the page");
}
