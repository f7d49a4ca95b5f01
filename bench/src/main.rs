//! `just bench` (`cargo run --release -p aidstation-bench -- [--quick]`): starts a throwaway
//! PostgreSQL, the fake model and the release build of the app, seeds one event with 1,000
//! sessions (one of them with 200 messages), and measures every endpoint next to pgbench
//! running the same statements, then holds thousands of chat streams open at once. Prints
//! one table and writes it as JSON under target/bench/.

// Printing the table is this program's output, not stray debugging.
#![allow(clippy::print_stdout)]

mod env;
mod floor;
mod load;
mod pages;
mod search;
mod transfer;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::Parser;
use serde::Serialize;
use serde_json::json;
use test_support::fake_openai::{Behavior, FakeOpenAi};

use crate::env::{App, Database, Seed};
use crate::floor::FloorResult;
use crate::load::{LoadResult, Sample};

#[derive(Parser)]
#[command(about = "Benchmark aidstation against PostgreSQL's own floor")]
struct Args {
    /// Short runs and 1,000 open streams: finishes in under two minutes.
    #[arg(long)]
    quick: bool,
    /// The app binary to measure (build it with `cargo build --release -p app`).
    #[arg(long, default_value = "target/release/aidstation")]
    app: PathBuf,
    /// Where the JSON report goes.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    /// Open streams to hold at once (default 10,000; 1,000 with --quick).
    #[arg(long)]
    streams: Option<usize>,
    /// Seconds each open stream lasts (one delta a second). By default 30 (10 with --quick)
    /// beyond the ramp's length, so that every stream is open at once for that long.
    #[arg(long)]
    stream_secs: Option<u64>,
    /// New streams opened per second. Each stores its question first, so a burst far above
    /// the database's rate would be refused with 503 after the pool timeout, by design.
    #[arg(long, default_value_t = 1_000)]
    ramp_per_sec: usize,
    /// Open streams over HTTP/1.1, a connection each, instead of HTTP/2 (h2c) connections
    /// of 1,000 streams: then each stream takes a descriptor in the app.
    #[arg(long)]
    streams_http1: bool,
    /// Skip the request/latency rows; only hold the open streams.
    #[arg(long)]
    streams_only: bool,
    /// Only the page loads in headless Chromium.
    #[arg(long)]
    pages_only: bool,
    /// Only the rows whose scenario holds this text (`chat new`, `search`, `resume`, `page`,
    /// `open streams`...).
    #[arg(long)]
    only: Option<String>,
    /// Skip the pgbench floors: for measuring an older build of the app back to back with
    /// this one, when its schema differs from the SQL the floors run.
    #[arg(long)]
    no_floor: bool,
    /// Messages seeded for the search rows (default 1,000,000; 100,000 with --quick).
    #[arg(long)]
    search_messages: Option<usize>,
    /// Drop the search columns and indexes once the app has made them (the search rows are
    /// skipped): what search costs a chat turn's writes, measured with the same binary.
    /// Memory recalls through search, so it must be off (`MEMORY=off`), and off too in the
    /// run this one is compared with.
    #[arg(long)]
    without_search: bool,
    /// Only the rows at these client counts (comma-separated), e.g. to profile one load.
    #[arg(long, value_delimiter = ',')]
    clients: Vec<usize>,
}

#[derive(Serialize)]
struct Row {
    scenario: String,
    app: LoadResult,
    floor: Option<FloorResult>,
    ratio_to_floor: Option<f64>,
    cpu_ms_per_request: f64,
}

#[derive(Serialize)]
struct StreamsResult {
    streams: usize,
    seconds: u64,
    completed: usize,
    errors: usize,
    rss_before_mib: f64,
    rss_peak_mib: f64,
    mib_per_stream: f64,
    wall_secs: f64,
}

/// 20 deltas of 5 words, no delay: the model the original backend was measured with.
/// The pieces of every answer of the bench's model.
fn answer_pieces() -> Vec<String> {
    (0..20)
        .map(|i| format!("Run easy early, walk climbs{i} "))
        .collect()
}

fn fast_model() -> Behavior {
    let deltas = answer_pieces();
    Behavior::Answer {
        deltas,
        delay: Duration::ZERO,
    }
}

