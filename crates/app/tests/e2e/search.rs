//! `GET /api/chat/search` against a real PostgreSQL: each matching rule, scope, ranking,
//! paging, deletion and bad input.

use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use std::time::Duration;

use futures_util::StreamExt;
use test_support::app::{TestApp, assert_problem, spawn_app, spawn_app_saving_each_piece};
use test_support::fake_openai::Behavior;

async fn search(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/chat/search?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.unwrap()
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The snippets of the hits for `q`.
async fn snippets(app: &TestApp, q: &str) -> Vec<String> {
    let page = search(app, &format!("q={}", encode(q))).await;
    page["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["snippet"].as_str().unwrap().to_owned())
        .collect()
}

/// The highlighted parts of the first hit's snippet.
fn marked(hit: &Value) -> Vec<String> {
    let chars: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
    hit["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let (start, end) = (
                r[0].as_u64().unwrap() as usize,
                r[1].as_u64().unwrap() as usize,
            );
            chars[start..end].iter().collect()
        })
        .collect()
}

/// The chat of each hit of a page, in order.
fn hit_sessions(page: &Value) -> Vec<&str> {
    page["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["session_id"].as_str().unwrap())
        .collect()
}

/// Japanese and Korean chats, whose words have no spaces between them.
const CJK_CHATS: [&[&str]; 2] = [
    &["東京マラソンの給水所はどこ？", "五キロごとにあります。"],
    &["서울 마라톤 코스", "평지입니다."],
];

/// Chats with the same words in and out of order.
const SALT_CHATS: [&[&str]; 3] = [
    &["Salt tablets in the heat", "One salt tablet an hour."],
    &["Tablets of salt?", "Only if you sweat a lot."],
    &["Gels or chews", "Chews sit better."],
];

/// An app holding `chats`, of no event, one a minute in the order given.
async fn app_with_chats(chats: &[&[&str]]) -> TestApp {
    let app = spawn_app().await;
    for (minute, messages) in (1..).zip(chats) {
        app.seed_session(None, minute, messages).await;
    }
    app
}

#[tokio::test]
async fn words_are_found_in_any_form_case_and_accent_and_the_terms_are_marked() {
    let app = app_with_chats(&[
        &[
            "How should I pace the climbs?",
            "Walk them; you paced well at the Café stop.",
        ],
        &["Bürgenstock loop plan", "Run the flats."],
        &["Fuel?", "Take 60 g of carbs an hour until 100k, then more."],
    ])
    .await;

    let hits = search(&app, "q=pacing").await["hits"].clone();
    let found: Vec<&str> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["snippet"].as_str().unwrap())
        .collect();
    assert_eq!(hits.as_array().unwrap().len(), 2, "{hits}");
    assert!(
        found.iter().any(|s| s.contains("pace the climbs"))
            && found.iter().any(|s| s.contains("paced well")),
        "{found:?}"
    );
    for hit in hits.as_array().unwrap() {
        for term in marked(hit) {
            assert!(term.to_lowercase().starts_with("pace"), "{term} in {hit}");
        }
    }
    assert_eq!(snippets(&app, "CAFE").await.len(), 1);
    let burgen = search(&app, "q=Burgenstock").await;
    assert_eq!(marked(&burgen["hits"][0]), ["Bürgenstock"]);
    assert!(snippets(&app, "60 g").await[0].contains("60 g of carbs"));
    assert!(snippets(&app, "100k").await[0].contains("100k"));
    assert!(snippets(&app, "sandwiches").await.is_empty());
}

#[tokio::test]
async fn two_or_more_characters_of_cjk_text_find_it_inside_a_run() {
    let app = app_with_chats(&CJK_CHATS).await;
    let hits = search(&app, &format!("q={}", encode("マラソン"))).await["hits"].clone();
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    assert_eq!(marked(&hits[0]), ["マラソン"]);
    assert_eq!(snippets(&app, "給水").await.len(), 1);
    assert_eq!(snippets(&app, "마라").await.len(), 1);
    assert!(snippets(&app, "大阪").await.is_empty());
    // One character is not enough to find anything (and is no error).
    assert!(snippets(&app, "京").await.is_empty());
}

