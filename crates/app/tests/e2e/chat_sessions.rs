use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use test_support::app::{TestApp, assert_problem, each_str, spawn_app, spawn_app_with};
use test_support::fake_openai::Behavior;

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_session_list_is_newest_first_with_ties_broken_by_id_and_without_messages() {
    let app = spawn_app().await;
    let old = app.seed_session(None, 1, &["old"]).await;
    let tie_a = app.seed_session(None, 5, &["tie a"]).await;
    let tie_b = app.seed_session(None, 5, &["tie b"]).await;
    let new = app.seed_session(None, 9, &["new"]).await;
    let (first_tie, second_tie) = if tie_a > tie_b {
        (tie_a, tie_b)
    } else {
        (tie_b, tie_a)
    };

    let response = app.get("/api/chat/sessions").await;

    assert_eq!(response.status(), StatusCode::OK);
    let list: Value = response.json().await.unwrap();
    let expected: Vec<String> = [new, first_tie, second_tie, old]
        .iter()
        .map(Uuid::to_string)
        .collect();
    assert_eq!(ids(&list), expected);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| s["messages"].is_null())
    );
    assert_eq!(list[0]["title"], "new");
    assert_eq!(list[0]["updated_at"], "2026-06-27T05:09:00Z");
}

#[tokio::test]
async fn sessions_are_filtered_by_event() {
    let app = spawn_app().await;
    let (a, b) = (app.seed_event("A").await, app.seed_event("B").await);
    let of_a = app.seed_session(a, 1, &["about A"]).await;
    app.seed_session(b, 2, &["about B"]).await;
    app.seed_session(None, 3, &["about nothing"]).await;

    let list: Value = app
        .get_json(&format!("/api/chat/sessions?event_id={a}"))
        .await;
    assert_eq!(ids(&list), [of_a.to_string()]);
    assert_eq!(list[0]["event_id"], a.to_string());

    let all: Value = app.get_json("/api/chat/sessions?event_id=").await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    let none: Value = app
        .get_json(&format!("/api/chat/sessions?event_id={}", Uuid::new_v4()))
        .await;
    assert_eq!(none, serde_json::json!([]));
}

#[tokio::test]
async fn a_session_is_returned_with_all_its_messages_in_order() {
    let app = spawn_app().await;
    let texts = [
        "How do I pace 100 miles?",
        "Start slow.",
        "And nutrition?",
        "200-300 kcal an hour.",
    ];
    let id = app.seed_session(None, 4, &texts).await;

    let response = app.get(&format!("/api/chat/sessions/{id}")).await;

    assert_eq!(response.status(), StatusCode::OK);
    let session: Value = response.json().await.unwrap();
    assert_eq!(session["id"], id.to_string());
    let messages = session["messages"].as_array().unwrap();
    let contents: Vec<&str> = messages
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, texts);
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
    for message in messages {
        assert_eq!(message["session_id"], id.to_string());
        assert_eq!(message["status"], "complete");
        assert!(message.get("sources").is_some() && message.get("created_at").is_some());
    }
}

