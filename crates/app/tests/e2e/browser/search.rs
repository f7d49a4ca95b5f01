//! Searching from the History list: hits with the terms marked, keyboard through them, the
//! chat opened on the found message, another event's chat opened on its own page.

use super::*;

const DOWN: char = '\u{E015}';

#[tokio::test]
async fn a_search_finds_the_message_opens_its_chat_on_it_and_reaches_other_events() {
    let app = spawn_app().await;
    let western = app.seed_event("Western States").await;
    let utmb = app.seed_event("UTMB").await;
    let mut filler = Vec::new();
    for i in 0..12 {
        filler.push(format!("Filler answer number {i} about nothing much."));
    }
    let mut messages: Vec<&str> = vec!["How much salt at the canyons?"];
    messages.extend(filler.iter().map(String::as_str));
    messages.push("Take 300 mg of sodium an hour in the canyons.");
    let salt = app.seed_session(western, 5, &messages).await;
    app.seed_session(western, 6, &["Crew plan", "Meet them at Foresthill."])
        .await;
    let cafe = app
        .seed_session(
            utmb,
            7,
            &["Where to stop?", "The Café at Champex has soup."],
        )
        .await;

    with_browser("search", |browser| async move {
        goto_event(&browser, &app, &western).await;
        open_history(&browser, 2).await;

        type_into(&browser, ".history input[type=search]", "sodium").await;
        until(&browser, "a hit", "document.querySelector('.search-hit mark')").await;
        assert_eq!(texts(&browser, ".search-hit mark").await, ["sodium"]);
        assert_eq!(texts(&browser, ".search-hit .session-title").await, ["How much salt at the canyons?"]);
        save_screenshot(&browser, "search-hits").await;

        // Keyboard: down from the box to the hit, Enter opens the chat on the message.
        press(&browser, &[DOWN]).await;
        assert_eq!(js(&browser, "document.activeElement.closest('.search-hit')?.dataset.sessionId").await, json!(salt.to_string()));
        press(&browser, &[RETURN]).await;
        until(&browser, "the found message", "document.querySelector('.message.found')?.textContent.includes('300 mg of sodium')").await;
        assert_eq!(js(&browser, "document.activeElement.classList.contains('found')").await, json!(true));
        assert_eq!(
            js(&browser, "(m => { const r = m.getBoundingClientRect(), v = document.querySelector('.messages').getBoundingClientRect(); return r.top >= v.top && r.bottom <= v.bottom; })(document.querySelector('.message.found'))").await,
            json!(true),
            "scrolled into view"
        );
        save_screenshot(&browser, "search-found-message").await;

        // Nothing found, said so.
        let search = find(&browser, ".history input[type=search]").await;
        search.clear().await.unwrap();
        search.send_keys("zebra").await.unwrap();
        until(&browser, "no hits", "document.querySelector('.history-list')?.textContent.includes('No chat has that.')").await;

        // All events: a chat of another event opens on that event's page, on the message.
        click(&browser, ".search-scope input").await;
        let search = find(&browser, ".history input[type=search]").await;
        search.clear().await.unwrap();
        search.send_keys("cafe").await.unwrap();
        until(&browser, "the other event's hit", "document.querySelector('.search-hit')?.textContent.includes('another event')").await;
        click(&browser, ".search-hit .session-open").await;
        until(&browser, "the other event's page", &format!("location.pathname === '/events/{utmb}'")).await;
        until(&browser, "the found message there", "document.querySelector('.message.found')?.textContent.includes('Café at Champex')").await;
        assert_eq!(js(&browser, &format!("localStorage.getItem('chat_session_{utmb}')")).await, json!(cafe.to_string()));
    })
    .await;
}
