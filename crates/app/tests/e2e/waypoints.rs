use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use test_support::app::{assert_problem, each_str, spawn_app};

#[tokio::test]
async fn waypoints_are_created_listed_in_order_updated_and_deleted() {
    let app = spawn_app().await;
    let event = app.create_event("Hardrock").await;
    let event_id = event["id"].as_str().unwrap();
    let app = &app;
    let post = |body: Value| async move { app.post_json("/api/waypoints", &body).await };

    let start =
        post(json!({"event_id": event_id, "name": "Start", "waypoint_type": "checkpoint"})).await;
    assert_eq!(start.status(), StatusCode::CREATED);
    let start: Value = start.json().await.unwrap();
    let finish: Value = post(json!({"event_id": event_id, "name": "Finish", "order_index": 10, "distance_from_start": 100.5}))
        .await
        .json()
        .await
        .unwrap();
    let aid: Value = post(json!({
        "event_id": event_id, "name": "Grouse Gulch", "waypoint_type": "food", "order_index": 5,
        "latitude": 37.9, "longitude": -107.5, "elevation": 10_700, "stop_time_minutes": 8, "comments": "soup"
    }))
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(start["order_index"], 0);
    assert_eq!(aid["waypoint_type"], "food");
    assert_eq!(aid["stop_time_minutes"], 8);

    let listed: Value = app
        .get_json(&format!("/api/events/{event_id}/waypoints"))
        .await;
    let names: Vec<&str> = each_str(&listed, "name");
    assert_eq!(names, ["Start", "Grouse Gulch", "Finish"]);

    let aid_id = aid["id"].as_str().unwrap();
    let updated = app
        .put_json(
            &format!("/api/waypoints/{aid_id}"),
            &json!({"order_index": 20, "comments": null}),
        )
        .await;
    assert_eq!(updated.status(), StatusCode::OK);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(
        (updated["order_index"].clone(), updated["comments"].clone()),
        (json!(20), Value::Null)
    );
    assert_eq!(updated["name"], "Grouse Gulch");
    let fetched: Value = app.get_json(&format!("/api/waypoints/{aid_id}")).await;
    assert_eq!(fetched, updated);
    assert_eq!(finish["distance_from_start"], 100.5);

    assert_eq!(
        app.delete(&format!("/api/waypoints/{aid_id}"))
            .await
            .status(),
        StatusCode::OK
    );
    app.assert_not_found(&format!("/api/waypoints/{aid_id}"))
        .await;
}

#[tokio::test]
async fn waypoint_errors_are_problems_with_the_right_status() {
    let app = spawn_app().await;
    let event = app.create_event("Badwater").await;
    let event_id = event["id"].as_str().unwrap();
    let unknown = Uuid::new_v4();

    let response = app
        .post_json("/api/waypoints", &json!({"event_id": unknown, "name": "x"}))
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
    let response = app
        .post_json("/api/waypoints", &json!({"event_id": "nope", "name": "x"}))
        .await;
    assert_problem(response, StatusCode::BAD_REQUEST).await;
    let response = app
        .post_json(
            "/api/waypoints",
            &json!({"event_id": event_id, "name": "x", "waypoint_type": "bar"}),
        )
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let response = app
        .post_json(
            "/api/waypoints",
            &json!({"event_id": event_id, "name": "x", "latitude": 99}),
        )
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    app.assert_not_found(&format!("/api/events/{unknown}/waypoints"))
        .await;
    assert_eq!(app.db.count("SELECT count(*) AS n FROM waypoints").await, 0);
}
