//! Organizing chats in the History list: renaming in place, tags and their filter chips,
//! select mode with one Delete, the list loading more as it scrolls, share links, and the
//! sign-in page of a server with an access token.

use secrecy::SecretString;

use super::*;

#[tokio::test]
async fn chats_are_renamed_in_place_tagged_filtered_by_tag_and_deleted_together() {
    let app = spawn_app().await;
    let event = app.seed_event("Lavaredo").await;
    let mut ids = Vec::new();
    for (minute, question) in [
        (1, "Poles or not?"),
        (2, "Night gear"),
        (3, "Food at Cortina"),
    ] {
        ids.push(
            app.seed_session(event, minute, &[question, "Yes."])
                .await
                .to_string(),
        );
    }
    with_browser("organize", |browser| async move {
        goto_event(&browser, &app, &event).await;
        open_history(&browser, 3).await;

        // Rename in place: Enter saves, the list and the database follow.
        click(&browser, &format!("[data-session-id='{}'] .session-rename", ids[1])).await;
        // The old title is selected: typing replaces it.
        type_into(&browser, ".session-rename-input", &format!("Headlamp and batteries{ENTER}")).await;
        until(&browser, "the new title", "[...document.querySelectorAll('.session-title')].some(t => t.textContent === 'Headlamp and batteries')").await;
        let stored = app.db.count(&format!("SELECT count(*) AS n FROM chat_sessions WHERE title = 'Headlamp and batteries' AND id = '{}'", ids[1])).await;
        assert_eq!(stored, 1);

        // Tag the open chat; a suggestion list and a filter chip appear.
        click(&browser, &format!("[data-session-id='{}'] .session-open", ids[0])).await;
        until(&browser, "the chat's tag editor", "!document.querySelector('.chat-tools').hidden").await;
        type_into(&browser, ".chat-tag-input", &format!("Gear{ENTER}")).await;
        until(&browser, "the tag chip", "document.querySelector('.chat-tags .tag-chip')?.firstChild.textContent === 'Gear'").await;
        click(&browser, &format!("[data-session-id='{}'] .session-open", ids[1])).await;
        until(&browser, "the second chat", &format!("document.querySelector('.session.active')?.dataset.sessionId === '{}'", ids[1])).await;
        until(&browser, "the suggestion", "document.querySelector('#tag-suggestions option')?.value === 'Gear'").await;
        type_into(&browser, ".chat-tag-input", &format!("gear{ENTER}")).await;
        until(&browser, "the second chip", "document.querySelector('.chat-tags .tag-chip')?.firstChild.textContent === 'gear'").await;
        until(&browser, "the filter chip", "document.querySelector('.tag-filter .tag-chip')?.getAttribute('aria-label') === 'Gear (2 chats)'").await;
        save_screenshot(&browser, "history-tags").await;
        click(&browser, ".tag-filter .tag-chip").await;
        until(&browser, "the tagged chats only", "document.querySelectorAll('.history .session').length === 2").await;
        assert_eq!(find(&browser, ".tag-filter .tag-chip").await.attr("aria-pressed").await.unwrap().as_deref(), Some("true"));
        click(&browser, ".tag-filter .tag-chip").await;
        until(&browser, "every chat again", "document.querySelectorAll('.history .session').length === 3").await;

        // Select two, delete them at once: the confirmation names the count.
        click(&browser, ".select-toggle").await;
        click(&browser, &format!("[data-session-id='{}'] .session-check", ids[1])).await;
        click(&browser, &format!("[data-session-id='{}'] .session-check", ids[2])).await;
        assert_eq!(find(&browser, ".bulk-count").await.text().await.unwrap(), "2 selected");
        save_screenshot(&browser, "history-select").await;
        click(&browser, ".bulk-delete").await;
        assert_eq!(browser.get_alert_text().await.unwrap(), "Delete 2 chats? This cannot be undone.");
        browser.accept_alert().await.unwrap();
        until(&browser, "one chat left", "document.querySelectorAll('.history .session').length === 1").await;
        let left = app.db.count(&format!("SELECT count(*) AS n FROM chat_sessions WHERE id = '{}'", ids[0])).await;
        assert_eq!((app.db.count("SELECT count(*) AS n FROM chat_sessions").await, left), (1, 1));
        // The open chat was among them: the panel is a new chat again.
        until(&browser, "an empty panel", "document.querySelectorAll('.message').length === 0").await;
    })
    .await;
}