#[tokio::test]
async fn phrases_exclusions_and_or_follow_websearch_rules() {
    let app = app_with_chats(&SALT_CHATS).await;
    let phrase = snippets(&app, "\"salt tablets\"").await;
    assert!(
        phrase.iter().all(|s| !s.contains("Tablets of salt")) && !phrase.is_empty(),
        "{phrase:?}"
    );
    assert_eq!(
        snippets(&app, "salt tablets").await.len(),
        3,
        "both words, any order"
    );
    let without = snippets(&app, "salt -heat").await;
    assert!(
        without.iter().all(|s| !s.contains("heat"))
            && without.iter().any(|s| s.contains("Tablets of salt")),
        "{without:?}"
    );
    let either = snippets(&app, "sweat or chews").await;
    assert!(
        either.iter().any(|s| s.contains("sweat")) && either.iter().any(|s| s.contains("Chews")),
        "{either:?}"
    );
}

#[tokio::test]
async fn titles_and_phrases_rank_first_then_relevance_then_the_newest_and_scope_is_by_event() {
    let app = spawn_app().await;
    let western = app.seed_event("Western States").await;
    let utmb = app.seed_event("UTMB").await;
    let older = app
        .seed_session(
            western,
            1,
            &["Ice at the canyons", "Take ice in a bandana."],
        )
        .await;
    let newer = app
        .seed_session(western, 5, &["Bandana?", "An ice bandana keeps you cool."])
        .await;
    let other = app
        .seed_session(utmb, 9, &["Cold nights", "Bring ice grips for the passes."])
        .await;
    // Only the title matches: a hit without a message.
    let titled = app
        .seed_session(western, 2, &["Shoes", "Trail shoes with grip."])
        .await;
    app.db
        .execute(&format!(
            "UPDATE chat_sessions SET title = 'Ice baths after the race' WHERE id = '{titled}'"
        ))
        .await;

    let all = search(&app, "q=ice").await;
    let hits = all["hits"].as_array().unwrap();
    let sessions = hit_sessions(&all);
    // The title hit and the message in a chat whose title matches come first.
    let title_only = hits
        .iter()
        .find(|h| h["message_id"].is_null())
        .expect("a title hit");
    assert_eq!(title_only["session_id"], titled.to_string());
    assert_eq!(title_only["role"], Value::Null);
    assert_eq!(marked(title_only), ["Ice"]);
    let first: Vec<&str> = sessions[..3].to_vec();
    assert!(
        first.contains(&titled.to_string().as_str()) && first.contains(&older.to_string().as_str()),
        "{sessions:?}"
    );
    assert!(
        sessions.contains(&other.to_string().as_str())
            && sessions.contains(&newer.to_string().as_str())
    );

    let scoped = search(&app, &format!("q=ice&event_id={western}")).await;
    let scoped = hit_sessions(&scoped);
    assert!(
        !scoped.contains(&other.to_string().as_str())
            && scoped.contains(&newer.to_string().as_str()),
        "{scoped:?}"
    );
    let hit = &search(&app, &format!("q=grips&event_id={utmb}")).await["hits"][0];
    assert_eq!(
        (
            hit["event_id"].clone(),
            hit["session_title"].clone(),
            hit["role"].clone()
        ),
        (
            Value::from(utmb.to_string()),
            Value::from("Cold nights"),
            Value::from("assistant")
        )
    );

    // Same relevance: the newest first.
    let app2 = spawn_app().await;
    let a = app2.seed_session(None, 1, &["gels", "x"]).await;
    let b = app2.seed_session(None, 3, &["gels", "y"]).await;
    let order = search(&app2, "q=gels").await;
    assert_eq!(hit_sessions(&order), [b.to_string(), a.to_string()]);
}

