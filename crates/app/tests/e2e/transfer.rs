//! Export and import end to end: files out in each format, files in from ChatGPT, Open WebUI
//! and aidstation, the round trip, and every kind of bad file refused with nothing stored.

use std::io::{Cursor, Read, Write};

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use test_support::app::{
    TestApp, assert_contains_all, assert_problem, each_str, spawn_app, spawn_app_with,
};
use test_support::fake_openai::Behavior;

const CHATGPT: &str = include_str!("../fixtures/import/chatgpt-conversations.json");
const OPEN_WEBUI: &str = include_str!("../fixtures/import/open-webui-export.json");

async fn import(
    app: &TestApp,
    query: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Response {
    app.post_raw(&format!("/api/chat/import{query}"), content_type, body)
        .await
}

async fn imported(
    app: &TestApp,
    query: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Value {
    let response = import(app, query, content_type, body).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Every chat as stored, oldest first, each with its messages' contents.
async fn chats(app: &TestApp) -> Vec<Value> {
    let list = app.get_json("/api/chat/sessions").await;
    let mut chats = Vec::new();
    for id in each_str(&list, "id").into_iter().rev() {
        chats.push(app.session_json(id).await);
    }
    chats
}

async fn count(app: &TestApp, table: &str) -> i64 {
    app.db
        .count(&format!("SELECT count(*) AS n FROM {table}"))
        .await
}

fn zip_of(name: &str, content: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(name, options).unwrap();
    zip.write_all(content).unwrap();
    zip.finish().unwrap().into_inner()
}

#[tokio::test]
async fn a_chatgpt_export_brings_the_branch_last_seen_once_and_skips_what_it_cannot_read() {
    let app = spawn_app().await;
    let summary = imported(&app, "", "application/json", CHATGPT).await;
    assert_eq!(
        summary,
        json!({"imported": 2, "duplicates": 0, "skipped": [
            {"index": 2, "title": "Broken", "reason": "it is not a ChatGPT or Open WebUI conversation"}]})
    );
    let chats = chats(&app).await;
    assert_eq!(chats[0]["title"], "Salt at the canyons");
    // The regenerated answer and the edited question are the ones last seen; the system
    // node, the image, the tool call and its output are left out.
    assert_eq!(
        each_str(&chats[0]["messages"], "content"),
        [
            "How much salt at the canyons?",
            "Take 300 mg of sodium an hour.",
            "And in the heat at Devil's Thumb?",
            "What about this photo of my salt tabs?",
            "Double it in the heat: 600 mg an hour."
        ]
    );
    assert_eq!(
        each_str(&chats[0]["messages"], "role"),
        ["user", "assistant", "user", "user", "assistant"]
    );
    assert_eq!(chats[0]["messages"][1]["model"], "gpt-4o-mini");
    assert_eq!(chats[0]["messages"][4]["model"], "gpt-4o");
    assert_eq!(chats[0]["created_at"], "2025-04-01T07:00:00.250Z");
    assert_eq!(
        chats[0]["messages"][0]["created_at"],
        "2025-04-01T07:00:01Z"
    );
    // Without current_node: the branch written last.
    assert_eq!(
        each_str(&chats[1]["messages"], "content"),
        ["Where should my crew meet me?", "At Foresthill, mile 62."]
    );

    // The same file again, as ChatGPT's ZIP and as a form upload: nothing new.
    let zipped = zip_of("conversations.json", CHATGPT.as_bytes());
    let again = imported(&app, "", "application/zip", zipped).await;
    assert_eq!(
        (again["imported"].clone(), again["duplicates"].clone()),
        (json!(0), json!(2))
    );
    let form = format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n\
         --b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"conversations.json\"\r\n\
         Content-Type: application/json\r\n\r\n{CHATGPT}\r\n--b0undary--\r\n"
    );
    let uploaded = imported(&app, "", "multipart/form-data; boundary=b0undary", form).await;
    assert_eq!(uploaded["duplicates"], 2);
    assert_eq!(
        (
            count(&app, "chat_sessions").await,
            count(&app, "chat_messages").await
        ),
        (2, 7)
    );
}

#[tokio::test]
async fn an_open_webui_export_follows_current_id_or_its_message_list_into_an_event() {
    let app = spawn_app().await;
    let event = app.seed_event("Lavaredo").await;
    let summary = imported(
        &app,
        &format!("?event_id={event}"),
        "application/json",
        OPEN_WEBUI,
    )
    .await;
    assert_eq!(
        summary,
        json!({"imported": 2, "duplicates": 0, "skipped": []})
    );
    let chats = chats(&app).await;
    assert_eq!(
        each_str(&chats[0]["messages"], "content"),
        ["Poles on the climbs?", "Yes, on the long climbs."]
    );
    assert_eq!(chats[0]["messages"][1]["model"], "qwen2.5:7b");
    assert_eq!(
        each_str(&chats[1]["messages"], "content"),
        [
            "What goes in the Foresthill drop bag?",
            "A spare headlamp and dry socks."
        ]
    );
    // Milliseconds and seconds alike.
    assert_eq!(
        chats[1]["messages"][0]["created_at"],
        "2025-05-01T11:46:41Z"
    );
    assert!(
        chats
            .iter()
            .all(|chat| chat["event_id"] == event.to_string())
    );
    // An event that is not there: 404, nothing stored.
    let missing = import(
        &app,
        &format!("?event_id={}", uuid::Uuid::new_v4()),
        "application/json",
        CHATGPT,
    )
    .await;
    assert_problem(missing, StatusCode::NOT_FOUND).await;
    assert_eq!(count(&app, "chat_sessions").await, 2);
}

#[tokio::test]
async fn an_export_imported_after_its_chats_were_deleted_exports_the_same_again() {
    let app = spawn_app_with(Behavior::answer(&["Start **easy**."]), |_| {}).await;
    let event = app.create_event("Western States").await;
    let event_id = event["id"].as_str().unwrap().to_owned();
    for question in ["Pacing?", "Salt?"] {
        app.chat_events(&json!({"message": question, "event_id": event_id}))
            .await;
    }
    let list = app.get_json("/api/chat/sessions").await;
    let ids: Vec<String> = each_str(&list, "id")
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    app.patch_json(
        &format!("/api/chat/sessions/{}", ids[0]),
        &json!({"tags": ["Heat"], "pinned": true, "title": "Renamed — with “quotes”"}),
    )
    .await;
    // One answer stopped, one cut at the length limit.
    app.db
        .execute(&format!(
            "UPDATE chat_messages SET status = 'interrupted', status_code = 'stopped' \
             WHERE role = 'assistant' AND session_id = '{}'; \
             UPDATE chat_messages SET note = 'length', finish_reason = 'length' \
             WHERE role = 'assistant' AND session_id = '{}'",
            ids[0], ids[1]
        ))
        .await;
    let exported = |query: String| {
        let app = &app;
        async move {
            let response = app.get(&format!("/api/chat/export{query}")).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()["content-type"], "application/json");
            let mut file: Value = response.json().await.unwrap();
            assert_eq!(file["format"], "aidstation.chat.v1");
            file.as_object_mut().unwrap().remove("exported_at");
            file
        }
    };
    let before = exported(format!("?event_id={event_id}")).await;
    assert_eq!(before["chats"].as_array().unwrap().len(), 2);
    assert_eq!(
        before["chats"][0]["event"],
        json!({"id": event_id, "name": "Western States"})
    );
    let one = app
        .get(&format!("/api/chat/sessions/{}/export?format=json", ids[0]))
        .await;
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["chats"][0], before["chats"][0]);

    let deleted = app
        .post_json("/api/chat/sessions/delete", &json!({"event_id": event_id}))
        .await;
    assert_eq!(deleted.json::<Value>().await.unwrap()["deleted"], 2);
    let file = serde_json::to_vec(&before).unwrap();
    let again = || imported(&app, "", "application/json", file.clone());
    assert_eq!(
        again().await,
        json!({"imported": 2, "duplicates": 0, "skipped": []})
    );
    assert_eq!(exported(format!("?event_id={event_id}")).await, before);
    // And once more: the same chats are here, nothing is stored twice.
    let summary = again().await;
    assert_eq!(
        (summary["imported"].clone(), summary["duplicates"].clone()),
        (json!(0), json!(2))
    );
    assert_eq!(exported(String::new()).await, before);
}