#[tokio::test]
async fn deleting_a_session_removes_it_and_its_messages_from_the_database() {
    let app = spawn_app().await;
    let doomed = app.seed_session(None, 1, &["a", "b", "c"]).await;
    let kept = app.seed_session(None, 2, &["d", "e"]).await;

    let response = app.delete(&format!("/api/chat/sessions/{doomed}")).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["deleted_messages"], 3);
    let sql = format!("SELECT count(*) AS n FROM chat_messages WHERE session_id = '{doomed}'");
    assert_eq!(app.db.count(&sql).await, 0);
    let sql = format!("SELECT count(*) AS n FROM chat_sessions WHERE id = '{doomed}'");
    assert_eq!(app.db.count(&sql).await, 0);
    let sql = format!("SELECT count(*) AS n FROM chat_messages WHERE session_id = '{kept}'");
    assert_eq!(app.db.count(&sql).await, 2);
    app.assert_not_found(&format!("/api/chat/sessions/{doomed}"))
        .await;
    assert_problem(
        app.delete(&format!("/api/chat/sessions/{doomed}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

/// The cursor in the `Link` to the page after `path`'s.
async fn next_cursor(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    let link = response.headers()["link"].to_str().unwrap();
    let (_, cursor) = link.split_once("cursor=").unwrap();
    cursor.split('>').next().unwrap().to_owned()
}

/// The ids of every page from `first` on, following each `Link: <...>; rel="next"`.
async fn follow_pages(app: &TestApp, first: String, page_size: usize) -> Vec<String> {
    let mut paged = Vec::new();
    let mut next = Some(first);
    while let Some(path) = next.take() {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK);
        next = response
            .headers()
            .get("link")
            .and_then(|link| link.to_str().ok())
            .and_then(|link| link.strip_prefix('<')?.split_once(">; rel=\"next\""))
            .map(|(target, _)| target.to_owned());
        let page: Value = response.json().await.unwrap();
        assert!(page.as_array().unwrap().len() <= page_size, "{page}");
        paged.extend(ids(&page));
    }
    paged
}

#[tokio::test]
async fn a_list_of_two_thousand_sessions_comes_back_whole_in_order_and_page_by_page() {
    let app = spawn_app().await;
    let event = app.seed_event("Big").await;
    // Ties of three on updated_at, and every seventh chat pinned.
    app.seed_many_sessions(event, 2_000, 3, 7).await;

    let response = app
        .get(&format!("/api/chat/sessions?event_id={event}"))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let list: Value = response.json().await.unwrap();
    let titles: Vec<&str> = each_str(&list, "title");
    assert_eq!(titles.len(), 2_000);
    // Every seventh chat pinned comes first; ties of equal times are broken by the random id.
    assert_eq!(titles[0], "chat 7");
    let pinned: Vec<bool> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pinned"] == true)
        .collect();
    assert_eq!(pinned, [vec![true; 285], vec![false; 1_715]].concat());

    let whole = ids(&list);
    let paged = follow_pages(
        &app,
        format!("/api/chat/sessions?event_id={event}&limit=50"),
        50,
    )
    .await;
    assert_eq!(paged.len(), 2_000);
    assert_eq!(paged, whole);
}

#[tokio::test]
async fn a_chat_is_renamed_pinned_and_tagged_without_moving_and_pinned_chats_come_first() {
    let app = spawn_app().await;
    let event = app.seed_event("Western States").await;
    let [oldest, middle, newest] = [
        app.seed_session(event, 1, &["Crew plan", "At Foresthill."])
            .await,
        app.seed_session(event, 2, &["Heat", "A bandana."]).await,
        app.seed_session(event, 3, &["Shoes", "Trail shoes."]).await,
    ];
    let before = app.session_json(&oldest.to_string()).await;

    let response = app
        .patch_json(
            &format!("/api/chat/sessions/{oldest}"),
            &json!({"title": "  Crew \n at Foresthill ", "pinned": true, "tags": [" Crew ", "crew", "Race day"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let edited: Value = response.json().await.unwrap();
    assert_eq!(edited["title"], "Crew at Foresthill");
    assert_eq!(edited["pinned"], true);
    assert_eq!(edited["tags"], json!(["Crew", "Race day"]));
    assert_eq!(
        edited["updated_at"], before["updated_at"],
        "editing does not reorder"
    );

    // A tag the chat has keeps its first spelling; what the body leaves out stays.
    let again: Value = app
        .patch_json(
            &format!("/api/chat/sessions/{oldest}"),
            &json!({"tags": ["CREW", "night"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["tags"], json!(["Crew", "night"]));
    assert_eq!(
        (again["title"].as_str(), again["pinned"].as_bool()),
        (Some("Crew at Foresthill"), Some(true))
    );

    // Pinned first, then newest first, as a plain array (what the original frontend reads).
    let list = app
        .get_json(&format!("/api/chat/sessions?event_id={event}"))
        .await;
    assert_eq!(
        ids(&list),
        [oldest, newest, middle].map(|id| id.to_string())
    );
    assert_eq!(list[1]["pinned"], false);
    assert_eq!(list[1]["tags"], json!([]));
    let full = app.session_json(&oldest.to_string()).await;
    assert_eq!(full["tags"], json!(["Crew", "night"]));
    assert_eq!(full["messages"].as_array().unwrap().len(), 2);

    // Unpinned, it goes back to its place among the newest.
    app.patch_json(
        &format!("/api/chat/sessions/{oldest}"),
        &json!({"pinned": false}),
    )
    .await;
    let order = ids(&app
        .get_json(&format!("/api/chat/sessions?event_id={event}"))
        .await);
    assert_eq!(order, [newest, middle, oldest].map(|id| id.to_string()));
}

#[tokio::test]
async fn a_bad_edit_names_each_broken_rule_and_changes_nothing() {
    let app = spawn_app().await;
    let id = app.seed_session(None, 1, &["Pacing", "Even splits."]).await;
    let path = format!("/api/chat/sessions/{id}");
    let eleven: Vec<String> = (0..11).map(|i| format!("tag {i}")).collect();
    let cases = [
        (json!({"title": " \t "}), vec!["title"]),
        (json!({"title": "x".repeat(101)}), vec!["title"]),
        (
            json!({"tags": ["ok", "", "t".repeat(33)]}),
            vec!["tags[1]", "tags[2]"],
        ),
        // Control characters: a bell, a line break inside, a tab around.
        (
            json!({"tags": ["ring\u{7}", "two\nlines", "\theat"]}),
            vec!["tags[0]", "tags[1]", "tags[2]"],
        ),
        (json!({"tags": eleven, "title": "fine"}), vec!["tags"]),
        // Counted as given: eleven tags are too many even when they are one.
        (json!({"tags": vec!["heat"; 11]}), vec!["tags"]),
    ];
    for (body, fields) in cases {
        let problem = assert_problem(
            app.patch_json(&path, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(each_str(&problem["errors"], "field"), fields, "{body}");
    }
    // A value of the wrong type is named like a broken rule; a body that is no object is 400.
    for body in [json!({"pinned": "yes"}), json!({"tags": "heat"})] {
        let response = app.patch_json(&path, &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
    }
    let response = app.patch_json(&path, &json!([1])).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let stored = app.session_json(&id.to_string()).await;
    assert_eq!(
        (stored["title"].as_str(), stored["pinned"].as_bool()),
        (Some("Pacing"), Some(false))
    );
    assert_problem(
        app.patch_json(
            &format!("/api/chat/sessions/{}", Uuid::new_v4()),
            &json!({"pinned": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let empty = json!({});
    let malformed = app.patch_json("/api/chat/sessions/not-a-uuid", &empty);
    assert_problem(malformed.await, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn many_chats_go_at_once_by_id_or_by_event_and_missing_ids_are_listed() {
    let app = spawn_app().await;
    let western = app.seed_event("Western States").await;
    let utmb = app.seed_event("UTMB").await;
    let [a, b, kept] = [
        app.seed_session(western, 1, &["A", "a", "again", "yes"])
            .await,
        app.seed_session(western, 2, &["B", "b"]).await,
        app.seed_session(utmb, 3, &["Kept", "k"]).await,
    ];
    let missing = Uuid::new_v4();
    let body = json!({"ids": [a, b, missing, a]});
    let response = app.post_json("/api/chat/sessions/delete", &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let done: Value = response.json().await.unwrap();
    assert_eq!(
        done,
        json!({"deleted": 2, "deleted_messages": 6, "not_found": [missing]})
    );
    let left = app
        .db
        .count("SELECT count(*) AS n FROM chat_messages")
        .await;
    assert_eq!(left, 2, "only the kept chat's messages remain");

    let by_event = json!({"event_id": utmb});
    let done: Value = app
        .post_json("/api/chat/sessions/delete", &by_event)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["deleted"], 1);
    assert_eq!(done["not_found"], json!([]));
    app.assert_not_found(&format!("/api/chat/sessions/{kept}"))
        .await;
    assert_eq!(
        app.db
            .count("SELECT count(*) AS n FROM chat_sessions")
            .await,
        0
    );
}

#[tokio::test]
async fn a_bulk_delete_names_what_is_wrong_and_deletes_nothing() {
    // 501 ids are more than the tests' usual body limit: the production one (256 KiB).
    let app = spawn_app_with(Behavior::answer(&["unused"]), |settings| {
        settings.http.max_body_bytes = 256 * 1024;
    })
    .await;
    let event = app.seed_event("Leadville").await;
    let id = app.seed_session(event, 1, &["Q", "A"]).await;
    let too_many: Vec<Uuid> = (0..501).map(|_| Uuid::new_v4()).collect();
    for body in [
        json!({"ids": [id], "event_id": event}),
        json!({}),
        json!({"ids": too_many}),
    ] {
        let response = app.post_json("/api/chat/sessions/delete", &body).await;
        assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let response = app
        .post_json("/api/chat/sessions/delete", &json!({"ids": [id, "nope"]}))
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let response = app
        .post_raw("/api/chat/sessions/delete", "application/json", "[1]")
        .await;
    assert_problem(response, StatusCode::BAD_REQUEST).await;
    let sessions = app.db.count("SELECT count(*) AS n FROM chat_sessions");
    assert_eq!(sessions.await, 1, "nothing was deleted");
}

#[tokio::test]
async fn lists_filter_by_tags_and_pin_and_page_with_a_link_to_the_next() {
    let app = spawn_app().await;
    let event = app.seed_event("Lavaredo").await;
    let mut made = Vec::new();
    for minute in 1..=7 {
        made.push(
            app.seed_session(event, minute, &["Q", "A"])
                .await
                .to_string(),
        );
    }
    let tag = |id: &str, body: Value| {
        let path = format!("/api/chat/sessions/{id}");
        let app = &app;
        async move { assert_eq!(app.patch_json(&path, &body).await.status(), StatusCode::OK) }
    };
    tag(&made[0], json!({"tags": ["Heat", "Crew"], "pinned": true})).await;
    tag(&made[3], json!({"tags": ["heat"]})).await;
    tag(&made[5], json!({"tags": ["HEAT", "crew"]})).await;

    let of = |query: &str| format!("/api/chat/sessions?event_id={event}&{query}");
    let heat = ids(&app.get_json(&of("tag=heat")).await);
    assert_eq!(heat, [&made[0], &made[5], &made[3]].map(String::as_str));
    let both = ids(&app.get_json(&of("tag=CREW&tag=Heat")).await);
    assert_eq!(both, [&made[0], &made[5]].map(String::as_str));
    let unpinned = ids(&app.get_json(&of("pinned=false&tag=heat")).await);
    assert_eq!(unpinned, [&made[5], &made[3]].map(String::as_str));

    // Pages of 3: the same order as the whole list, nothing twice, nothing left out.
    let whole = ids(&app.get_json(&of("")).await);
    let paged = follow_pages(&app, of("limit=3"), 3).await;
    assert_eq!(paged, whole);
    assert_eq!(whole.len(), 7);

    let tags = app
        .get_json(&format!("/api/chat/tags?event_id={event}"))
        .await;
    assert_eq!(
        tags,
        json!([{"tag": "Heat", "count": 3}, {"tag": "Crew", "count": 2}])
    );
    // A cursor alone continues with pages of 50; only with the filters it was given for.
    let cursor = next_cursor(&app, &of("limit=3")).await;
    let rest = ids(&app.get_json(&of(&format!("cursor={cursor}"))).await);
    assert_eq!(rest, whole[3..]);
    for other_list in [
        format!("/api/chat/sessions?cursor={cursor}"),
        of(&format!("tag=heat&cursor={cursor}")),
        of(&format!("pinned=false&limit=3&cursor={cursor}")),
    ] {
        let refused = assert_problem(app.get(&other_list).await, StatusCode::BAD_REQUEST).await;
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("other filters"),
            "{refused}"
        );
    }
    // The same tags in another case and order are the same list.
    let cursor = next_cursor(&app, &of("tag=heat&tag=crew&limit=1")).await;
    let next = ids(&app
        .get_json(&of(&format!("tag=CREW&tag=Heat&limit=1&cursor={cursor}")))
        .await);
    assert_eq!(next, [made[5].as_str()]);
    for bad in ["limit=0", "limit=1001", "limit=ten", "tag=%00"] {
        assert_problem(app.get(&of(bad)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    for bad in ["pinned=maybe", "cursor=nonsense", "event_id=nope"] {
        assert_problem(app.get(&of(bad)).await, StatusCode::BAD_REQUEST).await;
    }
}
