//! Page loads as a runner's browser sees them: headless Chromium opens the events list and
//! an event page whose remembered chat (the seeded 200 messages) is restored, with an empty
//! cache (cold) and again with the cache of the first visit (warm), over loopback and over
//! a slow phone network. Reads first contentful paint, the time until the page shows its
//! data, and the bytes and requests it took, from the page's own performance entries.

use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};
use test_support::browser::{Network, Session};

/// Loads of each page, cold and warm; the median is reported.
const LOADS: usize = 5;

#[derive(Serialize)]
pub struct PageLoad {
    pub page: String,
    pub network: String,
    pub cache: String,
    pub fcp_ms: f64,
    pub ready_ms: f64,
    pub kib: f64,
    pub requests: f64,
}

/// Runs before any script of each page: notes when the events list, and when the whole
/// remembered chat, first appear.
fn observer(messages: usize) -> String {
    format!(
        "window.__ready = {{}};
         new MutationObserver(() => {{
           const now = performance.now();
           if (!window.__ready.events && document.querySelector('.event-item')) window.__ready.events = now;
           if (!window.__ready.chat && document.querySelectorAll('.message').length >= {messages}) window.__ready.chat = now;
         }}).observe(document, {{ childList: true, subtree: true }});"
    )
}

/// What the page measured of its last load.
const READ: &str = "(() => {
    const navigation = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource');
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    return {
        fcp: paint ? paint.startTime : null,
        bytes: resources.reduce((sum, r) => sum + r.transferSize, navigation.transferSize),
        requests: 1 + resources.length,
        ready: window.__ready,
    };
})()";

struct Page {
    name: &'static str,
    path: String,
    ready: &'static str,
}

pub async fn run(
    base: &str,
    event: &str,
    chat: &str,
    messages: usize,
) -> anyhow::Result<Vec<PageLoad>> {
    let pages = [
        Page {
            name: "events list",
            path: "/".to_owned(),
            ready: "events",
        },
        Page {
            name: "event + restored chat",
            path: format!("/events/{event}"),
            ready: "chat",
        },
    ];
    let mut rows = Vec::new();
    for (network_name, network) in [
        ("loopback", Network::UNLIMITED),
        ("slow 4G", Network::SLOW_4G),
    ] {
        for page in &pages {
            let mut cold = Vec::new();
            let mut warm = Vec::new();
            for _ in 0..LOADS {
                let session = Session::start(1440, 900)
                    .await
                    .context("chromedriver not found: apt-get install chromium chromium-driver")?;
                session
                    .devtools(
                        "Page.addScriptToEvaluateOnNewDocument",
                        json!({"source": observer(messages)}),
                    )
                    .await;
                // Remember the chat as the app does, from a page that loads none of the app.
                session.client.goto(&format!("{base}/api/healthz")).await?;
                session
                    .client
                    .execute(
                        &format!("localStorage.setItem('chat_session_{event}', '{chat}')"),
                        vec![],
                    )
                    .await?;
                session.network(network).await;
                cold.push(load(&session, base, page).await?);
                warm.push(load(&session, base, page).await?);
                session.client.close().await?;
            }
            for (cache, samples) in [("cold", cold), ("warm", warm)] {
                let row = median(page.name, network_name, cache, &samples);
                print_row(&row);
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

/// One load of `page`: its measures once it shows its data.
async fn load(session: &Session, base: &str, page: &Page) -> anyhow::Result<[f64; 4]> {
    session.client.goto(&format!("{base}{}", page.path)).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let seen = session
            .client
            .execute(&format!("return {READ};"), vec![])
            .await?;
        if let (Some(fcp), Some(ready)) = (seen["fcp"].as_f64(), seen["ready"][page.ready].as_f64())
        {
            let number = |v: &Value| v.as_f64().unwrap_or_default();
            return Ok([
                fcp,
                ready,
                number(&seen["bytes"]) / 1024.0,
                number(&seen["requests"]),
            ]);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{} did not show its data: {seen}",
            page.name
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn median(page: &str, network: &str, cache: &str, samples: &[[f64; 4]]) -> PageLoad {
    let at = |i: usize| {
        let mut values: Vec<f64> = samples.iter().map(|s| s[i]).collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or_default()
    };
    PageLoad {
        page: page.to_owned(),
        network: network.to_owned(),
        cache: cache.to_owned(),
        fcp_ms: at(0),
        ready_ms: at(1),
        kib: at(2),
        requests: at(3),
    }
}

pub fn print_header() {
    println!(
        "{:<24} {:<9} {:<5} {:>8} {:>9} {:>8} {:>8}",
        "page load (median of 5)", "network", "cache", "FCP ms", "ready ms", "KiB", "requests"
    );
}

fn print_row(row: &PageLoad) {
    println!(
        "{:<24} {:<9} {:<5} {:>8.0} {:>9.0} {:>8.1} {:>8.0}",
        row.page, row.network, row.cache, row.fcp_ms, row.ready_ms, row.kib, row.requests
    );
}
