//! The Usage view, for an event and for all events: totals, the share of interrupted
//! answers, the chart and tokens per model, light and dark, with axe-core's audit.

use super::event_page::{audit, axe_source};
use super::*;

async fn show_all_time(browser: &Client) {
    until(
        browser,
        "the view",
        "document.querySelector('.usage-totals') !== null",
    )
    .await;
    browser
        .execute("const s = document.querySelector('select[name=range]'); s.value = 'all'; s.dispatchEvent(new Event('change')); return true;", vec![])
        .await
        .unwrap();
    until(browser, "the chart", "document.querySelector('.usage-chart') !== null && !document.querySelector('.usage-body[aria-busy]')").await;
}

/// The totals as `label: value` lines.
async fn totals(browser: &Client) -> Vec<String> {
    let value = js(browser, "[...document.querySelectorAll('.usage-total')].map(t => t.querySelector('dt').textContent + ': ' + t.querySelector('dd').textContent)").await;
    serde_json::from_value(value).unwrap()
}

#[tokio::test]
async fn the_usage_view_shows_an_events_totals_chart_and_models_and_all_events() {
    let (app, western) = crate::stats::seeded().await;
    with_window("usage", (1000, 900), |session| async move {
        let browser = session.client.clone();
        goto_event(&browser, &app, &western).await;
        click(&browser, ".event-links a[href$='/usage']").await;
        until(&browser, "the event's usage page", &format!("location.pathname === '/events/{western}/usage'")).await;
        show_all_time(&browser).await;
        assert_eq!(texts(&browser, "h1").await, ["Usage · Western States"]);
        assert_eq!(
            totals(&browser).await,
            [
                "Chats started: 2",
                "Questions: 3",
                "Answers: 3",
                "Interrupted: 33% (1)",
                "Tokens: 180",
                "Median first text: 400 ms",
                "Median answer time: 2.0 s",
            ]
        );
        // 2 to 10 November: a bar a day, the empty ones flat.
        assert_eq!(js(&browser, "document.querySelectorAll('.usage-chart .bar').length").await, json!(9));
        assert_eq!(js(&browser, "document.querySelectorAll('.usage-chart .bar[height=\"0\"]').length").await, json!(6));
        assert_eq!(texts(&browser, ".usage-models tbody th").await, ["gpt-a", "gpt-b"]);
        save_screenshot(&browser, "usage").await;
        if let Some(axe) = axe_source() {
            assert_eq!(audit(&browser, &axe).await, Vec::<Value>::new(), "light");
            session.prefer_dark(true).await;
            assert_eq!(audit(&browser, &axe).await, Vec::<Value>::new(), "dark");
            save_screenshot(&browser, "usage-dark").await;
            session.prefer_dark(false).await;
        }

        // By week: two points.
        browser
            .execute("const s = document.querySelector('select[name=bucket]'); s.value = 'week'; s.dispatchEvent(new Event('change')); return true;", vec![])
            .await
            .unwrap();
        until(&browser, "two weeks", "document.querySelectorAll('.usage-chart .bar').length === 2").await;

        // All events, from the events page.
        browser.goto(&app.url("/")).await.unwrap();
        click(&browser, ".page-head a[href='/usage']").await;
        show_all_time(&browser).await;
        assert_eq!(texts(&browser, "h1").await, ["Usage · all events"]);
        assert!(totals(&browser).await.contains(&"Questions: 4".to_owned()));

    })
    .await;
}
