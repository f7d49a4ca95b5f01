use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use test_support::app::{assert_problem, spawn_app};

#[tokio::test]
async fn malformed_ids_are_400_never_500() {
    let app = spawn_app().await;
    for path in [
        "/api/chat/sessions/not-a-uuid",
        "/api/events/123",
        "/api/events/zzz/waypoints",
        "/api/waypoints/%20",
        "/api/chat/sessions?event_id=not-a-uuid",
    ] {
        let problem = assert_problem(app.get(path).await, StatusCode::BAD_REQUEST).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("not a valid id"),
            "{problem}"
        );
    }
    assert_problem(
        app.delete("/api/chat/sessions/not-a-uuid").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn unknown_ids_and_routes_are_404() {
    let app = spawn_app().await;
    let id = Uuid::new_v4();
    for path in [
        format!("/api/chat/sessions/{id}"),
        format!("/api/events/{id}"),
        format!("/api/waypoints/{id}"),
        "/api/no-such-thing".into(),
        "/nothing/here".into(),
    ] {
        app.assert_not_found(&path).await;
    }
    assert_problem(
        app.delete(&format!("/api/chat/sessions/{id}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.put_json(&format!("/api/events/{id}"), &json!({"name": "x"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

/// Bodies sent as JSON that are not a JSON object.
const NOT_OBJECTS: [&str; 6] = [
    "{\"name\": ",
    "not json",
    "[1, 2]",
    "\"a string\"",
    "null",
    "",
];

#[tokio::test]
async fn bodies_that_are_not_json_objects_are_400() {
    let app = spawn_app().await;
    for body in NOT_OBJECTS {
        let response = app.post_raw("/api/events", "application/json", body).await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
    assert_eq!(app.db.count("SELECT count(*) AS n FROM events").await, 0);
}

#[tokio::test]
async fn other_errors_have_their_own_status() {
    let app = spawn_app().await;
    let huge = json!({"name": "x".repeat(20 * 1024)}).to_string();
    assert_problem(
        app.post_raw("/api/events", "application/json", huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    let response = app
        .post_raw("/api/events", "text/plain", "{\"name\": \"x\"}")
        .await;
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let response = app
        .client
        .patch(app.url("/api/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST");
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    let response = app.client.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    let response = app.post_json("/api/events", &json!({"distance": 5})).await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("name"),
        "{problem}"
    );
}

#[tokio::test]
async fn cors_preflight_is_answered_and_every_response_carries_the_allowed_origin() {
    let app = spawn_app().await;
    let origin = "http://localhost:5173";
    let preflight = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            app.url(&format!("/api/chat/sessions/{}", Uuid::new_v4())),
        )
        .header("origin", origin)
        .header("access-control-request-method", "DELETE")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::OK);
    assert_eq!(preflight.headers()["access-control-allow-origin"], origin);
    let methods = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        methods.contains("DELETE") && methods.contains("POST"),
        "{methods}"
    );

    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/events"))
        .header("origin", "http://127.0.0.1:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::OK);

    for path in [
        "/api/events",
        "/api/chat/sessions/not-a-uuid",
        "/api/missing",
    ] {
        let response = app
            .client
            .get(app.url(path))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            origin,
            "{path}"
        );
    }
    let foreign = app
        .client
        .get(app.url("/api/events"))
        .header("origin", "http://evil.test")
        .send()
        .await
        .unwrap();
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
