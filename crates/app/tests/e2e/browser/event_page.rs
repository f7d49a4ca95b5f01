//! The event page as runners use it: the layout at desktop, laptop and phone widths,
//! keyboard alone, axe-core's audit in light and dark, errors that keep the question, loading
//! states, and loads that reuse what the browser already has.

use test_support::browser::Network;

use super::*;

const TAB: char = '\u{E004}';
const SHIFT: char = '\u{E008}';
const ESC: char = '\u{E00C}';

/// Whether the focused element matches `css`.
async fn focused(browser: &Client, css: &str) -> bool {
    js(
        browser,
        &format!("document.activeElement?.matches({css:?}) ?? false"),
    )
    .await
        == json!(true)
}

/// What has the focus, for a failure message.
async fn focus_name(browser: &Client) -> Value {
    js(browser, "(e => `${e.tagName}.${e.className} ${e.getAttribute('aria-label') ?? e.textContent.slice(0, 40)}`)(document.activeElement)").await
}

/// Presses `keys` until the focus is on `css`, at most `limit` times.
async fn tab_to(browser: &Client, keys: &[char], css: &str, limit: usize) {
    for _ in 0..limit {
        if focused(browser, css).await {
            return;
        }
        press(browser, keys).await;
    }
    assert!(
        focused(browser, css).await,
        "{css} not reached in {limit} presses; focus on {}",
        focus_name(browser).await
    );
}

/// axe-core's source (scripts/fetch-axe puts it under target/); `None` (skip) without it,
/// except in CI, where it is fetched and its absence is a failure.
pub(super) fn axe_source() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{} missing: run scripts/fetch-axe",
                path.display()
            );
            eprintln!("SKIPPED the axe-core audit: run scripts/fetch-axe");
            None
        }
    }
}

/// axe-core's critical and serious violations on the page as it is now.
pub(super) async fn audit(browser: &Client, axe: &str) -> Vec<Value> {
    browser
        .execute(&format!("{axe}\nreturn true;"), vec![])
        .await
        .unwrap();
    let found = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.passes.length < 20 ? [{ id: 'axe ran too few rules', help: String(r.passes.length) }]
                 : r.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
                 .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' ' + (n.failureSummary ?? '')) }))))
               .catch(e => done([{ id: 'axe failed', help: String(e) }]));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

/// An event with a long name, a long chat (Markdown answers, a long title) and two others.
async fn seed_long_chat(app: &TestApp) -> (String, String) {
    let event = app
        .create_event("Western States 100-Mile Endurance Run, Olympic Valley to Auburn")
        .await;
    let event_id = event["id"].as_str().unwrap().to_owned();
    let event_uuid: uuid::Uuid = event_id.parse().unwrap();
    let answer = "## Pacing\n\n- **Miles 0–30**: walk every climb\n- Miles 30–62: run the downhills easy\n\n`300 kcal/h`, and see [the course](https://example.com/course).";
    let mut messages = Vec::new();
    for i in 0..12 {
        messages.push(if i == 0 { "How should I pace the canyons so that I still have legs for the river crossing and the last 20 miles?" } else { "And then?" });
        messages.push(answer);
    }
    let long = app.seed_session(event_uuid, 30, &messages).await;
    app.seed_session(event_uuid, 10, &["Crew checklist", "Ice, socks, lights."])
        .await;
    app.seed_session(
        event_uuid,
        20,
        &["Salt tablets in the heat?", "One an hour."],
    )
    .await;
    (event_id, long.to_string())
}