async fn chat_turn(
    client: &reqwest::Client,
    url: &str,
    body: serde_json::Value,
) -> Result<Sample, String> {
    use futures_util::StreamExt;
    let began = Instant::now();
    let response = client
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let mut stream = response.bytes_stream();
    let mut seen = Vec::new();
    let mut first_event = None;
    while let Some(chunk) = stream.next().await {
        seen.extend_from_slice(&chunk.map_err(|e| e.to_string())?);
        if first_event.is_none() && seen.windows(2).any(|w| w == b"\n\n") {
            first_event = Some(began.elapsed());
        }
    }
    // The last event (a `done` with its sources may be kilobytes long); text of the answer
    // never holds the marker unescaped.
    let last = seen
        .windows(2)
        .rposition(|w| w == b"\n\n")
        .and_then(|end| {
            seen[..end]
                .windows(2)
                .rposition(|w| w == b"\n\n")
                .map(|start| &seen[start..end])
        })
        .unwrap_or(&seen);
    const DONE: &[u8] = b"\"done\":true";
    if !last.windows(DONE.len()).any(|w| w == DONE) {
        let tail = String::from_utf8_lossy(&seen[seen.len().saturating_sub(300)..]).into_owned();
        return Err(format!("stream did not end with done: {tail}"));
    }
    Ok(Sample {
        latency: began.elapsed(),
        first_event,
    })
}

/// `GET url`, asking for gzip (as browsers do) when `gzip`; the body is read, not unpacked.
async fn get(client: &reqwest::Client, url: &str, gzip: bool) -> Result<Sample, String> {
    let began = Instant::now();
    let mut request = client.get(url);
    if gzip {
        request = request.header("accept-encoding", "gzip");
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    response.bytes().await.map_err(|e| e.to_string())?;
    Ok(Sample {
        latency: began.elapsed(),
        first_event: None,
    })
}

struct Bench<'a> {
    app: App,
    db: &'a Database,
    seed: Seed,
    client: reqwest::Client,
    warmup: Duration,
    measure: Duration,
    rows: Vec<Row>,
    only: Option<String>,
    /// Client counts to measure at; empty for all.
    clients: Vec<usize>,
    floors: bool,
    /// The 11th page of 50 of the 1,000 chats (after a `Link` was followed ten times).
    deep_page: String,
    /// A share link's JSON: the 200-message chat's copy.
    shared: String,
}

impl Bench<'_> {
    /// Whether `--only` lets `scenario` run.
    fn wanted(&self, scenario: &str) -> bool {
        self.only
            .as_deref()
            .is_none_or(|only| scenario.contains(only))
    }

    async fn row(
        &mut self,
        scenario: &str,
        clients: usize,
        floor_script: Option<String>,
    ) -> anyhow::Result<()> {
        if !self.wanted(scenario) || !(self.clients.is_empty() || self.clients.contains(&clients)) {
            return Ok(());
        }
        let (client, base, event) = (
            self.client.clone(),
            self.app.base.clone(),
            self.seed.event.clone(),
        );
        let path = match scenario {
            "list 1,000 sessions" => format!("/api/chat/sessions?event_id={event}"),
            "list a page of 50, 11th" => self.deep_page.clone(),
            "read a share link" => self.shared.clone(),
            _ => format!("/api/chat/sessions/{}", self.seed.big_session),
        };
        let cpu_before = self.app.cpu_time();
        let kind = scenario.to_owned();
        // One continued session per client, made before the clock starts.
        let mut sessions = Vec::new();
        if kind == "chat continued" {
            for _ in 0..clients {
                let sample = chat_first(&client, &base, &event).await?;
                sessions.push(sample);
            }
        }
        let sessions = Arc::new(sessions);
        let result = load::run(clients, self.warmup, self.measure, move |i| {
            let (client, base, event, path, kind, sessions) =
                (client.clone(), base.clone(), event.clone(), path.clone(), kind.clone(), sessions.clone());
            async move {
                match kind.as_str() {
                    "chat new" => {
                        chat_turn(&client, &format!("{base}/api/chat"), json!({"message": "How should I pace the first 30 miles?", "event_id": event})).await
                    }
                    "chat continued" => {
                        chat_turn(&client, &format!("{base}/api/chat"), json!({"message": "And what about nutrition?", "session_id": sessions[i]})).await
                    }
                    _ => get(&client, &format!("{base}{path}"), kind.ends_with("gzip")).await,
                }
            }
        })
        .await;
        let cpu = self.app.cpu_time().saturating_sub(cpu_before);
        let requests = result.requests.max(1);
        let floor = match floor_script.filter(|_| self.floors) {
            Some(script) => {
                let answer = answer_pieces().concat();
                let vars = [
                    ("event", self.seed.event.as_str()),
                    ("session", self.seed.big_session.as_str()),
                    ("answer", answer.as_str()),
                ];
                Some(floor::run(self.db, &script, clients, self.measure, &vars)?)
            }
            None => None,
        };
        let ratio = floor.as_ref().map(|f| result.per_second / f.tps);
        let row = Row {
            scenario: format!("{scenario} @{clients}"),
            cpu_ms_per_request: cpu.as_secs_f64() * 1000.0 / requests as f64,
            app: result,
            floor,
            ratio_to_floor: ratio,
        };
        print_row(&row);
        self.rows.push(row);
        Ok(())
    }
}

