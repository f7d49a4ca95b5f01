//! Export and import at size: one chat of 10,000 messages in each format, 100,000 messages
//! of 100 chats as one JSON file and as a ZIP, and a ChatGPT export of 50 MiB imported. Each
//! runs on an app process of its own, so its peak resident memory is that operation's.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::env::{App, Database, memory_mib};

#[derive(Serialize)]
pub struct TransferRow {
    pub scenario: String,
    /// The median of the runs.
    pub seconds: f64,
    pub bytes: usize,
    pub rss_start_mib: f64,
    pub rss_peak_mib: f64,
}

fn print(row: &TransferRow) {
    println!(
        "{:<40} {:>8.3} s {:>9.1} MiB   RSS {:>6.1} -> peak {:>6.1} MiB",
        row.scenario,
        row.seconds,
        row.bytes as f64 / 1_048_576.0,
        row.rss_start_mib,
        row.rss_peak_mib
    );
}

/// `chats` chats of `messages` messages each (questions and answers of about 300
/// characters) in a new event; returns the event's id and the first chat's.
fn seed(
    db: &Database,
    name: &str,
    chats: usize,
    messages: usize,
) -> anyhow::Result<(String, String)> {
    let event = db.psql(&format!(
        "INSERT INTO events (id, name) VALUES (gen_random_uuid(), '{name}') RETURNING id"
    ))?;
    db.psql(&format!(
        "INSERT INTO chat_sessions (id, event_id, title, created_at, updated_at) \
         SELECT gen_random_uuid(), '{event}', 'Transfer chat ' || c, now(), now() + c * interval '1 second' \
         FROM generate_series(1, {chats}) AS c"
    ))?;
    db.psql(&format!(
        "INSERT INTO chat_messages (id, session_id, event_id, role, content, status, created_at) \
         SELECT gen_random_uuid(), s.id, s.event_id, CASE WHEN m % 2 = 0 THEN 'user' ELSE 'assistant' END, \
                'Message ' || m || ': keep the effort easy on the first climb, eat every 30 minutes, \
                 drink to thirst, and walk the steep pitches — Col Arp, Foresthill, Champex. ' || \
                repeat('Steady. ', 20), \
                'complete', s.created_at + m * interval '1 millisecond' \
         FROM chat_sessions s, generate_series(0, {messages} - 1) AS m WHERE s.event_id = '{event}'"
    ))?;
    let first = db.psql(&format!(
        "SELECT id FROM chat_sessions WHERE event_id = '{event}' ORDER BY updated_at LIMIT 1"
    ))?;
    Ok((event, first))
}

/// A ChatGPT `conversations.json` of about `bytes`: conversations of 20 messages in a line.
fn chatgpt_export(bytes: usize) -> Vec<u8> {
    let text = "Keep the effort easy on the first climb and eat every thirty minutes. ".repeat(8);
    let mut conversations = Vec::new();
    let mut size = 0;
    let mut n = 0;
    loop {
        let mut mapping = serde_json::Map::new();
        mapping.insert(
            "root".into(),
            json!({"id": "root", "message": null, "parent": null, "children": ["m0"]}),
        );
        for m in 0..20 {
            let role = if m % 2 == 0 { "user" } else { "assistant" };
            let parent = if m == 0 {
                "root".to_owned()
            } else {
                format!("m{}", m - 1)
            };
            let children: Vec<String> = if m < 19 {
                vec![format!("m{}", m + 1)]
            } else {
                Vec::new()
            };
            mapping.insert(
                format!("m{m}"),
                json!({"id": format!("m{m}"), "parent": parent, "children": children, "message": {
                    "id": format!("m{m}"), "author": {"role": role}, "create_time": 1_743_490_800 + n * 100 + m,
                    "content": {"content_type": "text", "parts": [format!("{m}: {text}")]},
                    "metadata": {"model_slug": "gpt-4o"}, "recipient": "all"}}),
            );
        }
        let conversation = json!({"title": format!("Conversation {n}"), "id": format!("conv-{n}"),
            "create_time": 1_743_490_800 + n * 100, "current_node": "m19", "mapping": Value::Object(mapping)});
        // Up to `bytes`, the array's brackets and commas included.
        let next = conversation.to_string().len() + 1;
        if size + next + 2 > bytes {
            break;
        }
        size += next;
        conversations.push(conversation);
        n += 1;
    }
    serde_json::to_vec(&conversations).unwrap_or_default()
}

