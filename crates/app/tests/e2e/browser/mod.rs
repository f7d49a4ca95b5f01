//! The web UI in a real headless Chromium (Debian's chromium + chromium-driver), driven over
//! WebDriver against the real app, a real PostgreSQL and the fake model. Each test saves a
//! screenshot under target/browser-screenshots when it fails; a few also save the pictures
//! that show a person what the UI looks like.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};
use test_support::fake_openai::Behavior;
use tokio::sync::Semaphore;

use test_support::app::{
    TestApp, assert_contains_all, spawn_app, spawn_app_answering, spawn_app_saving_each_piece,
    spawn_app_with,
};
use test_support::browser::Session;

mod event_page;
mod memory;
mod organize;
mod search;
mod transfer;
mod usage;

const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
/// Enter, as a key to press (rather than text to type).
const RETURN: char = '\u{E007}';
const SHIFT_ENTER: &str = "\u{E008}\u{E007}\u{E008}";
const WAIT: Duration = Duration::from_secs(15);

/// Chromium is heavy on two cores: a few sessions at a time.
static SESSIONS: Semaphore = Semaphore::const_new(2);

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn save_screenshot(browser: &Client, name: &str) -> PathBuf {
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, browser.screenshot().await.unwrap()).unwrap();
    path
}

/// Runs `test` with a fresh browser session (its own profile, so its own localStorage);
/// on failure saves a screenshot named after the test, then fails.
async fn with_browser<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()>,
{
    with_window(name, (1280, 900), |session| test(session.client.clone())).await;
}