impl Bench<'_> {
    /// The paths of the organizing rows: a page deep in the list (by following its `Link`s,
    /// as a client scrolls) and a share link to the long chat.
    async fn organize_paths(&mut self) -> anyhow::Result<()> {
        let mut page = format!("/api/chat/sessions?event_id={}&limit=50", self.seed.event);
        for _ in 0..10 {
            let response = self
                .client
                .get(format!("{}{page}", self.app.base))
                .send()
                .await?;
            let link = response
                .headers()
                .get("link")
                .and_then(|link| link.to_str().ok())
                .and_then(|link| link.strip_prefix('<')?.split_once(">; rel=\"next\""))
                .ok_or_else(|| anyhow::anyhow!("no next page after {page}"))?;
            page = link.0.to_owned();
        }
        self.deep_page = page;
        let url = format!(
            "{}/api/chat/sessions/{}/shares",
            self.app.base, self.seed.big_session
        );
        let made: serde_json::Value = self.client.post(url).send().await?.json().await?;
        let token = made["token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no share token in {made}"))?;
        self.shared = format!("/api/shares/{token}");
        Ok(())
    }
}

impl Bench<'_> {
    /// Resuming answers being written, on the instance writing them (from its memory) and
    /// on another one (from the database): time to the first replayed chunk.
    async fn resume_rows(&mut self, model: &FakeOpenAi, other: &App) -> anyhow::Result<()> {
        const CLIENTS: usize = 8;
        let deltas: Vec<String> = (0..80).map(|i| format!("step {i} ")).collect();
        model.set_fallback(Behavior::Answer {
            deltas,
            delay: Duration::from_millis(250),
        });
        let mut answers = Vec::new();
        for _ in 0..64 {
            answers.push(start_answer(&self.client, &self.app.base, &self.seed.event).await?);
        }
        // A checkpoint (every 2 s) puts text in the database for the other instance.
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let answers = Arc::new(answers);
        for (scenario, server) in [
            ("resume, same instance", &self.app),
            ("resume, other instance", other),
        ] {
            let cpu_before = server.cpu_time();
            let (client, base, answers) =
                (self.client.clone(), server.base.clone(), answers.clone());
            let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let result = load::run(CLIENTS, self.warmup, self.measure, move |_| {
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let url = format!(
                    "{base}/api/chat/messages/{}/stream",
                    answers[n % answers.len()]
                );
                let client = client.clone();
                async move { resume(&client, &url).await }
            })
            .await;
            let cpu = server.cpu_time().saturating_sub(cpu_before);
            let row = Row {
                scenario: format!("{scenario} @{CLIENTS}"),
                cpu_ms_per_request: cpu.as_secs_f64() * 1000.0 / result.requests.max(1) as f64,
                app: result,
                floor: None,
                ratio_to_floor: None,
            };
            print_row(&row);
            self.rows.push(row);
        }
        // Done with them: stop them, so they do not weigh on what is measured next.
        for answer in answers.iter() {
            let url = format!("{}/api/chat/messages/{answer}/stop", self.app.base);
            self.client.post(url).send().await?;
        }
        model.set_fallback(fast_model());
        Ok(())
    }
}