#[tokio::test]
async fn history_loads_more_chats_as_it_is_scrolled_to_its_end() {
    let app = spawn_app().await;
    let event = app.seed_event("Tor des Géants").await;
    app.seed_many_sessions(event, 120, 1, 0).await;
    with_browser("history_paging", |browser| async move {
        goto_event(&browser, &app, &event).await;
        open_history(&browser, 50).await;
        for shown in [100, 120] {
            js(
                &browser,
                "document.querySelector('.history-list').lastElementChild.scrollIntoView()",
            )
            .await;
            let expression =
                format!("document.querySelectorAll('.history .session').length === {shown}");
            until(&browser, &format!("{shown} chats"), &expression).await;
        }
        let titles = texts(&browser, ".session-title").await;
        assert_eq!(titles.first().map(String::as_str), Some("chat 1"));
        assert_eq!(titles.last().map(String::as_str), Some("chat 120"));
        assert!(
            js(&browser, "document.querySelector('.history-more')")
                .await
                .is_null()
        );
    })
    .await;
}

const SHARED: [&str; 2] = ["What at Champex?", "**Soup** and <b>bread</b>."];

#[tokio::test]
async fn a_share_link_shows_the_chat_read_only_until_it_is_revoked() {
    let app = spawn_app().await;
    let event = app.seed_event("UTMB").await.to_string();
    let session = app.seed_session(event.parse().ok(), 3, &SHARED).await;
    with_browser("share", |browser| async move {
        remember_chat(&browser, &app, &event, &session.to_string()).await;
        goto_chat(&browser, &app, &event, 2).await;
        click(&browser, ".share-chat").await;
        until(
            &browser,
            "the dialog",
            "document.querySelector('.share-dialog').open",
        )
        .await;
        until(
            &browser,
            "no links yet",
            "document.querySelector('.share-list')?.textContent === 'No links yet.'",
        )
        .await;
        click(&browser, ".share-create").await;
        until(
            &browser,
            "the link",
            "document.querySelector('.share-url').value.includes('/s/')",
        )
        .await;
        until(
            &browser,
            "the listed link",
            "document.querySelectorAll('.share-list .share').length === 1",
        )
        .await;
        save_screenshot(&browser, "share-dialog").await;
        let url = js(&browser, "document.querySelector('.share-url').value")
            .await
            .as_str()
            .unwrap()
            .to_owned();
        assert!(url.starts_with(&app.url("/s/")), "{url}");

        // The page: the copy, rendered as the app renders a chat, and nothing else of the app.
        browser.goto(&url).await.unwrap();
        assert_eq!(
            find(&browser, ".shared-chat h1")
                .await
                .text()
                .await
                .unwrap(),
            SHARED[0]
        );
        assert_eq!(texts(&browser, ".message.user .body").await, [SHARED[0]]);
        let answer = js(
            &browser,
            "document.querySelector('.message.assistant .body').innerHTML",
        )
        .await;
        assert_eq!(
            answer,
            "<p><strong>Soup</strong> and &lt;b&gt;bread&lt;/b&gt;.</p>"
        );
        let app_parts = js(
            &browser,
            "document.querySelector('#question, .history, a[href^=\"/events\"]')",
        )
        .await;
        assert!(app_parts.is_null(), "{app_parts}");
        save_screenshot(&browser, "share-page").await;

        // Revoked: the page is gone.
        goto_chat(&browser, &app, &event, 2).await;
        click(&browser, ".share-chat").await;
        click(&browser, ".share-revoke").await;
        until(
            &browser,
            "no links",
            "document.querySelector('.share-list')?.textContent === 'No links yet.'",
        )
        .await;
        browser.goto(&url).await.unwrap();
        let body = find(&browser, "body").await.text().await.unwrap();
        assert!(body.contains("This link does not work"), "{body}");
    })
    .await;
}

#[tokio::test]
async fn with_an_access_token_the_app_asks_for_it_once_and_keeps_it_out_of_reach_of_scripts() {
    let app = spawn_app_with(Behavior::answer(&["Fine."]), |settings| {
        settings.http.access_token = Some(SecretString::from("let me in"));
    })
    .await;
    with_browser("sign_in", |browser| async move {
        browser.goto(&app.url("/")).await.unwrap();
        find(&browser, "form.sign-in").await;
        save_screenshot(&browser, "sign-in").await;
        type_into(&browser, "form.sign-in input", &format!("wrong{ENTER}")).await;
        until(&browser, "the refusal", "document.querySelector('form.sign-in .form-error')?.textContent === 'that is not the access token'").await;
        let input = find(&browser, "form.sign-in input").await;
        input.clear().await.unwrap();
        input.send_keys(&format!("let me in{ENTER}")).await.unwrap();
        until(&browser, "the events page", "document.querySelector('h1')?.textContent === 'Your events'").await;
        // The cookie is HttpOnly: no script of the page can read it.
        assert_eq!(js(&browser, "document.cookie").await, "");
        browser.refresh().await.unwrap();
        until(&browser, "the events page after a reload", "document.querySelector('h1')?.textContent === 'Your events'").await;
    })
    .await;
}