/// [`with_browser`] with a window of `size`, giving the test the whole session (for its
/// DevTools: dark mode, going offline).
async fn with_window<F, Fut>(name: &str, (width, height): (u32, u32), test: F)
where
    F: FnOnce(Rc<Session>) -> Fut,
    Fut: Future<Output = ()>,
{
    let _slot = SESSIONS.acquire().await.unwrap();
    let Some(session) = Session::start(width, height).await else {
        // CI installs the browser, so there a missing one is a failure, never a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "chromedriver not found: install chromium and chromium-driver"
        );
        eprintln!(
            "SKIPPED browser test {name}: chromedriver not found (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let session = Rc::new(session);
    let browser = session.client.clone();
    let outcome = AssertUnwindSafe(test(session.clone())).catch_unwind().await;
    if outcome.is_err() {
        let path = save_screenshot(&browser, &format!("failed-{name}")).await;
        eprintln!("screenshot of the failure: {}", path.display());
    }
    let _ = browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Presses `keys` together (then lets them go) on whatever has the focus, as a keyboard does.
async fn press(browser: &Client, keys: &[char]) {
    let mut actions = KeyActions::new("keyboard".into());
    for &key in keys {
        actions = actions.then(KeyAction::Down { value: key });
    }
    for &key in keys.iter().rev() {
        actions = actions.then(KeyAction::Up { value: key });
    }
    browser.perform_actions(actions).await.unwrap();
}

async fn find(browser: &Client, css: &str) -> Element {
    browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
}

async fn type_into(browser: &Client, css: &str, text: &str) {
    find(browser, css)
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
}

async fn click(browser: &Client, css: &str) {
    find(browser, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

/// Waits until the JavaScript expression is truthy.
async fn until(browser: &Client, what: &str, expression: &str) {
    let script = format!("return Boolean({expression});");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if browser.execute(&script, vec![]).await.unwrap() == Value::Bool(true) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn js(browser: &Client, expression: &str) -> Value {
    browser
        .execute(&format!("return {expression};"), vec![])
        .await
        .unwrap()
}

async fn texts(browser: &Client, css: &str) -> Vec<String> {
    let script =
        format!("return [...document.querySelectorAll({css:?})].map(e => e.textContent.trim());");
    serde_json::from_value(browser.execute(&script, vec![]).await.unwrap()).unwrap()
}

async fn open_event(browser: &Client, app: &TestApp, name: &str) -> String {
    let event = app.create_event(name).await;
    let id = event["id"].as_str().unwrap().to_owned();
    goto_event(browser, app, &id).await;
    id
}

/// Opens an event's page and waits until a question can be typed.
async fn goto_event(browser: &Client, app: &TestApp, id: &dyn std::fmt::Display) {
    browser
        .goto(&app.url(&format!("/events/{id}")))
        .await
        .unwrap();
    find(browser, "#question").await;
}

/// Makes `session_id` the chat the event's page opens (as if it had been open before).
async fn remember_chat(browser: &Client, app: &TestApp, event_id: &str, session_id: &str) {
    browser.goto(&app.url("/api/healthz")).await.unwrap();
    js(
        browser,
        &format!("localStorage.setItem('chat_session_{event_id}', '{session_id}')"),
    )
    .await;
}

/// Opens the event's page on its remembered chat and waits for its `messages`.
async fn goto_chat(browser: &Client, app: &TestApp, event_id: &str, messages: usize) {
    goto_event(browser, app, &event_id).await;
    let expression = format!("document.querySelectorAll('.message').length === {messages}");
    until(browser, &format!("{messages} messages"), &expression).await;
}

/// Opens the History list and waits for its `rows` chats.
async fn open_history(browser: &Client, rows: usize) {
    click(browser, "button.history-toggle").await;
    let expression = format!("document.querySelectorAll('.history .session').length === {rows}");
    until(browser, &format!("{rows} chats in History"), &expression).await;
}

/// Creates an event, opens its page and asks `question` there.
async fn ask_in_new_event(browser: &Client, app: &TestApp, event: &str, question: &str) {
    open_event(browser, app, event).await;
    ask(browser, question).await;
}

async fn ask(browser: &Client, question: &str) {
    let input = find(browser, ".assistant-panel textarea").await;
    input.send_keys(question).await.unwrap();
    input.send_keys(ENTER).await.unwrap();
}

const FULL_ANSWER: &str = "Start easy, then hold on.";

#[tokio::test]
async fn events_are_listed_created_and_deleted_from_the_events_page() {
    let app = spawn_app().await;
    app.create_event("Hardrock 100").await;
    with_browser("events_page", |browser| async move {
        browser.goto(&app.url("/")).await.unwrap();
        until(
            &browser,
            "the event list",
            "document.querySelectorAll('.event-item').length === 1",
        )
        .await;
        type_into(&browser, "input[name=name]", "Western States 100").await;
        type_into(&browser, "input[name=distance]", "100.2").await;
        type_into(&browser, "input[name=target_hours]", "24").await;
        click(&browser, ".create-event button[type=submit]").await;
        until(
            &browser,
            "the new event",
            "document.querySelectorAll('.event-item').length === 2",
        )
        .await;
        let items = texts(&browser, ".event-item h2").await;
        assert!(
            items.contains(&"Western States 100".to_owned()),
            "{items:?}"
        );
        assert!(
            texts(&browser, ".event-item p")
                .await
                .iter()
                .any(|t| t.contains("100.2 mi"))
        );
        save_screenshot(&browser, "events-list").await;

        click(&browser, "button[aria-label='Delete event Hardrock 100']").await;
        assert!(
            browser
                .get_alert_text()
                .await
                .unwrap()
                .contains("Hardrock 100")
        );
        browser.accept_alert().await.unwrap();
        until(
            &browser,
            "the deletion",
            "document.querySelectorAll('.event-item').length === 1",
        )
        .await;
        assert_eq!(
            app.db
                .count("SELECT count(*) AS n FROM events WHERE name = 'Hardrock 100'")
                .await,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn a_question_streams_its_answer_which_is_restored_after_a_reload() {
    let app = spawn_app_answering(Behavior::slow_answer(
        &["Start ", "easy, ", "then ", "hold on."],
        150,
    ))
    .await;
    with_browser("streamed_answer", |browser| async move {
        let event_id = open_event(&browser, &app, "Western States 100").await;
        type_into(&browser, "input[name=name]", "Robinson Flat").await;
        type_into(&browser, "input[name=distance_from_start]", "29.7").await;
        click(&browser, ".waypoint-form button[type=submit]").await;
        until(&browser, "the waypoint", "document.querySelectorAll('.waypoint').length === 1").await;

        ask(&browser, "How should I pace the first 30 miles?").await;
        // Mid-stream: part of the answer is on screen while it is still being generated.
        until(&browser, "a partial answer", "document.querySelector('.message.assistant.generating')?.textContent.includes('Start')").await;
        until(&browser, "the whole answer", &format!("document.querySelector('.message.assistant:not(.generating) .body')?.textContent === {FULL_ANSWER:?}")).await;
        assert_eq!(texts(&browser, ".message.user").await, ["How should I pace the first 30 miles?"]);
        save_screenshot(&browser, "event-page-streamed-answer").await;

        let stored = js(&browser, &format!("localStorage.getItem('chat_session_{event_id}')")).await;
        let session_id = stored.as_str().expect("the session is remembered").to_owned();
        assert_eq!(app.session_json(&session_id).await["messages"][1]["content"], FULL_ANSWER);

        browser.refresh().await.unwrap();
        until(&browser, "the restored chat", "document.querySelectorAll('.message').length === 2").await;
        assert_eq!(texts(&browser, ".message.assistant .body").await, [FULL_ANSWER]);
        // Markdown-free text stays text; what the person typed is never interpreted.
        assert_eq!(texts(&browser, ".message.user").await, ["How should I pace the first 30 miles?"]);
    })
    .await;
}

#[tokio::test]
async fn a_reload_in_the_middle_of_an_answer_shows_the_question_then_picks_up_the_stored_answer() {
    let app = spawn_app_saving_each_piece(Behavior::slow_answer(
        &["One ", "two ", "three ", "four."],
        700,
    ))
    .await;
    with_browser("reload_mid_answer", |browser| async move {
        ask_in_new_event(&browser, &app, "UTMB", "Count slowly").await;
        until(&browser, "the second piece", "document.querySelector('.message.assistant')?.textContent.includes('two')").await;
        browser.refresh().await.unwrap();
        until(&browser, "the stored question", "document.querySelector('.message.user')?.textContent === 'Count slowly'").await;
        until(&browser, "the text saved so far, still generating", "document.querySelector('.message.assistant.generating')?.textContent.startsWith('One')").await;
        until(&browser, "the answer, once stored", "document.querySelector('.message.assistant:not(.generating) .body')?.textContent === 'One two three four.'").await;
    })
    .await;
}

#[tokio::test]
async fn the_stop_button_stops_an_answer_which_keeps_its_text_as_stopped() {
    let app = spawn_app_answering(Behavior::slow_answer(&["tick "; 60], 100)).await;
    with_browser("stop", |browser| async move {
        ask_in_new_event(&browser, &app, "Western States", "Count for a while").await;
        until(
            &browser,
            "some text",
            "document.querySelector('.message.assistant')?.textContent.includes('tick tick')",
        )
        .await;
        click(&browser, ".composer button.stop").await;
        until(
            &browser,
            "the stopped note",
            "document.querySelector('.message.assistant .note')?.textContent.toLowerCase().includes('stopped')",
        )
        .await;
        assert_eq!(
            js(
                &browser,
                "document.querySelector('.composer button.stop').hidden"
            )
            .await,
            json!(true)
        );
        assert_eq!(
            js(
                &browser,
                "document.querySelector('.composer button[type=submit]').disabled"
            )
            .await,
            json!(false)
        );
        let shown = js(
            &browser,
            "document.querySelector('.message.assistant .body').textContent",
        )
        .await;
        save_screenshot(&browser, "stopped-answer").await;
        // After a reload the stored answer says the same.
        browser.refresh().await.unwrap();
        until(
            &browser,
            "the stored answer",
            "document.querySelector('.message.assistant.interrupted .note')",
        )
        .await;
        assert_eq!(
            js(
                &browser,
                "document.querySelector('.message.assistant .body').textContent"
            )
            .await,
            shown
        );
    })
    .await;
}

async fn seed_chats(app: &TestApp, event_id: &str, questions: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for question in questions {
        let events = app
            .chat_events(&json!({"message": question, "event_id": event_id}))
            .await;
        ids.push(events[0]["session_id"].as_str().unwrap().to_owned());
    }
    ids
}

#[tokio::test]
async fn history_lists_filters_loads_and_deletes_chats_and_new_chat_starts_fresh() {
    let app = spawn_app().await;
    with_browser("history", |browser| async move {
        let event = app.create_event("Badwater 135").await;
        let event_id = event["id"].as_str().unwrap().to_owned();
        let ids = seed_chats(&app, &event_id, &["Heat training plan?", "Crew vehicle checklist", "Heat and salt tablets?"]).await;
        goto_event(&browser, &app, &event_id).await;

        open_history(&browser, 3).await;
        assert_eq!(texts(&browser, ".session-title").await, ["Heat and salt tablets?", "Crew vehicle checklist", "Heat training plan?"]);
        let when = find(&browser, ".session time").await;
        assert_eq!(when.text().await.unwrap(), "just now");
        assert!(when.attr("title").await.unwrap().is_some_and(|t| !t.is_empty()), "exact time on hover");

        type_into(&browser, ".history input[type=search]", "heat").await;
        until(&browser, "the filter", "document.querySelectorAll('.history .session').length === 2").await;
        save_screenshot(&browser, "history-sidebar-filtered").await;

        // Load the oldest chat: its messages appear, it is highlighted and remembered.
        click(&browser, &format!("[data-session-id='{}'] .session-open", ids[0])).await;
        until(&browser, "the old chat", "document.querySelector('.message.user')?.textContent === 'Heat training plan?'").await;
        until(&browser, "the highlight", &format!("document.querySelector('.session.active')?.dataset.sessionId === '{}'", ids[0])).await;
        assert_eq!(js(&browser, &format!("localStorage.getItem('chat_session_{event_id}')")).await, json!(ids[0]));

        // Escape closes the sidebar (and, in the search box, clears the filter).
        type_into(&browser, ".history input[type=search]", ESCAPE).await;
        until(&browser, "the sidebar to close", "document.querySelector('.history').hidden").await;

        // Delete the active chat, after confirming.
        open_history(&browser, 3).await;
        click(&browser, &format!("[data-session-id='{}'] .session-delete", ids[0])).await;
        assert!(browser.get_alert_text().await.unwrap().contains("Heat training plan?"));
        browser.accept_alert().await.unwrap();
        until(&browser, "the deletion", &format!("!document.querySelector(\"[data-session-id='{}']\")", ids[0])).await;
        assert_eq!(js(&browser, &format!("localStorage.getItem('chat_session_{event_id}')")).await, Value::Null);
        assert_eq!(app.db.count(&format!("SELECT count(*) AS n FROM chat_sessions WHERE id = '{}'", ids[0])).await, 0);
        assert_eq!(app.db.count(&format!("SELECT count(*) AS n FROM chat_messages WHERE session_id = '{}'", ids[0])).await, 0);

        // New chat: the panel clears and the next question makes a new session.
        click(&browser, &format!("[data-session-id='{}'] .session-open", ids[1])).await;
        until(&browser, "a chat to load", "document.querySelectorAll('.message').length > 0").await;
        click(&browser, "button.new-chat").await;
        until(&browser, "an empty panel", "document.querySelectorAll('.message').length === 0").await;
        assert_eq!(js(&browser, &format!("localStorage.getItem('chat_session_{event_id}')")).await, Value::Null);
        ask(&browser, "Brand new question").await;
        until(&browser, "the answer", &format!("document.querySelector('.message.assistant:not(.generating) .body')?.textContent === {FULL_ANSWER:?}")).await;
        let remembered = js(&browser, &format!("localStorage.getItem('chat_session_{event_id}')")).await;
        assert!(remembered.as_str().is_some_and(|id| !ids.iter().any(|old| old == id)), "{remembered}");
    })
    .await;
}

#[tokio::test]
async fn a_pinned_chat_goes_to_the_top_of_history_and_stays_there_after_a_reload() {
    let app = spawn_app().await;
    let event = app.create_event("Hardrock").await;
    let event_id = event["id"].as_str().unwrap().to_owned();
    with_browser("pin", |browser| async move {
        let ids = seed_chats(&app, &event_id, &["Oldest", "Middle", "Newest"]).await;
        goto_event(&browser, &app, &event_id).await;
        open_history(&browser, 3).await;
        let pin = format!("[data-session-id='{}'] .session-pin", ids[0]);
        assert_eq!(find(&browser, &pin).await.attr("aria-pressed").await.unwrap().as_deref(), Some("false"));
        click(&browser, &pin).await;
        until(&browser, "the pinned chat on top", &format!("document.querySelector('.history .session')?.dataset.sessionId === '{}'", ids[0])).await;
        assert_eq!(texts(&browser, ".session-title").await, ["Oldest", "Newest", "Middle"]);
        assert_eq!(find(&browser, &pin).await.attr("aria-pressed").await.unwrap().as_deref(), Some("true"));
        save_screenshot(&browser, "history-pinned").await;

        browser.refresh().await.unwrap();
        find(&browser, "#question").await;
        open_history(&browser, 3).await;
        assert_eq!(texts(&browser, ".session-title").await, ["Oldest", "Newest", "Middle"]);
        // Unpinned, it goes back among the newest.
        click(&browser, &pin).await;
        until(&browser, "the old order", &format!("document.querySelector('.history .session:last-child')?.dataset.sessionId === '{}'", ids[0])).await;
        assert_eq!(app.db.count("SELECT count(*) AS n FROM chat_sessions WHERE pinned").await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_remembered_chat_that_no_longer_exists_is_forgotten_silently() {
    let app = spawn_app().await;
    with_browser("stale_session", |browser| async move {
        let event_id = open_event(&browser, &app, "Leadville").await;
        js(
            &browser,
            &format!(
                "localStorage.setItem('chat_session_{event_id}', '{}')",
                uuid::Uuid::new_v4()
            ),
        )
        .await;
        browser.refresh().await.unwrap();
        find(&browser, ".assistant-panel textarea").await;
        until(
            &browser,
            "the stale id to go",
            &format!("localStorage.getItem('chat_session_{event_id}') === null"),
        )
        .await;
        assert_eq!(
            js(&browser, "document.querySelector('.notice').hidden").await,
            json!(true)
        );
        assert_eq!(
            js(&browser, "document.querySelector('.empty-chat') !== null").await,
            json!(true)
        );
    })
    .await;
}

#[tokio::test]
async fn an_upstream_failure_is_shown_with_the_partial_answer_kept() {
    let app = spawn_app_answering(Behavior::ErrorAfter(
        vec!["Drink ".into(), "to thirst".into()],
        "The model crashed".into(),
    ))
    .await;
    with_browser("upstream_error", |browser| async move {
        ask_in_new_event(&browser, &app, "Spartathlon", "How much water?").await;
        until(
            &browser,
            "the error",
            "document.querySelector('.message.assistant .note')?.textContent.includes('stopped partway')",
        )
        .await;
        assert_eq!(
            texts(&browser, ".message.assistant .body").await,
            ["Drink to thirst"]
        );
        save_screenshot(&browser, "upstream-error").await;
        // Retry asks the same question again, in the same chat.
        click(&browser, ".message.assistant .note-actions button").await;
        until(&browser, "the second try", "document.querySelectorAll('.message.assistant .note').length === 2").await;
        assert_eq!(texts(&browser, ".message.user").await, ["How much water?", "How much water?"]);
        assert_eq!(app.db.count("SELECT count(*) AS n FROM chat_sessions").await, 1);
    })
    .await;
}

#[tokio::test]
async fn an_answer_cut_at_the_length_limit_says_so_under_it_also_after_a_reload() {
    let cut = vec!["Walk the climbs, ".into(), "run the".into()];
    let app = spawn_app_answering(Behavior::FinishWith(cut, "length".into())).await;
    with_browser("length_note", |browser| async move {
        ask_in_new_event(&browser, &app, "Lavaredo", "Pacing?").await;
        let note = "document.querySelector('.message.assistant:not(.generating) .note')?.textContent.includes(\"length limit\")";
        until(&browser, "the note", note).await;
        assert_eq!(texts(&browser, ".message.assistant .body").await, ["Walk the climbs, run the"]);
        assert_eq!(js(&browser, "document.querySelector('.message.assistant').classList.contains('interrupted')").await, json!(false));
        browser.refresh().await.unwrap();
        until(&browser, "the note, restored", note).await;
    })
    .await;
}

#[tokio::test]
async fn shift_enter_makes_a_new_line_and_model_markdown_is_rendered_safely() {
    let app = spawn_app_answering(Behavior::answer(&[
        "**Bold** plan:\n\n- walk hills\n- run flats\n\n<img src=x onerror=alert(1)> `code`",
    ]))
    .await;
    with_browser("markdown", |browser| async move {
        open_event(&browser, &app, "Comrades").await;
        let input = find(&browser, ".assistant-panel textarea").await;
        input.send_keys("line one").await.unwrap();
        input.send_keys(SHIFT_ENTER).await.unwrap();
        input.send_keys("line two").await.unwrap();
        assert_eq!(
            input.prop("value").await.unwrap().as_deref(),
            Some("line one\nline two")
        );
        input.send_keys(ENTER).await.unwrap();
        until(
            &browser,
            "the answer",
            "document.querySelector('.message.assistant:not(.generating) li')",
        )
        .await;
        let answer = find(&browser, ".message.assistant .body")
            .await
            .html(true)
            .await
            .unwrap();
        assert_contains_all(
            &answer,
            &[
                "<strong>Bold</strong>",
                "<li>walk hills</li>",
                "<code>code</code>",
            ],
        );
        assert!(
            !answer.contains("<img"),
            "model HTML must not become markup: {answer}"
        );
        assert_eq!(
            js(
                &browser,
                "document.querySelectorAll('.message.assistant img').length"
            )
            .await,
            json!(0)
        );
        assert_eq!(
            texts(&browser, ".message.user").await,
            ["line one\nline two"]
        );
    })
    .await;
}

/// Answers a model could give to get script into the page. Each one, if it ran, would set
/// `window.__xss`; none may, and none may leave a tag or attribute that could.
const XSS_CATALOGUE: [&str; 17] = [
    "<script>window.__xss = 1</script>",
    "<img src=x onerror=\"window.__xss = 2\">",
    "[a javascript: link](javascript:window.__xss=3)",
    "[a data: link](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9NDwvc2NyaXB0Pg==)",
    "<a href=\"javascript:window.__xss=5\">a raw link</a>",
    "<svg onload=\"window.__xss = 6\"><circle r=\"1\"></circle></svg>",
    "<iframe src=\"javascript:window.__xss=7\"></iframe>",
    "**bold <img src=y onerror=\"window.__xss = 8\"> around an image**",
    "<div onclick=\"window.__xss = 9\" style=\"position:fixed;inset:0\">a cover</div>",
    "[mixed case](JaVaScRiPt:window.__xss=10)",
    "[entities](&#x6A;avascript:window.__xss=11)",
    "![an image](javascript:window.__xss=12)",
    "<details open ontoggle=\"window.__xss = 13\"><summary>s</summary></details>",
    "- a list item with <b onmouseover=\"window.__xss = 14\">html</b> in it",
    "<javascript:window.__xss=15>",
    "`<img src=z onerror=\"window.__xss = 16\">` in a code span",
    "<form action=\"javascript:window.__xss=17\"><button>go</button></form>",
];

/// Fires every handler an attribute could have installed, then reports what is unsafe in
/// the answer: tags beyond Markdown's, `on…` or `style` attributes, links that are not
/// http(s) or mailto, and whether any payload ran.
const XSS_AUDIT: &str = r#"(() => {
    const body = document.querySelector('.message.assistant .body');
    for (const node of body.querySelectorAll('*')) {
        for (const type of ['error', 'load', 'mouseover', 'toggle', 'focus'].concat(node.tagName === 'A' ? [] : ['click'])) {
            node.dispatchEvent(new Event(type));
        }
    }
    const allowed = new Set(['P', 'BR', 'STRONG', 'EM', 'DEL', 'CODE', 'PRE', 'BLOCKQUOTE', 'HR', 'UL', 'OL', 'LI',
        'H3', 'H4', 'H5', 'H6', 'A', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD']);
    const problems = [];
    for (const node of body.querySelectorAll('*')) {
        if (!allowed.has(node.tagName)) problems.push(`tag ${node.tagName}`);
        for (const attr of node.attributes) {
            if (/^on/i.test(attr.name) || attr.name === 'style') problems.push(`${node.tagName} ${attr.name}`);
        }
        if (node.tagName === 'A' && node.hasAttribute('href') && !/^(https?:|mailto:)/i.test(node.getAttribute('href'))) {
            problems.push(`link ${node.getAttribute('href')}`);
        }
    }
    if (window.__xss !== undefined) problems.push(`payload ${window.__xss} ran`);
    return problems;
})()"#;

#[tokio::test]
async fn no_answer_of_the_xss_catalogue_gets_script_or_markup_into_the_page() {
    let answer = format!(
        "{}\n\nA [real link](https://example.com/pacing) stays.\n",
        XSS_CATALOGUE.join("\n\n")
    );
    let app = spawn_app_answering(Behavior::answer(&[answer.as_str()])).await;
    with_browser("xss", |browser| async move {
        ask_in_new_event(&browser, &app, "Hardrock", "Anything tricky?").await;
        for view in ["streamed", "restored after a reload"] {
            until(
                &browser,
                "the answer",
                "document.querySelector('.message.assistant:not(.generating) a')",
            )
            .await;
            assert_eq!(js(&browser, XSS_AUDIT).await, json!([]), "{view}");
            let text = js(&browser, "document.querySelector('.message.assistant .body').textContent").await;
            let text = text.as_str().unwrap();
            assert!(
                text.contains("<script>window.__xss = 1</script>") && text.contains("onerror="),
                "raw HTML is shown as text ({view}): {text}"
            );
            let link = js(
                &browser,
                "[...document.querySelectorAll('.message.assistant a[href]')].map(a => [a.getAttribute('href'), a.target, a.rel])",
            )
            .await;
            assert_eq!(
                link,
                json!([["https://example.com/pacing", "_blank", "noopener noreferrer"]]),
                "{view}"
            );
            browser.refresh().await.unwrap();
        }
        save_screenshot(&browser, "xss-catalogue").await;
    })
    .await;
}

#[tokio::test]
async fn at_360_pixels_wide_the_event_page_has_no_horizontal_scroll() {
    let app = spawn_app().await;
    with_browser("narrow", |browser| async move {
        browser.set_window_size(360, 740).await.unwrap();
        let event = app.create_event("A very long race name that should wrap nicely on a small phone screen").await;
        let id = event["id"].as_str().unwrap();
        app.post_json("/api/waypoints", &json!({"event_id": id, "name": "Aid station with a long name too", "comments": "Drop bag: socks, lube, headlamp, batteries, jacket"})).await;
        browser.goto(&app.url(&format!("/events/{id}"))).await.unwrap();
        until(&browser, "the waypoint", "document.querySelectorAll('.waypoint').length === 1").await;
        ask(&browser, "Quick tips?").await;
        until(&browser, "the answer", "document.querySelector('.message.assistant:not(.generating)')").await;
        let width = js(&browser, "window.innerWidth").await.as_u64().unwrap();
        assert!(width <= 360, "viewport {width}");
        assert_eq!(js(&browser, "document.documentElement.scrollWidth <= window.innerWidth").await, json!(true));
        browser.execute("document.querySelector('.assistant-panel').scrollIntoView()", vec![]).await.unwrap();
        save_screenshot(&browser, "narrow-360px").await;
        click(&browser, "button.history-toggle").await;
        until(&browser, "the sidebar", "!document.querySelector('.history').hidden").await;
        assert_eq!(js(&browser, "document.documentElement.scrollWidth <= window.innerWidth").await, json!(true));
        save_screenshot(&browser, "narrow-360px-history").await;
    })
    .await;
}

#[tokio::test]
async fn waypoints_are_added_edited_and_deleted_on_the_event_page() {
    let app = spawn_app().await;
    with_browser("waypoints", |browser| async move {
        let event_id = open_event(&browser, &app, "Lavaredo").await;
        type_into(&browser, "input[name=name]", "Cortina").await;
        type_into(&browser, "select[name=waypoint_type]", "food").await;
        type_into(&browser, "input[name=distance_from_start]", "30.5").await;
        type_into(&browser, "input[name=stop_time_minutes]", "10").await;
        type_into(&browser, "input[name=comments]", "Drop bag").await;
        click(&browser, ".waypoint-form button[type=submit]").await;
        until(
            &browser,
            "the waypoint",
            "document.querySelector('.waypoint')?.textContent.includes('mile 30.5')",
        )
        .await;
        assert!(texts(&browser, ".waypoint").await[0].contains("10 min stop"));

        click(&browser, "button[aria-label='Edit waypoint Cortina']").await;
        let stop = find(&browser, "input[name=stop_time_minutes]").await;
        assert_eq!(stop.prop("value").await.unwrap().as_deref(), Some("10"));
        stop.clear().await.unwrap();
        stop.send_keys("4").await.unwrap();
        click(&browser, ".waypoint-form button[type=submit]").await;
        until(
            &browser,
            "the edit",
            "document.querySelector('.waypoint')?.textContent.includes('4 min stop')",
        )
        .await;
        let stored: Value = app
            .get_json(&format!("/api/events/{event_id}/waypoints"))
            .await;
        assert_eq!(
            (
                stored[0]["stop_time_minutes"].clone(),
                stored[0]["waypoint_type"].clone()
            ),
            (json!(4), json!("food"))
        );

        click(&browser, "button[aria-label='Delete waypoint Cortina']").await;
        browser.accept_alert().await.unwrap();
        until(
            &browser,
            "the deletion",
            "document.querySelectorAll('.waypoint').length === 0",
        )
        .await;
        assert_eq!(app.db.count("SELECT count(*) AS n FROM waypoints").await, 0);
    })
    .await;
}
