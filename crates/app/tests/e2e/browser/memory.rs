//! An answer's sources as chips under it: the chat it recalled opens at the message, the
//! event's chip scrolls to the event's details; both come back after a reload.

use super::*;

#[tokio::test]
async fn an_answer_shows_its_sources_which_open_the_recalled_chat_and_the_event() {
    let app = spawn_app().await;
    let event = app.create_event("Western States").await;
    let event_id = event["id"].as_str().unwrap().to_owned();
    app.chat_events(&json!({"message": "My drop bag at Foresthill holds the spare headlamp.", "event_id": event_id}))
        .await;

    // A phone's window: the event's details are above the chat, out of view once it scrolls.
    with_window("memory", (400, 820), |session| async move {
        let browser = session.client.clone();
        goto_event(&browser, &app, &event_id).await;
        ask(&browser, "Which drop bag has my spare headlamp?").await;
        let chips = "document.querySelectorAll('.message.assistant .source-chip').length === 2";
        until(&browser, "the answer's two sources", chips).await;
        assert_eq!(
            texts(&browser, ".message.assistant .source-chip").await[0],
            "Event: Western States"
        );
        let recalled =
            "document.querySelector('.message.assistant .source-chip:not(.event-source)')";
        assert_eq!(
            js(
                &browser,
                &format!("{recalled}.textContent.startsWith('My drop bag at Foresthill')")
            )
            .await,
            json!(true)
        );
        assert_eq!(
            js(&browser, &format!("{recalled}.title")).await,
            json!("My drop bag at Foresthill holds the spare headlamp.")
        );
        js(
            &browser,
            "document.querySelector('.message.assistant').scrollIntoView({ block: 'center' })",
        )
        .await;
        save_screenshot(&browser, "answer-sources").await;

        // After a reload they are there still, read back with the chat.
        goto_chat(&browser, &app, &event_id, 2).await;
        until(&browser, "the sources after a reload", chips).await;

        // The recalled chat opens at the message.
        click(
            &browser,
            ".message.assistant .source-chip:not(.event-source)",
        )
        .await;
        until(
            &browser,
            "the recalled message",
            "document.querySelector('.message.found')?.textContent.includes('Foresthill holds')",
        )
        .await;

        // The event's chip brings its details into view.
        js(&browser, "window.scrollTo(0, document.body.scrollHeight)").await;
        until(
            &browser,
            "the details scrolled away",
            "document.querySelector('.event-head').getBoundingClientRect().bottom < 0",
        )
        .await;
        click(&browser, ".message.assistant .event-source").await;
        until(
            &browser,
            "the event's details in view",
            "Math.abs(document.querySelector('.event-head').getBoundingClientRect().top) < 2",
        )
        .await;
    })
    .await;
}