#[tokio::test]
async fn pages_follow_the_cursor_without_gaps_or_repeats_and_deleted_chats_are_gone() {
    let app = spawn_app().await;
    let mut all = Vec::new();
    for minute in 0..7 {
        all.push(
            app.seed_session(None, minute, &["Headlamp batteries?", "Carry spares."])
                .await,
        );
    }
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = search(&app, &format!("q=headlamp&limit=3&cursor={cursor}")).await;
        let hits = page["hits"].as_array().unwrap();
        assert!(hits.len() <= 3);
        seen.extend(hit_sessions(&page).into_iter().map(str::to_owned));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let mut expected: Vec<String> = all.iter().map(Uuid::to_string).collect();
    expected.reverse();
    assert_eq!(seen, expected);

    assert_eq!(
        app.delete(&format!("/api/chat/sessions/{}", all[3]))
            .await
            .status(),
        StatusCode::OK
    );
    let after = search(&app, "q=headlamp&limit=100").await;
    let after = hit_sessions(&after);
    assert_eq!(after.len(), 6);
    assert!(!after.contains(&all[3].to_string().as_str()));
}

#[tokio::test]
async fn bad_input_is_a_422_or_400_and_operator_soup_never_fails() {
    let app = spawn_app().await;
    app.seed_session(None, 1, &["Poles or no poles?", "Poles on the climbs."])
        .await;
    for query in [
        "q=",
        "q=%20%20%09",
        &format!("q={}", "a".repeat(501)),
        "q=salt&limit=0",
        "q=salt&limit=101",
        "q=salt&limit=ten",
        "q=salt%00",
    ] {
        let problem = assert_problem(
            app.get(&format!("/api/chat/search?{query}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(problem["errors"].is_array(), "{query}: {problem}");
    }
    for query in [
        "",
        "event_id=nope&q=salt",
        "q=salt&cursor=zzz",
        "q=salt&cursor=o-1",
    ] {
        assert_problem(
            app.get(&format!("/api/chat/search?{query}")).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    for soup in [
        "\"",
        "-",
        "or",
        "!!! & | <-> :*",
        "\"\"\"",
        "(poles",
        "poles:*",
        "-poles -",
        "' OR 1=1 --",
        "\\",
        "éé\u{301}",
        "🏃‍♀️",
    ] {
        let response = app
            .get(&format!("/api/chat/search?q={}", encode(soup)))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{soup:?}");
    }
    assert_eq!(
        search(&app, &format!("q={}", encode("poles -"))).await["hits"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        search(&app, "q=poles&event_id=").await["hits"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn an_answer_is_found_once_it_has_ended_not_while_it_is_written() {
    let app = spawn_app_saving_each_piece(Behavior::slow_answer(
        &["Electrolyte ", "capsules ", "every ", "hour."],
        400,
    ))
    .await;
    let response = app
        .chat(&serde_json::json!({"message": "What about cramps?"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("capsules") {
        seen.push_str(&String::from_utf8_lossy(
            &body.next().await.unwrap().unwrap(),
        ));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        snippets(&app, "electrolyte").await.is_empty(),
        "found while being written"
    );
    assert_eq!(
        snippets(&app, "cramps").await.len(),
        1,
        "the question is found at once"
    );
    while body.next().await.is_some() {}
    let found = snippets(&app, "electrolyte").await;
    assert!(
        found.len() == 1 && found[0].starts_with("Electrolyte capsules every hour"),
        "{found:?}"
    );
}

#[tokio::test]
async fn messages_of_a_continued_chat_are_found_within_its_event() {
    let app = spawn_app().await;
    let event = app.seed_event("Lavaredo").await;
    let first = app
        .chat_events(&serde_json::json!({"message": "Poles for the climbs?", "event_id": event}))
        .await;
    let session = first[0]["session_id"].as_str().unwrap().to_owned();
    app.chat_events(
        &serde_json::json!({"message": "And headlamp batteries?", "session_id": session}),
    )
    .await;
    let hits = search(&app, &format!("q=headlamp&event_id={event}")).await;
    assert_eq!(hits["hits"][0]["session_id"], session.as_str(), "{hits}");
    let elsewhere = search(&app, &format!("q=headlamp&event_id={}", Uuid::new_v4())).await;
    assert_eq!(elsewhere["hits"].as_array().unwrap().len(), 0);
}
