//! The assistant remembers: what an event's other chats said reaches the prompt of a new
//! question, cited in the answer's `sources`, within the event, not after a delete, not with
//! memory off.

use serde_json::{Value, json};
use test_support::app::{TestApp, spawn_app, spawn_app_with};
use test_support::fake_openai::Behavior;

/// The system message the model was sent for the `n`th question.
fn system(app: &TestApp, n: usize) -> String {
    app.model.requests()[n]["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn session_id(events: &[Value]) -> String {
    events[0]["session_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_fact_from_another_chat_of_the_event_is_recalled_and_cited_and_only_there() {
    let app = spawn_app().await;
    let (race, other) = (
        app.create_event("Western States").await,
        app.create_event("Hardrock").await,
    );
    let said = app
        .chat_events(&json!({"message": "My drop bag at Foresthill holds the spare headlamp.", "event_id": race["id"]}))
        .await;
    app.chat_events(&json!({"message": "My drop bag at Ouray holds the spare headlamp batteries.", "event_id": other["id"]}))
        .await;

    let asked = app
        .chat_events(
            &json!({"message": "Which drop bag has my spare headlamp?", "event_id": race["id"]}),
        )
        .await;

    let prompt = system(&app, 2);
    assert!(prompt.contains("<<<earlier chats"), "{prompt}");
    assert!(
        prompt.contains("My drop bag at Foresthill holds the spare headlamp."),
        "{prompt}"
    );
    assert!(
        !prompt.contains("Ouray"),
        "another event's chat leaked: {prompt}"
    );
    let done = asked.last().unwrap();
    let sources = done["sources"].as_array().unwrap();
    assert_eq!(
        sources[0],
        json!({"type": "event", "event_id": race["id"], "name": "Western States"})
    );
    let first = app.session_json(&session_id(&said)).await;
    let cited: Vec<&Value> = sources.iter().filter(|s| s["type"] == "chat").collect();
    assert_eq!(cited.len(), 1, "{sources:?}");
    assert_eq!(cited[0]["session_id"], first["id"]);
    assert_eq!(cited[0]["message_id"], first["messages"][0]["id"]);
    assert_eq!(cited[0]["title"], first["title"]);
    assert_eq!(
        cited[0]["snippet"],
        "My drop bag at Foresthill holds the spare headlamp."
    );
    assert_eq!(cited[0]["created_at"], first["messages"][0]["created_at"]);

    // The sources are stored with the answer and come back with the chat.
    let reloaded = app.session_json(&session_id(&asked)).await;
    assert_eq!(reloaded["messages"][1]["sources"], done["sources"]);

    // Not when the question asks for none.
    app.chat_events(&json!({"message": "Which drop bag has my spare headlamp?", "event_id": race["id"], "memory": false}))
        .await;
    assert!(!system(&app, 3).contains("Foresthill"));

    // A deleted chat is never recalled again.
    let deleted = app
        .delete(&format!(
            "/api/chat/sessions/{}",
            first["id"].as_str().unwrap()
        ))
        .await;
    assert!(deleted.status().is_success());
    app.chat_events(
        &json!({"message": "Which drop bag has my spare headlamp?", "event_id": race["id"]}),
    )
    .await;
    let prompt = system(&app, 4);
    assert!(!prompt.contains("Foresthill"), "{prompt}");
}

#[tokio::test]
async fn a_continued_chat_recalls_other_chats_but_not_its_own_messages() {
    let app = spawn_app().await;
    let race = app.create_event("UTMB").await;
    app.chat_events(
        &json!({"message": "I carry two soft flasks of 500 ml.", "event_id": race["id"]}),
    )
    .await;
    let chat = app
        .chat_events(
            &json!({"message": "How much water do my soft flasks hold?", "event_id": race["id"]}),
        )
        .await;
    app.chat_events(&json!({"message": "And the flasks on the climb to Bovine?", "session_id": session_id(&chat)}))
        .await;
    let prompt = system(&app, 2);
    assert!(prompt.contains("two soft flasks of 500 ml"), "{prompt}");
    // This chat's own question is in its history, never recalled into the notes.
    assert!(
        !prompt.contains("How much water do my soft flasks hold?"),
        "{prompt}"
    );
}

#[tokio::test]
async fn memory_off_on_the_server_recalls_nothing() {
    let app = spawn_app_with(Behavior::answer(&["Noted."]), |settings| {
        settings.chat.memory_max_chars = 0;
    })
    .await;
    let race = app.create_event("Lavaredo").await;
    app.chat_events(&json!({"message": "My crew meets me at Cortina.", "event_id": race["id"]}))
        .await;
    let asked = app
        .chat_events(&json!({"message": "Where does my crew meet me?", "event_id": race["id"]}))
        .await;
    assert!(!system(&app, 1).contains("Cortina"));
    // The event's details are still cited: they were in the prompt.
    assert_eq!(
        asked.last().unwrap()["sources"],
        json!([{"type": "event", "event_id": race["id"], "name": "Lavaredo"}])
    );
}

#[tokio::test]
async fn a_memory_that_is_not_a_boolean_is_refused() {
    let app = spawn_app().await;
    let response = app.chat(&json!({"message": "hi", "memory": "yes"})).await;
    assert!(response.status().is_client_error(), "{}", response.status());
}
