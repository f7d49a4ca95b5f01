//! The real `aidstation` binary as a process of its own, for the tests that kill it, stop
//! its database, or run several instances on one database; and a client that reads an
//! answer's stream as it comes.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use test_support::fake_openai::FakeOpenAi;
use test_support::process::serving_port;
use test_support::sse::parse_event;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

pub const DELTAS: [&str; 20] = [
    "Start ", "easy ", "and ", "walk ", "every ", "climb ", "until ", "mile ", "thirty; ", "eat ",
    "sixty ", "grams ", "of ", "carbs ", "an ", "hour ", "and ", "drink ", "to ", "thirst.",
];

/// The app as a child process on a free port.
pub struct AppProcess {
    child: Child,
    pub base: String,
    client: reqwest::Client,
    log: PathBuf,
}

impl AppProcess {
    /// The app on the database at `database_url`.
    pub async fn start(
        database_url: &SecretString,
        model: &FakeOpenAi,
        env: &[(&str, &str)],
    ) -> Self {
        let mut command = Self::command(model, env);
        command.env("DATABASE_URL", database_url.expose_secret());
        Self::launch(command).serving().await
    }

    /// The app with no DATABASE_URL: on the local cluster under `data_dir`.
    pub async fn start_local(data_dir: &Path, model: &FakeOpenAi, env: &[(&str, &str)]) -> Self {
        Self::launch(Self::local_command(data_dir, model, env))
            .serving()
            .await
    }

    /// `aidstation` with the test's settings and `env`, the local cluster under `data_dir`.
    pub fn local_command(data_dir: &Path, model: &FakeOpenAi, env: &[(&str, &str)]) -> Command {
        let mut command = Self::command(model, env);
        command
            .env_remove("DATABASE_URL")
            .env("AIDSTATION_DATA_DIR", data_dir);
        command
    }