impl Bench<'_> {
    /// Searches on the seeded history: each kind of term, within one event and across all,
    /// at 1 and 8 clients, next to pgbench running the same statement.
    async fn search_rows(&mut self, data: &search::SearchData) -> anyhow::Result<()> {
        let terms = [
            ("rare word", search::RARE.to_owned()),
            ("common word", "run".to_owned()),
            ("phrase", "\"salt tablets\"".to_owned()),
            ("accent-folded", "burgenstock".to_owned()),
            ("CJK substring", "給水".to_owned()),
        ];
        for (kind, text) in &terms {
            for (scope, event) in [("1 event", Some(data.event.as_str())), ("all", None)] {
                for clients in [1, 8] {
                    let event_id = event.map(str::parse).transpose()?;
                    let query = domain::SearchQuery::new(text, event_id, None, 0)
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                    let url = format!(
                        "{}/api/chat/search?q={}{}",
                        self.app.base,
                        url_encode(text),
                        event.map(|e| format!("&event_id={e}")).unwrap_or_default()
                    );
                    let client = self.client.clone();
                    let floor = store_postgres::search_statement(&query);
                    self.timed_row(
                        format!("search {kind}, {scope}"),
                        clients,
                        floor,
                        move |_| {
                            let (client, url) = (client.clone(), url.clone());
                            async move { get(&client, &url, false).await }
                        },
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}

impl Bench<'_> {
    /// One row of the long history's: `request` under load for a third of the usual time,
    /// then pgbench running `floor` (one statement) as long.
    async fn timed_row<F, Fut>(
        &mut self,
        scenario: String,
        clients: usize,
        floor: String,
        request: F,
    ) -> anyhow::Result<()>
    where
        F: Fn(usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Sample, String>> + Send,
    {
        if !self.wanted(&scenario) {
            return Ok(());
        }
        let cpu_before = self.app.cpu_time();
        let result = load::run(clients, self.warmup / 4, self.measure / 3, request).await;
        let cpu = self.app.cpu_time().saturating_sub(cpu_before);
        let floor = floor::run(
            self.db,
            &format!("{floor};\n"),
            clients,
            self.measure / 3,
            &[],
        )?;
        let row = Row {
            scenario: format!("{scenario} @{clients}"),
            cpu_ms_per_request: cpu.as_secs_f64() * 1000.0 / result.requests.max(1) as f64,
            ratio_to_floor: Some(result.per_second / floor.tps),
            app: result,
            floor: Some(floor),
        };
        print_row(&row);
        self.rows.push(row);
        Ok(())
    }

    /// Calls `url` (usage figures) until nothing more is rolled up, as an app that has been
    /// running does (a call rolls up a few days), then what is rolled up: the floor's values.
    async fn rolled_up(
        &self,
        url: &str,
    ) -> anyhow::Result<(Option<DateTime<Utc>>, Vec<DateTime<Utc>>)> {
        let state = format!(
            "SELECT extract(epoch FROM s.rolled_until)::bigint, array_to_string(array(\
             SELECT extract(epoch FROM h)::bigint FROM unnest(s.dirty) h), ',') \
             FROM ({}) s",
            store_postgres::USAGE_ROLLED
        );
        let epoch = |text: &str| -> anyhow::Result<DateTime<Utc>> {
            DateTime::from_timestamp(text.parse()?, 0).context("an epoch out of range")
        };
        let started = Instant::now();
        let (mut calls, mut last) = (0, String::new());
        loop {
            get(&self.client, url, false)
                .await
                .map_err(anyhow::Error::msg)?;
            calls += 1;
            let now = self.db.psql(&state)?;
            if now == last {
                break;
            }
            last = now;
        }
        println!(
            "usage rolled up in {calls} calls, {:.1} s: {}",
            started.elapsed().as_secs_f64(),
            last.trim()
        );
        let (until, dirty) = last.trim().split_once('|').unwrap_or_default();
        let until = Some(until)
            .filter(|u| !u.is_empty())
            .map(epoch)
            .transpose()?;
        let dirty = dirty.split(',').filter(|h| !h.is_empty()).map(epoch);
        Ok((until, dirty.collect::<anyhow::Result<_>>()?))
    }

    /// What remembering costs a question on the long history: a new chat in one of its
    /// events with memory on and off (the difference is the recall, whose statement is the
    /// floor of both), and the usage figures for one event and for all.
    async fn history_rows(&mut self, data: &search::SearchData) -> anyhow::Result<()> {
        const QUESTION: &str = "How much salt should I take at the canyon aid station in the heat?";
        let event_id = data.event.parse()?;
        let recall = store_postgres::recall_statement(&domain::Recall {
            event_id,
            exclude_session: None,
            question: QUESTION,
            limit: 12,
        });
        for memory in [true, false] {
            let scenario = format!("chat new, memory {}", if memory { "on" } else { "off" });
            let (client, url) = (self.client.clone(), format!("{}/api/chat", self.app.base));
            let body = json!({"message": QUESTION, "event_id": data.event, "memory": memory});
            self.timed_row(scenario, 1, recall.clone(), move |_| {
                let (client, url, body) = (client.clone(), url.clone(), body.clone());
                async move { chat_turn(&client, &url, body).await }
            })
            .await?;
        }
        for (scope, event) in [("1 event", Some(event_id)), ("all events", None)] {
            let scenario = format!("usage stats, {scope}");
            let query = domain::UsageQuery::new(event, None, None, domain::Bucket::Day);
            let url = format!(
                "{}/api/chat/stats{}",
                self.app.base,
                event.map(|e| format!("?event_id={e}")).unwrap_or_default()
            );
            let (rolled_until, dirty) = match event {
                Some(_) => (None, Vec::new()),
                None => self.rolled_up(&url).await?,
            };
            let floor = store_postgres::usage_statement(&query, rolled_until, &dirty);
            for clients in [1, 8] {
                let (client, url) = (self.client.clone(), url.clone());
                self.timed_row(scenario.clone(), clients, floor.clone(), move |_| {
                    let (client, url) = (client.clone(), url.clone());
                    async move { get(&client, &url, false).await }
                })
                .await?;
            }
        }
        Ok(())
    }
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Asks `message` in a new chat about `event`.
async fn ask(
    client: &reqwest::Client,
    base: &str,
    event: &str,
    message: &str,
) -> reqwest::Result<reqwest::Response> {
    let body = json!({"message": message, "event_id": event});
    client
        .post(format!("{base}/api/chat"))
        .json(&body)
        .send()
        .await
}

/// Starts a session for a continued-chat client, its first answer finished; returns its id.
async fn chat_first(client: &reqwest::Client, base: &str, event: &str) -> anyhow::Result<String> {
    let response = ask(client, base, event, "How should I pace the first 30 miles?").await?;
    started(&response.text().await?, "session_id")
}

/// A field of a stream's `started` event, its first `data:` line.
fn started(body: &str, field: &str) -> anyhow::Result<String> {
    let first = body
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .context("no first event")?;
    let value: serde_json::Value = serde_json::from_str(first)?;
    Ok(value[field]
        .as_str()
        .with_context(|| format!("no {field} in the first event"))?
        .to_owned())
}

/// Starts an answer and lets it go on without a reader; returns its id.
async fn start_answer(client: &reqwest::Client, base: &str, event: &str) -> anyhow::Result<String> {
    use futures_util::StreamExt;
    let mut body = ask(client, base, event, "Take your time")
        .await?
        .bytes_stream();
    let mut seen = String::new();
    while !seen.contains("\n\n") {
        let bytes = body
            .next()
            .await
            .context("the stream ended before its first event")??;
        seen.push_str(&String::from_utf8_lossy(&bytes));
    }
    started(&seen, "answer_id")
}

/// Time to the first replayed chunk of an answer being written, resumed from its start.
async fn resume(client: &reqwest::Client, url: &str) -> Result<Sample, String> {
    use futures_util::StreamExt;
    let began = Instant::now();
    let response = client.get(url).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let mut body = response.bytes_stream();
    let mut seen = Vec::new();
    while !seen.windows(13).any(|w| w == b"event: chunk\n") {
        let bytes = body.next().await.ok_or("ended before a chunk")?;
        seen.extend_from_slice(&bytes.map_err(|e| e.to_string())?);
    }
    let first = began.elapsed();
    Ok(Sample {
        latency: first,
        first_event: Some(first),
    })
}

fn print_header() {
    println!(
        "{:<28} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6} {:>9} {:>7} {:>8}",
        "scenario @clients",
        "req/s",
        "p50 ms",
        "p99 ms",
        "ttfe p50",
        "ttfe p99",
        "errors",
        "floor/s",
        "ratio",
        "cpu ms"
    );
}

fn print_row(row: &Row) {
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
    println!(
        "{:<28} {:>9.1} {:>8.2} {:>8.2} {:>8} {:>8} {:>6} {:>9} {:>7} {:>8.3}",
        row.scenario,
        row.app.per_second,
        row.app.p50_ms,
        row.app.p99_ms,
        opt(row.app.first_event_p50_ms),
        opt(row.app.first_event_p99_ms),
        row.app.errors,
        row.floor
            .as_ref()
            .map_or_else(|| "-".to_owned(), |f| format!("{:.1}", f.tps)),
        row.ratio_to_floor
            .map_or_else(|| "-".to_owned(), |r| format!("{:.0}%", r * 100.0)),
        row.cpu_ms_per_request,
    );
}

/// Holds `streams` chat turns open at once against a model that sends one delta a second.
async fn open_streams(
    app: &App,
    model: &FakeOpenAi,
    event: &str,
    streams: usize,
    seconds: u64,
    ramp_per_sec: usize,
    http1: bool,
) -> StreamsResult {
    let deltas: Vec<String> = (0..seconds).map(|i| format!("tick {i} ")).collect();
    model.set_fallback(Behavior::Answer {
        deltas,
        delay: Duration::from_secs(1),
    });
    let (rss_before, _) = app.memory_mib();
    // Over HTTP/2 (h2c, prior knowledge), 1,000 streams to a connection: a socket per stream
    // would need as many descriptors in the app as streams, more than a container's hard
    // limit often allows (20,000 on the development machine). `--streams-http1` measures that
    // way too: one connection per stream, spread over source addresses, since a pair of
    // addresses has only about 28,000 ephemeral ports (Linux's default range).
    const PER_CLIENT: usize = 1_000;
    let clients: Vec<reqwest::Client> = (0..streams.div_ceil(PER_CLIENT).max(1))
        .map(|n| {
            let builder = reqwest::Client::builder();
            let builder = if http1 {
                let source = u8::try_from(n / 20 + 1).unwrap_or(u8::MAX);
                builder
                    .pool_max_idle_per_host(0)
                    .local_address(std::net::IpAddr::V4(std::net::Ipv4Addr::new(
                        127, 0, 0, source,
                    )))
            } else {
                builder.http2_prior_knowledge()
            };
            builder.build().unwrap_or_default()
        })
        .collect();
    let url = format!("{}/api/chat", app.base);
    let began = Instant::now();
    let mut tasks = Vec::with_capacity(streams);
    for i in 0..streams {
        let client = clients[(i / PER_CLIENT).min(clients.len() - 1)].clone();
        let (url, event) = (url.clone(), event.to_owned());
        tasks.push(tokio::spawn(async move {
            chat_turn(
                &client,
                &url,
                json!({"message": format!("Open stream {i}"), "event_id": event}),
            )
            .await
        }));
        // A steady ramp, in steps of a tenth of a second.
        let step = (ramp_per_sec / 10).max(1);
        if i % step == step - 1 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Samples the app's resident memory until the streams are done.
    let pid = app.pid();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watching = done.clone();
    let watcher = tokio::spawn(async move {
        let mut peak: f64 = 0.0;
        while !watching.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(env::memory_mib(pid).0);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        peak
    });
    let mut completed = 0;
    let mut errors = 0;
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok(_)) => completed += 1,
            Ok(Err(error)) => {
                errors += 1;
                first_error.get_or_insert(error);
            }
            Err(error) => {
                errors += 1;
                first_error.get_or_insert(error.to_string());
            }
        }
    }
    let wall = began.elapsed();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = watcher.await.unwrap_or(0.0).max(app.memory_mib().0);
    if let Some(error) = first_error {
        eprintln!("  open streams: first error: {error}");
    }
    model.set_fallback(fast_model());
    StreamsResult {
        streams,
        seconds,
        completed,
        errors,
        rss_before_mib: rss_before,
        rss_peak_mib: peak,
        mib_per_stream: (peak - rss_before).max(0.0) / streams as f64,
        wall_secs: wall.as_secs_f64(),
    }
}

/// The fake model gets a runtime and threads of its own, so that the load client's work
/// never delays the model's answers (and so the app's measured latency).
fn model_on_its_own_runtime() -> anyhow::Result<FakeOpenAi> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                let _ = sender.send(Err(anyhow::Error::from(error)));
                return;
            }
        };
        runtime.block_on(async move {
            let started = FakeOpenAi::bind("127.0.0.1:0", fast_model())
                .await
                .map_err(anyhow::Error::from);
            let _ = sender.send(started);
            std::future::pending::<()>().await;
        });
    });
    receiver.recv()?
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // 10,000 streams are 20,000 sockets in the app (client and model side) and 20,000 here:
    // as root, raise the hard limit for this process and the app it starts.
    if rlimit::setrlimit(rlimit::Resource::NOFILE, 65_536, 65_536).is_err() {
        let _ = rlimit::increase_nofile_limit(u64::MAX);
    }
    let (warmup, measure) = if args.quick {
        (Duration::from_millis(500), Duration::from_secs(2))
    } else {
        (Duration::from_secs(2), Duration::from_secs(10))
    };
    let streams = args
        .streams
        .unwrap_or(if args.quick { 1_000 } else { 10_000 });
    let ramp_secs = u64::try_from(streams.div_ceil(args.ramp_per_sec.max(1))).unwrap_or(0);
    let stream_secs = args
        .stream_secs
        .unwrap_or(ramp_secs + if args.quick { 10 } else { 30 });
    anyhow::ensure!(
        args.app.is_file(),
        "{} not found: build it with `cargo build --release -p app`",
        args.app.display()
    );

    let started = Instant::now();
    let db = Database::start().await?;
    let outcome = run(&args, &db, started, warmup, measure, streams, stream_secs).await;
    db.stop().await;
    outcome
}