/// Runs `request` `runs` times on a fresh app; the median time, the size of what came back
/// (or was sent), and the app's memory at the start and at its peak.
async fn measure<F, Fut>(
    binary: &Path,
    db: &Database,
    model_url: &str,
    scenario: &str,
    runs: usize,
    request: F,
) -> anyhow::Result<TransferRow>
where
    F: Fn(reqwest::Client, String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let mut app = App::start(binary, &db.url(), model_url).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (rss_start_mib, _) = memory_mib(app.pid());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..runs {
        let began = Instant::now();
        bytes = request(client.clone(), app.base.clone()).await?;
        times.push(began.elapsed().as_secs_f64());
    }
    let (_, rss_peak_mib) = memory_mib(app.pid());
    app.stop();
    times.sort_by(f64::total_cmp);
    let row = TransferRow {
        scenario: scenario.to_owned(),
        seconds: times[times.len() / 2],
        bytes,
        rss_start_mib,
        rss_peak_mib,
    };
    print(&row);
    Ok(row)
}

async fn download(client: reqwest::Client, url: String) -> anyhow::Result<usize> {
    let response = client.get(url).send().await?.error_for_status()?;
    Ok(response.bytes().await?.len())
}

pub async fn run(
    binary: &Path,
    db: &Database,
    model_url: &str,
    quick: bool,
) -> anyhow::Result<Vec<TransferRow>> {
    let (one_chat, many) = if quick {
        (2_000, (20, 1_000))
    } else {
        (10_000, (100, 1_000))
    };
    let import_bytes = if quick { 5 << 20 } else { 50 << 20 };
    let (_, long) = seed(db, "Transfer, one long chat", 1, one_chat)?;
    let (event, _) = seed(db, "Transfer, many chats", many.0, many.1)?;
    println!(
        "\nexport and import (a fresh app each; median of 3 runs, the import once)\n{:<40} {:>10} {:>13}   memory",
        "scenario", "time", "size"
    );
    let mut rows = Vec::new();
    for format in ["md", "json", "pdf"] {
        let scenario = format!("export {one_chat} messages, {format}");
        let path = format!("/api/chat/sessions/{long}/export?format={format}");
        rows.push(
            measure(binary, db, model_url, &scenario, 3, |c, base| {
                download(c, format!("{base}{path}"))
            })
            .await?,
        );
    }
    for format in ["json", "zip"] {
        let scenario = format!(
            "export {} messages ({} chats), {format}",
            many.0 * many.1,
            many.0
        );
        let path = format!("/api/chat/export?event_id={event}&format={format}");
        rows.push(
            measure(binary, db, model_url, &scenario, 3, |c, base| {
                download(c, format!("{base}{path}"))
            })
            .await?,
        );
    }
    let file = chatgpt_export(import_bytes);
    let scenario = format!("import ChatGPT export of {} MiB", file.len() >> 20);
    rows.push(
        measure(binary, db, model_url, &scenario, 1, |client, base| {
            let file = file.clone();
            async move {
                let sent = file.len();
                let response = client
                    .post(format!("{base}/api/chat/import"))
                    .header("content-type", "application/json")
                    .body(file)
                    .send()
                    .await?
                    .error_for_status()?;
                let summary: Value = response.json().await?;
                anyhow::ensure!(summary["skipped"] == json!([]), "skipped: {summary}");
                Ok(sent)
            }
        })
        .await?,
    );
    Ok(rows)
}
