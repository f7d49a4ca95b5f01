//! Share links end to end: made from a chat, read by token as JSON and as a page, listed,
//! revoked, and gone with their chat; a token opens its one copy and nothing else.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use test_support::app::{TestApp, assert_contains_all, assert_problem, each_str, spawn_app};

/// Makes a link to the chat; returns its JSON (with the token).
async fn share(app: &TestApp, session: &str) -> Value {
    let response = app
        .post_json(&format!("/api/chat/sessions/{session}/shares"), &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_private(&response);
    response.json().await.unwrap()
}

#[track_caller]
fn assert_private(response: &Response) {
    let headers = response.headers();
    for (name, value) in [
        ("cache-control", "no-store"),
        ("x-robots-tag", "noindex"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(
            headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{name} of {} {}",
            response.status(),
            response.url()
        );
    }
}

/// The same 404 for every token that opens nothing, as JSON and as a page, both private.
async fn assert_link_dead(app: &TestApp, token: &str, expected_detail: &str) {
    let response = app.get(&format!("/api/shares/{token}")).await;
    assert_private(&response);
    let problem = assert_problem(response, StatusCode::NOT_FOUND).await;
    assert_eq!(problem["detail"], expected_detail, "{token}");
    let page = app.get(&format!("/s/{token}")).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND, "{token}");
    assert_private(&page);
    assert_contains_all(&page.text().await.unwrap(), &["This link does not work"]);
}

#[tokio::test]
async fn a_link_shows_its_copy_of_the_chat_and_nothing_added_later() {
    let app = spawn_app().await;
    let event = app.seed_event("Western States").await;
    let session = app
        .seed_session(
            event,
            1,
            &[
                "Salt at the canyons?",
                "Take </script><b>two</b> caps & water.",
            ],
        )
        .await
        .to_string();

    let made = share(&app, &session).await;
    let token = made["token"].as_str().unwrap();
    assert_eq!(token.len(), 43);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(made["url"], app.url(&format!("/s/{token}")));
    let again = share(&app, &session).await;
    assert_ne!(again["token"], made["token"]);

    // Later: another turn, a new title. The link still shows the chat as it was.
    let asked = app
        .chat_events(&json!({"message": "And at Foresthill?", "session_id": session}))
        .await;
    assert!(asked.last().unwrap().get("done").is_some(), "{asked:?}");
    app.patch_json(
        &format!("/api/chat/sessions/{session}"),
        &json!({"title": "Renamed"}),
    )
    .await;

    let response = app.get(&format!("/api/shares/{token}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_private(&response);
    let shared: Value = response.json().await.unwrap();
    assert_eq!(shared["title"], "Salt at the canyons?");
    assert_eq!(shared["shared_at"], made["created_at"]);
    assert_eq!(
        each_str(&shared["messages"], "content"),
        [
            "Salt at the canyons?",
            "Take </script><b>two</b> caps & water."
        ]
    );
    assert_eq!(each_str(&shared["messages"], "role"), ["user", "assistant"]);
    // Nothing of the app beyond the copy: no ids, no event, no model.
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&shared), ["messages", "shared_at", "title"]);
    assert_eq!(
        keys(&shared["messages"][0]),
        [
            "content",
            "created_at",
            "role",
            "status",
            "status_code",
            "status_reason"
        ]
    );

    // The page carries the copy where no text of it can become markup.
    let page = app.get(&format!("/s/{token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_private(&page);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert_contains_all(
        &html,
        &["share.js", "Take \\u003c/script\\u003e\\u003cb\\u003etwo"],
    );
    assert!(!html.contains("</script><b>"), "{html}");
    assert!(!html.contains("And at Foresthill"), "{html}");
}

#[tokio::test]
async fn links_are_listed_revoked_and_gone_with_their_chat_and_bad_tokens_all_look_alike() {
    let app = spawn_app().await;
    let session = app.seed_session(None, 1, &["Pacing?", "Start slow."]).await;
    let other = app.seed_session(None, 2, &["Gear?", "Poles."]).await;
    let (first, second) = (
        share(&app, &session.to_string()).await,
        share(&app, &session.to_string()).await,
    );
    let shares = format!("/api/chat/sessions/{session}/shares");

    let listed = app.get_json(&shares).await;
    assert_eq!(
        each_str(&listed, "id"),
        [
            first["id"].as_str().unwrap(),
            second["id"].as_str().unwrap()
        ]
    );
    assert!(listed[0].get("token").is_none(), "{listed}");
    assert_eq!(
        app.get_json(&format!("/api/chat/sessions/{other}/shares"))
            .await,
        json!([])
    );

    // A link is revoked through its own chat only.
    let first_id = first["id"].as_str().unwrap();
    let wrong = app
        .delete(&format!("/api/chat/sessions/{other}/shares/{first_id}"))
        .await;
    assert_problem(wrong, StatusCode::NOT_FOUND).await;
    let revoked = app.delete(&format!("{shares}/{first_id}")).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_private(&revoked);
    assert_problem(
        app.delete(&format!("{shares}/{first_id}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        each_str(&app.get_json(&shares).await, "id"),
        [second["id"].as_str().unwrap()]
    );

    let detail = "share link not found";
    let first_token = first["token"].as_str().unwrap();
    assert_link_dead(&app, first_token, detail).await;
    let second_token = second["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&format!("/api/shares/{second_token}"))
            .await
            .status(),
        StatusCode::OK
    );
    // Unknown (well-formed), malformed, and a chat's id: the same answer.
    for token in [
        "A".repeat(43),
        "short".to_owned(),
        format!("{second_token}x"),
        "a%2Fb".to_owned(),
        session.to_string(),
    ] {
        assert_link_dead(&app, &token, detail).await;
    }

    // Deleting the chat takes its links with it.
    assert_eq!(
        app.delete(&format!("/api/chat/sessions/{session}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_link_dead(&app, &second_token, detail).await;
    assert_problem(app.get(&shares).await, StatusCode::NOT_FOUND).await;
    let missing = app.post_json(&shares, &json!({})).await;
    assert_private(&missing);
    assert_problem(missing, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.get("/api/chat/sessions/nope/shares").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.delete(&format!("/api/chat/sessions/{other}/shares/nope"))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn a_token_opens_no_other_endpoint() {
    let app = spawn_app().await;
    let session = app.seed_session(None, 1, &["Pacing?", "Start slow."]).await;
    let token = share(&app, &session.to_string()).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/api/chat/sessions/{token}"),
        format!("/api/chat/sessions/{token}/shares"),
        format!("/api/chat/messages/{token}/stream"),
        format!("/api/events/{token}"),
    ] {
        assert_problem(app.get(&path).await, StatusCode::BAD_REQUEST).await;
    }
    let found = app.get_json(&format!("/api/chat/search?q={token}")).await;
    assert_eq!(found["hits"], json!([]));
}