async fn run(
    args: &Args,
    db: &Database,
    started: Instant,
    warmup: Duration,
    measure: Duration,
    streams: usize,
    stream_secs: u64,
) -> anyhow::Result<()> {
    // The app creates its tables when it starts; seeding waits for that.
    let model = model_on_its_own_runtime()?;
    if args.without_search && std::env::var("MEMORY").as_deref() != Ok("off") {
        // Every question would fail to recall (and log it): cheaper turns, not a fair measure.
        bail!("--without-search needs MEMORY=off (in the run it is compared with, too)");
    }
    let app = App::start(&args.app, &db.url(), &model.base_url).await?;
    if args.without_search {
        db.psql(search::DROP_SEARCH)?;
    }
    let seed = env::seed(db)?;
    floor::seed_continued(db, &seed.event, 256)?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (idle_rss, _) = app.memory_mib();
    println!(
        "aidstation bench{}: app pid {}, idle RSS {idle_rss:.1} MiB",
        if args.quick { " (quick)" } else { "" },
        app.pid()
    );
    print_header();

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()?;
    let mut bench = Bench {
        app,
        db,
        seed,
        client,
        warmup,
        measure,
        rows: Vec::new(),
        only: args.only.clone(),
        clients: args.clients.clone(),
        floors: !args.no_floor,
        deep_page: String::new(),
        shared: String::new(),
    };
    let http_rows = !args.streams_only && !args.pages_only;
    // Older builds (measured back to back with `--no-floor`) may lack paging and shares.
    if http_rows && (bench.wanted("list a page of 50, 11th") || bench.wanted("read a share link")) {
        bench.organize_paths().await?;
    }
    if http_rows {
        for clients in [1, 8, 32] {
            bench
                .row("list 1,000 sessions", clients, Some(floor::LIST.to_owned()))
                .await?;
        }
        for clients in [1, 8, 32] {
            bench
                .row("get 200 messages", clients, Some(floor::get()))
                .await?;
        }
        bench
            .row("get 200 messages, gzip", 8, Some(floor::get()))
            .await?;
        for clients in [1, 8, 32] {
            bench.row("list a page of 50, 11th", clients, None).await?;
        }
        for clients in [1, 8, 32] {
            bench.row("read a share link", clients, None).await?;
        }
        for clients in [1, 8, 32, 256] {
            bench
                .row("chat new", clients, Some(floor::new_chat()))
                .await?;
        }
        for clients in [1, 8, 32, 256] {
            bench
                .row("chat continued", clients, Some(floor::continued_chat()))
                .await?;
        }
    }
    if http_rows && bench.wanted("resume") {
        let mut other = App::start(&args.app, &db.url(), &model.base_url).await?;
        bench.resume_rows(&model, &other).await?;
        other.stop();
    }
    let (after_load_rss, peak_load_rss) = bench.app.memory_mib();
    println!("RSS after load {after_load_rss:.1} MiB, peak {peak_load_rss:.1} MiB");

    let page_loads = if args.streams_only || !bench.wanted("page") {
        Vec::new()
    } else if test_support::browser::available() {
        pages::print_header();
        pages::run(
            &bench.app.base,
            &bench.seed.event,
            &bench.seed.big_session,
            200,
        )
        .await?
    } else {
        println!("page loads: skipped (chromedriver not found)");
        Vec::new()
    };
    if args.pages_only {
        bench.app.stop();
        return Ok(());
    }
    // Last of the request rows: the million messages it seeds would weigh on the others.
    let search_data = if http_rows
        && !args.without_search
        && args.only.as_deref().is_none_or(|only| {
            // Every row of the long history names one of these.
            ["search", "memory", "usage"]
                .iter()
                .any(|word| only.contains(word))
        }) {
        let messages = args
            .search_messages
            .unwrap_or(if args.quick { 100_000 } else { 1_000_000 });
        let data = search::seed(db, messages)?;
        println!(
            "search data: {} messages in {} chats, {} events; seeded in {:.0} s; migration {:.1} s; \
             chat_messages {:.0} MiB, its search index {:.0} MiB, titles' index {:.1} MiB",
            data.messages,
            data.chats,
            data.events,
            data.seed_secs,
            data.migration_secs,
            data.table_mib,
            data.messages_index_mib,
            data.titles_index_mib
        );
        bench.search_rows(&data).await?;
        bench.history_rows(&data).await?;
        Some(data)
    } else {
        None
    };
    let transfers = if http_rows && (bench.wanted("export") || bench.wanted("import")) {
        transfer::run(&args.app, db, &model.base_url, args.quick).await?
    } else {
        Vec::new()
    };
    if !bench.wanted("open streams") {
        bench.app.stop();
        return Ok(());
    }

    let streams_result = open_streams(
        &bench.app,
        &model,
        &bench.seed.event,
        streams,
        stream_secs,
        args.ramp_per_sec,
        args.streams_http1,
    )
    .await;
    println!(
        "open streams: {} of {} completed, {} errors, RSS {:.1} -> peak {:.1} MiB ({:.3} MiB per stream), {:.1} s",
        streams_result.completed,
        streams_result.streams,
        streams_result.errors,
        streams_result.rss_before_mib,
        streams_result.rss_peak_mib,
        streams_result.mib_per_stream,
        streams_result.wall_secs
    );
    bench.app.stop();

    std::fs::create_dir_all(&args.out)?;
    let path = args.out.join(format!(
        "bench-{}.json",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    let report = json!({
        "quick": args.quick,
        "machine": {"cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)},
        "memory_mib": {"idle": idle_rss, "after_load": after_load_rss, "peak_under_load": peak_load_rss},
        "rows": bench.rows,
        "page_loads": page_loads,
        "search_data": search_data,
        "transfers": transfers,
        "open_streams": streams_result,
        "total_secs": started.elapsed().as_secs_f64(),
    });
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!(
        "report: {} ({:.0} s)",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
