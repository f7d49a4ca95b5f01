use reqwest::StatusCode;
use serde_json::{Value, json};

use test_support::app::{assert_problem, each_str, spawn_app};

#[tokio::test]
async fn an_event_is_created_read_listed_updated_partially_and_deleted() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/events",
            &json!({
                "name": "Western States 100",
                "planned_date": "2027-06-26T05:00:00.000Z",
                "distance": 100.2,
                "target_duration_minutes": 1440,
                "elevation_gain_adjustment_percent": 12.5,
                "fatigue_slowdown_percent": 6
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["distance"], 100.2);
    assert!(created["distance"].is_number());
    assert_eq!(created["planned_date"], "2027-06-26T05:00:00Z");
    assert_eq!(created["elevation_descent_adjustment_percent"], Value::Null);

    let fetched: Value = app.get_json(&format!("/api/events/{id}")).await;
    assert_eq!(fetched, created);
    let listed: Value = app.get_json("/api/events").await;
    assert_eq!(listed, json!([created]));

    // Only what is sent changes; null clears; echoing read-only fields back is harmless.
    let response = app
        .put_json(
            &format!("/api/events/{id}"),
            &json!({"name": "WSER", "distance": null, "id": "ignored", "created_at": "ignored"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["name"], "WSER");
    assert_eq!(updated["distance"], Value::Null);
    assert_eq!(updated["target_duration_minutes"], 1440);
    assert_eq!(updated["created_at"], created["created_at"]);
    assert_ne!(updated["updated_at"], created["updated_at"]);

    let response = app.delete(&format!("/api/events/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["success"], true);
    app.assert_not_found(&format!("/api/events/{id}")).await;
}

#[tokio::test]
async fn a_naive_date_time_is_read_as_utc() {
    let app = spawn_app().await;
    let body = json!({"name": "Naive", "planned_date": "2027-01-02T03:04:05"});
    let response = app.post_json("/api/events", &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["planned_date"], "2027-01-02T03:04:05Z");
}

#[tokio::test]
async fn deleting_an_event_deletes_its_sessions_messages_and_waypoints() {
    let app = spawn_app().await;
    let doomed = app.seed_event("Doomed").await;
    let other = app.seed_event("Other").await;
    app.seed_session(doomed, 1, &["q", "a"]).await;
    app.seed_session(doomed, 2, &["q"]).await;
    let kept = app.seed_session(other, 3, &["q", "a"]).await;
    let body = json!({"event_id": doomed, "name": "Aid 1"});
    let response = app.post_json("/api/waypoints", &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);

    assert_eq!(
        app.delete(&format!("/api/events/{doomed}")).await.status(),
        StatusCode::OK
    );

    let count = |table: &str| format!("SELECT count(*) AS n FROM {table}");
    assert_eq!(app.db.count(&count("events")).await, 1);
    assert_eq!(app.db.count(&count("chat_sessions")).await, 1);
    assert_eq!(app.db.count(&count("chat_messages")).await, 2);
    assert_eq!(app.db.count(&count("waypoints")).await, 0);
    let sql = format!("SELECT count(*) AS n FROM chat_messages WHERE session_id = '{kept}'");
    assert_eq!(app.db.count(&sql).await, 2);
}

#[tokio::test]
async fn invalid_event_values_are_422_with_every_broken_field_named() {
    let app = spawn_app().await;
    let body = json!({"name": "  ", "distance": -1, "target_duration_minutes": 0});
    let response = app.post_json("/api/events", &body).await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = each_str(&problem["errors"], "field");
    assert_eq!(fields, ["name", "distance", "target_duration_minutes"]);
    assert_eq!(app.db.count("SELECT count(*) AS n FROM events").await, 0);

    let created = app.create_event("Valid").await;
    let id = created["id"].as_str().unwrap();
    let response = app
        .put_json(&format!("/api/events/{id}"), &json!({"distance": "far"}))
        .await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["errors"][0]["field"], "distance");
    assert!(
        !problem["detail"].as_str().unwrap().contains("f64"),
        "{problem}"
    );
    let body = json!({"name": "Bad date", "planned_date": "soon"});
    let response = app.post_json("/api/events", &body).await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
}