#[tokio::test]
async fn one_chat_downloads_as_markdown_and_many_as_a_zip_of_them() {
    let app = spawn_app().await;
    let event = app.seed_event("UTMB").await;
    let first = app
        .seed_session(event, 1, &["Poles — yes or no?", "Yes, on **climbs**."])
        .await;
    app.seed_session(event, 2, &["Crew", "At Champex."]).await;
    app.seed_session(None, 3, &["Elsewhere", "Not in this event."])
        .await;

    let response = app
        .get(&format!("/api/chat/sessions/{first}/export?format=md"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/markdown; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"Poles _ yes or no.md\"; filename*=UTF-8''Poles%20%E2%80%94%20yes%20or%20no%3F.md"
    );
    let markdown = response.text().await.unwrap();
    assert_contains_all(
        &markdown,
        &[
            "# Poles — yes or no?\n",
            "- Event: UTMB\n",
            "### You · 2026-06-27 05:01 UTC\n\nPoles — yes or no?",
            "### Assistant · ",
            "Yes, on **climbs**.",
        ],
    );

    let response = app
        .get(&format!("/api/chat/export?event_id={event}&format=zip"))
        .await;
    assert_eq!(response.headers()["content-type"], "application/zip");
    let disposition = response.headers()["content-disposition"].to_str();
    assert!(disposition.is_ok_and(|d| d.contains("filename=\"UTMB chats.zip\"")));
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with("2026-06-27 Crew "), "{names:?}");
    let mut text = String::new();
    archive
        .by_name(&names[1])
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.starts_with("# Poles — yes or no?\n"), "{text}");
    let unknown = uuid::Uuid::new_v4();
    app.assert_not_found(&format!("/api/chat/export?event_id={unknown}"))
        .await;
    let unknown_format = app
        .get(&format!("/api/chat/sessions/{first}/export?format=doc"))
        .await;
    assert_problem(unknown_format, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn a_bad_file_is_refused_with_a_clear_reason_and_nothing_is_stored() {
    let app = spawn_app_with(Behavior::answer(&["x"]), |settings| {
        settings.import_max_bytes = 200_000;
    })
    .await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bomb = zip_of(
        "conversations.json",
        format!("[{}]", " ".repeat(2_000_000)).as_bytes(),
    );
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            b"not json at all".to_vec(),
            StatusCode::BAD_REQUEST,
            "not JSON",
        ),
        (
            b"{\"a\": 1}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "expected an export",
        ),
        (
            b"{\"format\": \"other.v9\", \"chats\": []}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "this server reads",
        ),
        (
            b"{\"format\": \"aidstation.chat.v1\"}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "has no `chats`",
        ),
        (
            b"42".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "expected an export",
        ),
        (
            deep.into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nested too deeply",
        ),
        (
            b"[{\"title\": \"caf\xe9\"}]".to_vec(),
            StatusCode::BAD_REQUEST,
            "not UTF-8",
        ),
        (
            vec![b' '; 200_001],
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than 200000 bytes",
        ),
        (
            bomb,
            StatusCode::PAYLOAD_TOO_LARGE,
            "unpacks to more than 800000 bytes",
        ),
        (
            zip_of("notes.txt", b"hi"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no conversations.json",
        ),
        (Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "no file"),
    ];
    for (body, status, detail) in cases {
        let problem = assert_problem(
            import(&app, "", "application/octet-stream", body).await,
            status,
        )
        .await;
        assert!(
            problem["detail"].as_str().unwrap().contains(detail),
            "{detail}: {problem}"
        );
    }
    for table in ["chat_sessions", "chat_messages", "chat_imports"] {
        assert_eq!(count(&app, table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn a_long_chat_exports_as_a_pdf_whose_text_reads_back_wrapped_over_numbered_pages() {
    let app = spawn_app().await;
    let event = app.seed_event("Tor des Géants").await;
    let long =
        "Keep the effort easy on the first climb to Col Arp — walk every steep pitch. ".repeat(30);
    let mut messages = vec![
        "Pacing for the Tor — café stops, 東京 and 🏃?",
        long.as_str(),
    ];
    messages.extend(
        ["Where do I sleep?", "At Donnas and Gressoney."]
            .iter()
            .cycle()
            .take(60)
            .copied(),
    );
    let id = app.seed_session(event, 2, &messages).await;
    app.db
        .execute(&format!(
            "UPDATE chat_messages SET status = 'interrupted', status_code = 'stopped' \
             WHERE id = (SELECT id FROM chat_messages WHERE session_id = '{id}' ORDER BY seq DESC LIMIT 1)"
        ))
        .await;

    let response = app
        .get(&format!("/api/chat/sessions/{id}/export?format=pdf"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''Pacing%20for%20the%20Tor"),
        "{disposition}"
    );
    let pdf = response.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    // CI installs a CJK font (fonts-droid-fallback): Japanese is set in it; without one it
    // is `?`. No font here has the runner (an emoji): `?` either way.
    let font = app::installed_fallback_font();
    assert!(
        font.is_some() || std::env::var_os("CI").is_none(),
        "no CJK font installed"
    );
    let title = match font {
        Some(_) => "Pacing for the Tor — café stops, 東京 and ?",
        None => "Pacing for the Tor — café stops, ?? and ?",
    };
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_contains_all(
        &flat,
        &[
            title,
            "Event: Tor des Géants",
            "You · 2026-06-27 05:02 UTC",
            "Keep the effort easy on the first climb to Col Arp — walk every steep pitch.",
            "At Donnas and Gressoney.",
            "Interrupted: ",
            "1 / 5",
            "5 / 5",
        ],
    );
    assert!(!flat.contains("6 / 5"), "{flat}");
    // Wrapped: the first page sets the long answer as many lines (one text run each), none
    // wider than the page.
    let document = lopdf::Document::load_mem(&pdf).unwrap();
    let first = *document.get_pages().get(&1).unwrap();
    let content =
        lopdf::content::Content::decode(&document.get_page_content(first).unwrap()).unwrap();
    let runs = content
        .operations
        .iter()
        .filter(|op| op.operator == "TJ" || op.operator == "Tj")
        .count();
    assert!(runs > 40, "{runs} text runs on page 1");
}
