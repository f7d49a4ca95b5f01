use std::time::{Duration, Instant};

use local_postgres::testing::TestCluster;
use reqwest::{Client, StatusCode};

use test_support::app::{assert_problem, migrate, settings, spawn_app, start};

#[tokio::test]
async fn healthz_and_readyz_answer_200_when_the_database_is_up() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn with_the_database_down_the_api_answers_503_fast_and_recovers_without_a_restart() {
    let cluster = TestCluster::start().await;
    let url = cluster.migrated_database("aidstation", migrate).await;
    let address = start(&settings(url.clone(), "http://127.0.0.1:9/v1"), &url).await;
    let client = Client::new();
    let get = |path: &str| client.get(format!("{address}{path}")).send();
    assert_eq!(get("/api/events").await.unwrap().status(), StatusCode::OK);

    cluster.stop().await;
    for path in ["/readyz", "/api/events", "/api/chat/sessions"] {
        let started = Instant::now();
        let response = get(path).await.unwrap();
        let took = started.elapsed();
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap()),
            Some("1")
        );
        assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
        // The pool timeout is 500 ms in these settings.
        assert!(took < Duration::from_millis(1_500), "{path} took {took:?}");
    }
    assert_eq!(get("/healthz").await.unwrap().status(), StatusCode::OK);

    cluster.restart().await;
    assert_eq!(get("/readyz").await.unwrap().status(), StatusCode::OK);
    assert_eq!(get("/api/events").await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_turns_streams_and_the_pool_in_prometheus_text() {
    let app = spawn_app().await;
    let events = app
        .chat_events(&serde_json::json!({"message": "Count me"}))
        .await;
    assert_eq!(events.last().unwrap()["done"], true);
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for line in [
        "aidstation_turns_total{outcome=\"complete\"} 1",
        "aidstation_open_streams 0",
        "aidstation_answers_generating 0",
        "aidstation_model_first_token_seconds_count 1",
        "aidstation_answer_duration_seconds_count 1",
        "aidstation_db_pool_max 8",
        "aidstation_reaped_runs_total 0",
        "aidstation_resumes_total 0",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    assert!(text.contains("aidstation_db_pool_in_use "), "{text}");
}