#[tokio::test]
async fn axe_core_finds_nothing_critical_or_serious_light_or_dark_wide_or_narrow() {
    let Some(axe) = axe_source() else { return };
    let app = spawn_app().await;
    let (event_id, long) = seed_long_chat(&app).await;
    with_window("axe", (1440, 900), |session| async move {
        let browser = &session.client;
        remember_chat(browser, &app, &event_id, &long).await;
        let mut problems = Vec::new();
        for (width, height) in [(1440, 900), (375, 812)] {
            browser.set_window_size(width, height).await.unwrap();
            for dark in [false, true] {
                session.prefer_dark(dark).await;
                let scheme = if dark { "dark" } else { "light" };
                browser.goto(&app.url("/")).await.unwrap();
                until(browser, "the events", "document.querySelector('.event-item')").await;
                assert_eq!(js(browser, "matchMedia('(prefers-color-scheme: dark)').matches").await, json!(dark));
                let mut pages = vec![("events", audit(browser, &axe).await)];
                save_screenshot(browser, &format!("events-{width}-{scheme}")).await;

                browser.goto(&app.url(&format!("/events/{event_id}"))).await.unwrap();
                until(browser, "the long chat", "document.querySelectorAll('.message').length === 24").await;
                until(browser, "the waypoints", "!document.querySelector('.waypoints[aria-busy]')").await;
                pages.push(("event page, long chat", audit(browser, &axe).await));
                save_screenshot(browser, &format!("event-long-chat-{width}-{scheme}")).await;

                open_history(browser, 3).await;
                pages.push(("history open", audit(browser, &axe).await));
                save_screenshot(browser, &format!("event-history-{width}-{scheme}")).await;

                type_into(browser, ".history input[type=search]", "pacing").await;
                until(browser, "search hits", "document.querySelector('.search-hit mark')").await;
                pages.push(("search hits", audit(browser, &axe).await));
                save_screenshot(browser, &format!("event-search-{width}-{scheme}")).await;
                for (page, found) in pages {
                    if !found.is_empty() {
                        problems.push(json!({"page": page, "width": width, "scheme": scheme, "violations": found}));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", serde_json::to_string_pretty(&problems).unwrap());
    })
    .await;
}

/// Where `css` is on screen: `[left, top, right, bottom]`.
async fn rect(browser: &Client, css: &str) -> [f64; 4] {
    let r = js(browser, &format!("(r => [r.left, r.top, r.right, r.bottom])(document.querySelector({css:?}).getBoundingClientRect())")).await;
    serde_json::from_value(r).unwrap()
}

/// Whether the element on top at the middle of `css` is `css` itself (or inside it): nothing covers it.
async fn uncovered(browser: &Client, css: &str) -> bool {
    js(browser, &format!("(e => {{ e.scrollIntoView({{block: 'nearest'}}); const r = e.getBoundingClientRect(); const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return e === top || e.contains(top); }})(document.querySelector({css:?}))")).await == json!(true)
}

#[tokio::test]
async fn on_wide_screens_the_chat_list_sits_beside_the_conversation_and_never_covers_send() {
    let app = spawn_app().await;
    let (event_id, long) = seed_long_chat(&app).await;
    with_window("layout_wide", (1440, 900), |session| async move {
        let browser = &session.client;
        for (width, height) in [(1440, 900), (1024, 768)] {
            browser.set_window_size(width, height).await.unwrap();
            goto_event(browser, &app, &event_id).await;
            open_history(browser, 3).await;
            click(browser, &format!("[data-session-id='{long}'] .session-open")).await;
            until(browser, "the long chat", "document.querySelectorAll('.message').length === 24").await;
            assert_eq!(js(browser, "document.querySelector('.history').hidden").await, json!(false), "{width}: the list stays open beside");
            let list = rect(browser, ".history").await;
            let conversation = rect(browser, ".conversation").await;
            assert!(list[2] <= conversation[0] + 0.5, "{width}: list {list:?} overlaps conversation {conversation:?}");
            assert!(conversation[2] - conversation[0] >= 300.0, "{width}: conversation only {conversation:?}");
            for css in ["#question", ".composer button[type=submit]"] {
                assert!(uncovered(browser, css).await, "{width}: {css} is covered");
            }
            // The header names the event and the open chat; long titles end in an ellipsis
            // and are whole in the title (hover) and the text (screen readers).
            let context = texts(browser, ".panel-context span").await;
            assert_eq!(context[0], "Western States 100-Mile Endurance Run, Olympic Valley to Auburn");
            assert!(context[1].starts_with("How should I pace the canyons"), "{context:?}");
            let title = format!("[data-session-id='{long}'] .session-title");
            assert_eq!(js(browser, &format!("(e => e.scrollWidth > e.clientWidth && getComputedStyle(e).textOverflow)(document.querySelector({title:?}))")).await, json!("ellipsis"));
            assert_eq!(js(browser, "document.querySelector('.history-list').scrollWidth <= document.querySelector('.history-list').clientWidth").await, json!(true), "{width}: the list scrolls sideways");
            let row = rect(browser, &format!("[data-session-id='{long}']")).await;
            let delete = rect(browser, &format!("[data-session-id='{long}'] .session-delete")).await;
            assert!(delete[0] >= row[0] && delete[2] <= list[2], "{width}: delete {delete:?} outside the list {list:?}");
            save_screenshot(browser, &format!("layout-{width}-history-open")).await;
            // The question box works with the list open.
            click(browser, "#question").await;
            assert!(focused(browser, "#question").await);
        }
    })
    .await;
}

#[tokio::test]
async fn on_a_phone_the_chat_comes_first_and_the_chat_list_covers_only_what_it_makes_unreachable() {
    let app = spawn_app().await;
    let (event_id, long) = seed_long_chat(&app).await;
    with_window("layout_phone", (375, 812), |session| async move {
        let browser = &session.client;
        // A touch screen: no hover to reveal anything.
        session.devtools("Emulation.setTouchEmulationEnabled", json!({"enabled": true, "maxTouchPoints": 5})).await;
        goto_event(browser, &app, &event_id).await;
        // The assistant comes right after the event's name, before the waypoints.
        let panel = rect(browser, ".assistant-panel").await;
        let details = rect(browser, ".event-details").await;
        assert!(panel[1] < 300.0 && panel[3] <= details[1], "panel {panel:?}, waypoints {details:?}");
        assert_eq!(js(browser, "document.documentElement.scrollWidth <= innerWidth").await, json!(true));
        // One tap from the top: the skip link (the first thing focused) lands in the question box.
        press(browser, &[TAB]).await;
        assert!(focused(browser, ".skip-link").await, "{}", focus_name(browser).await);
        press(browser, &[RETURN]).await;
        assert!(focused(browser, "#question").await, "{}", focus_name(browser).await);
        assert!(uncovered(browser, "#question").await);

        open_history(browser, 3).await;
        // The list, not the filter, has the focus: no keyboard pops up.
        assert!(!focused(browser, "input[type=search]").await, "{}", focus_name(browser).await);
        // Delete is visible on every row; what the list covers cannot be reached.
        assert_eq!(js(browser, "matchMedia('(hover: none)').matches").await, json!(true));
        assert_eq!(js(browser, "[...document.querySelectorAll('.session-delete')].every(b => { const r = b.getBoundingClientRect(); return r.width > 0 && r.right <= innerWidth && getComputedStyle(b).opacity === '1'; })").await, json!(true));
        assert_eq!(js(browser, "document.querySelector('.conversation').inert").await, json!(true));
        save_screenshot(browser, "layout-375-history-open").await;
        click(browser, &format!("[data-session-id='{long}'] .session-open")).await;
        until(browser, "the chat, the list closed", "document.querySelectorAll('.message').length === 24 && document.querySelector('.history').hidden").await;
        assert_eq!(js(browser, "document.querySelector('.conversation').inert").await, json!(false));
        assert!(focused(browser, "#question").await, "{}", focus_name(browser).await);
        save_screenshot(browser, "layout-375-chat").await;
    })
    .await;
}

#[tokio::test]
async fn keyboard_alone_asks_opens_history_picks_a_chat_and_deletes_one() {
    let app = spawn_app().await;
    let event = app.create_event("Hardrock 100").await;
    let event_id = event["id"].as_str().unwrap().to_owned();
    let old = seed_chats(&app, &event_id, &["Altitude plan?", "Poles or no poles?"]).await;
    with_browser("keyboard", |browser| async move {
        goto_event(&browser, &app, &event_id).await;
        // The skip link is the first stop, and goes to the question box.
        press(&browser, &[TAB]).await;
        assert!(focused(&browser, ".skip-link").await, "{}", focus_name(&browser).await);
        press(&browser, &[RETURN]).await;
        assert!(focused(&browser, "#question").await, "{}", focus_name(&browser).await);

        browser.active_element().await.unwrap().send_keys("How do I pace the climbs?").await.unwrap();
        press(&browser, &[RETURN]).await;
        until(&browser, "the answer", &format!("document.querySelector('.message.assistant:not(.generating) .body')?.textContent === {FULL_ANSWER:?}")).await;
        assert!(focused(&browser, "#question").await, "after the answer: {}", focus_name(&browser).await);
        // The answer is announced once, whole.
        assert_eq!(js(&browser, "document.querySelector('.assistant-panel .sr-only[role=status]').textContent").await, json!(format!("The assistant answered: {FULL_ANSWER}")));

        // History: the list takes the focus, on the open chat.
        tab_to(&browser, &[SHIFT, TAB], "button.history-toggle", 8).await;
        press(&browser, &[RETURN]).await;
        until(&browser, "three chats", "document.querySelectorAll('.history .session').length === 3").await;
        until(&browser, "the focus on the open chat", "document.activeElement.matches('.session.active .session-open')").await;

        // Pick an older chat: its messages, and the focus back in the question box.
        tab_to(&browser, &[TAB], &format!("[data-session-id='{}'] .session-open", old[0]), 8).await;
        press(&browser, &[RETURN]).await;
        until(&browser, "the old chat", "document.querySelector('.message.user')?.textContent === 'Altitude plan?'").await;
        assert!(focused(&browser, "#question").await, "after picking: {}", focus_name(&browser).await);

        // Delete it: the focus goes to the row that took its place.
        tab_to(&browser, &[SHIFT, TAB], &format!("[data-session-id='{}'] .session-delete", old[0]), 16).await;
        press(&browser, &[RETURN]).await;
        browser.accept_alert().await.unwrap();
        until(&browser, "the deletion", &format!("!document.querySelector(\"[data-session-id='{}']\")", old[0])).await;
        assert!(focused(&browser, ".session-open").await, "after deleting: {}", focus_name(&browser).await);
        assert_eq!(app.db.count(&format!("SELECT count(*) AS n FROM chat_sessions WHERE id = '{}'", old[0])).await, 0);

        // Escape closes the list and gives the focus back to the button that opened it.
        press(&browser, &[ESC]).await;
        until(&browser, "the list to close", "document.querySelector('.history').hidden").await;
        assert!(focused(&browser, "button.history-toggle").await, "after Escape: {}", focus_name(&browser).await);
        // The focus ring is drawn, in the accent colour (at least 3:1 on the page).
        let ring = js(&browser, "(s => [s.outlineStyle, s.outlineWidth, s.outlineColor])(getComputedStyle(document.activeElement))").await;
        assert_eq!(ring, json!(["solid", "3px", "rgb(47, 111, 79)"]));
    })
    .await;
}

#[tokio::test]
async fn messages_are_labelled_by_author_and_the_stream_is_announced_once() {
    let app = spawn_app_answering(Behavior::slow_answer(&["One ", "two ", "three."], 200)).await;
    with_browser("screen_reader", |browser| async move {
        open_event(&browser, &app, "Leadville").await;
        // Counts every change a screen reader would hear from live regions.
        js(&browser, "(() => { window.__spoken = []; const watch = new MutationObserver(() => { for (const r of document.querySelectorAll('[aria-live], [role=status], [role=log], [role=alert]')) { const t = r.textContent; if (t && window.__spoken[window.__spoken.length - 1] !== t) window.__spoken.push(t); } }); watch.observe(document.body, { subtree: true, childList: true, characterData: true }); })()").await;
        ask(&browser, "Count").await;
        until(&browser, "the answer", "document.querySelector('.message.assistant:not(.generating)')").await;
        assert_eq!(js(&browser, "[...document.querySelectorAll('.message')].map(m => m.getAttribute('aria-label'))").await, json!(["You", "Assistant"]));
        assert_eq!(js(&browser, "document.querySelector('.messages').closest('[aria-live], [role=log]')").await, Value::Null);
        assert_eq!(js(&browser, "window.__spoken").await, json!(["The assistant is answering…", "The assistant answered: One two three."]));
    })
    .await;
}

#[tokio::test]
async fn a_question_sent_offline_stays_in_the_box_with_not_sent_and_retry() {
    let app = spawn_app().await;
    let event = app.create_event("Tor des Géants").await;
    let event_id = event["id"].as_str().unwrap().to_owned();
    with_window("offline", (1280, 900), |session| async move {
        let browser = &session.client;
        goto_event(browser, &app, &event_id).await;
        session.offline(true).await;
        ask(browser, "What about the cold at night?").await;
        until(browser, "not sent", "document.querySelector('.notice:not([hidden])')?.textContent.includes('Not sent')").await;
        assert_eq!(find(browser, "#question").await.prop("value").await.unwrap().as_deref(), Some("What about the cold at night?"));
        assert_eq!(js(browser, "document.querySelectorAll('.message').length").await, json!(0), "no bubble for a question never sent");
        let notice = texts(browser, ".notice").await.join(" ");
        assert!(notice.contains("connection") && !notice.contains("fetch"), "{notice}");
        save_screenshot(browser, "offline-not-sent").await;
        assert_eq!(app.db.count("SELECT count(*) AS n FROM chat_messages").await, 0);

        session.offline(false).await;
        click(browser, ".notice button").await;
        until(browser, "the answer", &format!("document.querySelector('.message.assistant:not(.generating) .body')?.textContent === {FULL_ANSWER:?}")).await;
        assert_eq!(find(browser, "#question").await.prop("value").await.unwrap().as_deref(), Some(""));
        assert_eq!(js(browser, "document.querySelector('.notice').hidden").await, json!(true));
        assert!(focused(browser, "#question").await);
    })
    .await;
}

#[tokio::test]
async fn with_the_model_down_the_answer_says_why_in_few_words_offers_retry_and_shows_no_internals()
{
    let app = spawn_app_with(Behavior::answer(&["unused"]), |settings| {
        // Nothing listens here: the model is down.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        settings.openai.base_url = format!("http://127.0.0.1:{port}/v1");
    })
    .await;
    with_browser("model_down", |browser| async move {
        ask_in_new_event(&browser, &app, "Spartathlon", "Heat plan?").await;
        until(
            &browser,
            "the failure",
            "document.querySelector('.message.assistant.interrupted .note')",
        )
        .await;
        assert!(
            find(&browser, ".message.assistant .note-actions button")
                .await
                .text()
                .await
                .unwrap()
                .contains("Retry")
        );
        let page = js(&browser, "document.body.innerText").await;
        let page = page.as_str().unwrap();
        for internal in [
            "http://",
            "127.0.0.1",
            "/v1",
            "OPENAI",
            "error sending request",
        ] {
            assert!(
                !page.contains(internal),
                "the page shows {internal:?}: {page}"
            );
        }
        save_screenshot(&browser, "model-down").await;
    })
    .await;
}

#[tokio::test]
async fn the_remembered_chat_is_restored_without_the_empty_prompt_or_an_early_send() {
    let app = spawn_app().await;
    let (event_id, long) = seed_long_chat(&app).await;
    with_window("restore", (1280, 900), |session| async move {
        let browser = &session.client;
        remember_chat(browser, &app, &event_id, &long).await;
        // Notes what the page showed before the chat was on screen, from its first script on.
        session
            .devtools(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({"source": "window.__seen = new Set(); new MutationObserver(() => { if (document.querySelector('.message')) return; if (document.querySelector('.empty-chat')) window.__seen.add('empty prompt'); const send = document.querySelector('.composer button[type=submit]'); if (send && !send.disabled) window.__seen.add('send enabled'); if (document.querySelector('.messages .loading')) window.__seen.add('loading'); }).observe(document, { childList: true, subtree: true, attributes: true });"}),
            )
            .await;
        session.network(Network::SLOW_4G).await;
        browser.goto(&app.url(&format!("/events/{event_id}"))).await.unwrap();
        until(browser, "the long chat", "document.querySelectorAll('.message').length === 24").await;
        assert_eq!(js(browser, "[...window.__seen]").await, json!(["loading"]));
        assert_eq!(js(browser, "document.querySelector('.composer button[type=submit]').disabled").await, json!(false));
    })
    .await;
}

#[tokio::test]
async fn static_files_come_compressed_in_parallel_and_from_the_cache_the_second_time() {
    let app = spawn_app().await;
    let event = app.create_event("Lavaredo").await;
    let event_id = event["id"].as_str().unwrap().to_owned();
    with_window("loads", (1280, 900), |session| async move {
        let browser = &session.client;
        session.network(Network::SLOW_4G).await;
        let page = app.url(&format!("/events/{event_id}"));
        browser.goto(&page).await.unwrap();
        find(browser, "#question").await;
        until(browser, "the waypoints", "!document.querySelector('.waypoints[aria-busy]')").await;
        let entries = "performance.getEntriesByType('resource').map(r => ({ name: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd, transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize }))";
        let cold: Vec<Value> = serde_json::from_value(js(browser, entries).await).unwrap();
        let modules: Vec<&Value> = cold.iter().filter(|r| r["name"].as_str().unwrap().ends_with("js")).collect();
        assert_eq!(modules.len(), 10, "{cold:#?}");
        for module in &modules {
            assert!(module["encoded"].as_f64() < module["decoded"].as_f64(), "not compressed: {module}");
        }
        // Every module is asked for before the first one has arrived (none waits on another) ...
        let first_end = modules.iter().map(|m| m["end"].as_f64().unwrap()).fold(f64::MAX, f64::min);
        assert!(modules.iter().all(|m| m["start"].as_f64().unwrap() < first_end), "{modules:#?}");
        // ... and the event is asked for before the last module has arrived.
        let last_end = modules.iter().map(|m| m["end"].as_f64().unwrap()).fold(0.0, f64::max);
        let api = cold.iter().find(|r| r["name"] == json!(format!("/api/events/{event_id}"))).unwrap();
        assert!(api["start"].as_f64().unwrap() < last_end, "{api} after {last_end}");

        // Again: every static file comes from the browser's cache, nothing over the network.
        browser.goto(&app.url("/api/healthz")).await.unwrap();
        browser.goto(&page).await.unwrap();
        find(browser, "#question").await;
        until(browser, "the waypoints", "!document.querySelector('.waypoints[aria-busy]')").await;
        let warm: Vec<Value> = serde_json::from_value(js(browser, entries).await).unwrap();
        let fetched: Vec<&Value> = warm.iter().filter(|r| r["name"].as_str().unwrap().starts_with("/static/") && r["transfer"].as_f64() != Some(0.0)).collect();
        assert!(fetched.is_empty(), "{fetched:#?}");
    })
    .await;
}