    fn command(model: &FakeOpenAi, env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_aidstation"));
        command
            // The app binds a free port itself and says which: nothing is bound and let go.
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("OPENAI_BASE_URL", &model.base_url)
            .env("OPENAI_API_KEY", "sk-fault-test")
            .env("OPENAI_MODEL", "fake-gpt")
            .env("DATABASE_POOL_TIMEOUT_MS", "500")
            .env("RUST_LOG", "warn,app=info,local_postgres=info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Starts `command`, its log in a file of its own, without waiting for anything.
    pub fn launch(mut command: Command) -> Self {
        let log = tempfile::Builder::new()
            .prefix("aidstation-faults-")
            .suffix(".log")
            .tempfile()
            .unwrap()
            .into_temp_path()
            .keep()
            .unwrap();
        command.stderr(std::fs::File::create(&log).unwrap());
        Self {
            child: command.spawn().unwrap(),
            base: String::new(),
            client: reqwest::Client::new(),
            log,
        }
    }

    /// Waits until the app says it serves, and on which port.
    async fn serving(mut self) -> Self {
        for _ in 0..600 {
            if let Some(port) = serving_port(&self.log()) {
                self.base = format!("http://127.0.0.1:{port}");
                return self;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the app did not start serving: {}", self.log());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    pub async fn exit_status(&mut self, within: Duration) -> ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the app did not exit within {within:?}"))
            .unwrap()
    }

    pub async fn session(&self, id: &str) -> Value {
        let response = self
            .client
            .get(self.url(&format!("/api/chat/sessions/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "session {id}");
        response.json().await.unwrap()
    }
}

/// What a client saw of one answer's stream.
#[derive(Debug, Default)]
pub struct Turn {
    pub status: u16,
    pub session_id: Option<String>,
    pub answer_id: Option<String>,
    pub streamed: String,
    pub chunks: usize,
    /// When each chunk arrived.
    pub arrivals: Vec<Instant>,
    /// The `id:` of the last chunk: where to resume from.
    pub cursor: Option<u64>,
    pub last: Option<Value>,
}

impl Turn {
    pub fn ended_with(&self, key: &str) -> bool {
        self.last
            .as_ref()
            .is_some_and(|event| event.get(key).is_some())
    }
}

/// Asks `message` at `app_base`, reading the stream until it ends (or `stop_after_chunks`
/// arrived: then the connection is dropped, as a browser that goes away does).
pub async fn ask(app_base: &str, message: &str, stop_after_chunks: Option<usize>) -> Turn {
    read(post_question(app_base, message).await, stop_after_chunks).await
}

async fn post_question(app_base: &str, message: &str) -> reqwest::Response {
    let url = format!("{app_base}/api/chat");
    let body = json!({ "message": message });
    reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Reads an answer's stream as it comes (see [`ask`]).
pub async fn read(response: reqwest::Response, stop_after_chunks: Option<usize>) -> Turn {
    let seen = Arc::new(Mutex::new(Turn::default()));
    read_into(response, &seen, stop_after_chunks).await;
    std::mem::take(&mut *seen.lock().unwrap())
}

/// [`read`], keeping what was seen so far in `seen` for a test to look at while it reads.
pub async fn read_into(
    response: reqwest::Response,
    seen: &Mutex<Turn>,
    stop_after_chunks: Option<usize>,
) {
    seen.lock().unwrap().status = response.status().as_u16();
    if !response.status().is_success() {
        return;
    }
    let mut body = response.bytes_stream();
    let mut pending = String::new();
    let mut chunks = 0;
    while let Some(Ok(bytes)) = body.next().await {
        pending.push_str(std::str::from_utf8(&bytes).unwrap());
        while let Some(end) = pending.find("\n\n") {
            let block: String = pending.drain(..end + 2).collect();
            let Some(event) = parse_event(block.trim_end()) else {
                continue; // a `: ping` comment
            };
            let mut turn = seen.lock().unwrap();
            if let Some(id) = event["session_id"].as_str() {
                turn.session_id = Some(id.to_owned());
            }
            if let Some(id) = event["answer_id"].as_str() {
                turn.answer_id = Some(id.to_owned());
            }
            if let Some(chunk) = event["chunk"].as_str() {
                turn.streamed.push_str(chunk);
                turn.chunks += 1;
                turn.arrivals.push(Instant::now());
                turn.cursor = event["id"].as_u64();
                chunks += 1;
            }
            turn.last = Some(event);
        }
        if stop_after_chunks.is_some_and(|n| chunks >= n) {
            break;
        }
    }
}

pub fn full_answer() -> String {
    DELTAS.concat()
}

/// True when `text` is the first pieces of the answer, whole: what a checkpoint writes.
pub fn is_whole_prefix(text: &str) -> bool {
    (0..=DELTAS.len()).any(|n| DELTAS[..n].concat() == text)
}

/// Asks `message` at `base` and reads the whole stream in a task; `seen` shows its progress
/// meanwhile, and the task gives the moment the stream ended.
pub fn ask_in_background(base: &str, message: &str) -> (Arc<Mutex<Turn>>, JoinHandle<Instant>) {
    let seen = Arc::new(Mutex::new(Turn::default()));
    let (base, message, reading) = (base.to_owned(), message.to_owned(), seen.clone());
    let task = tokio::spawn(async move {
        read_into(post_question(&base, &message).await, &reading, None).await;
        Instant::now()
    });
    (seen, task)
}

/// Waits (20 s at most) for a stream read by [`ask_in_background`] to end; what it saw, and
/// when it ended.
pub async fn finished(seen: &Mutex<Turn>, task: JoinHandle<Instant>) -> (Turn, Instant) {
    let ended = tokio::time::timeout(Duration::from_secs(20), task)
        .await
        .expect("the stream did not end within 20 s")
        .unwrap();
    (std::mem::take(&mut *seen.lock().unwrap()), ended)
}

/// Waits (10 s at most) until `seen` has had `chunks` pieces.
pub async fn until_chunks(seen: &Mutex<Turn>, chunks: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().chunks < chunks {
        assert!(Instant::now() < deadline, "the answer did not stream");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
