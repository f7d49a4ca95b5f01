//! Headless Chromium over WebDriver (Debian's chromium + chromium-driver), for the browser
//! tests and the page-load bench: one chromedriver per process, a fresh profile per session,
//! and Chrome DevTools commands (dark mode, network conditions) through chromedriver.

use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use tempfile::TempDir;

struct Driver {
    url: String,
    _process: Child,
}

/// One chromedriver per process; `None` when it is not installed.
fn driver() -> Option<&'static Driver> {
    static DRIVER: OnceLock<Option<Driver>> = OnceLock::new();
    DRIVER
        .get_or_init(|| {
            let binary = [
                "chromedriver",
                "/usr/bin/chromedriver",
                "/usr/lib/chromium/chromedriver",
            ]
            .into_iter()
            .find(|candidate| {
                Command::new(candidate)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })?;
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let process = Command::new(binary)
                .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver");
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Some(Driver {
                url: format!("http://127.0.0.1:{port}"),
                _process: process,
            })
        })
        .as_ref()
}

/// Whether chromedriver is installed here.
pub fn available() -> bool {
    driver().is_some()
}

/// A browser session with its own empty profile (so its own cache and localStorage), which
/// lives as long as this value.
pub struct Session {
    pub client: Client,
    _profile: TempDir,
}

impl Session {
    /// Starts Chromium with a `width`×`height` window; `None` without chromedriver.
    pub async fn start(width: u32, height: u32) -> Option<Session> {
        let driver = driver()?;
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--no-first-run", "--hide-scrollbars",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.path().display()),
            ]}),
        );
        let client = ClientBuilder::rustls()
            .unwrap()
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .expect("a chromium session");
        Some(Session {
            client,
            _profile: profile,
        })
    }

    /// Sends a Chrome DevTools Protocol command to the page and returns its result.
    pub async fn devtools(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(DevTools {
                cmd: cmd.to_owned(),
                params,
            })
            .await
            .unwrap_or_else(|e| panic!("devtools {cmd}: {e}"))
    }

    /// Saves what the page downloads into `dir` (headless Chromium refuses downloads
    /// otherwise).
    pub async fn downloads_to(&self, dir: &std::path::Path) {
        self.devtools(
            "Page.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": dir.to_string_lossy()}),
        )
        .await;
    }

    /// Makes the page see `prefers-color-scheme: dark` (or light).
    pub async fn prefer_dark(&self, dark: bool) {
        let scheme = if dark { "dark" } else { "light" };
        self.devtools(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        )
        .await;
    }

    /// Takes the page off the network (`true`) or back on it, as a phone losing signal does.
    pub async fn offline(&self, offline: bool) {
        self.network(Network {
            offline,
            ..Network::UNLIMITED
        })
        .await;
    }

    /// Makes every request of the page go as slowly as `network` says.
    pub async fn network(&self, network: Network) {
        self.devtools("Network.enable", json!({})).await;
        self.devtools(
            "Network.emulateNetworkConditions",
            json!({
                "offline": network.offline,
                "latency": network.latency_ms,
                "downloadThroughput": network.down_bytes_per_sec,
                "uploadThroughput": network.up_bytes_per_sec,
            }),
        )
        .await;
    }
}

/// The network a page is loaded over (DevTools' emulation: latency added to each request,
/// throughput shared by all of them; -1 is no limit).
#[derive(Clone, Copy, Debug)]
pub struct Network {
    pub offline: bool,
    pub latency_ms: f64,
    pub down_bytes_per_sec: f64,
    pub up_bytes_per_sec: f64,
}

impl Network {
    pub const UNLIMITED: Network = Network {
        offline: false,
        latency_ms: 0.0,
        down_bytes_per_sec: -1.0,
        up_bytes_per_sec: -1.0,
    };
    /// Lighthouse's "slow 4G": 150 ms round trips, 1.6 Mbit/s down, 750 kbit/s up.
    pub const SLOW_4G: Network = Network {
        offline: false,
        latency_ms: 150.0,
        down_bytes_per_sec: 1_600_000.0 / 8.0,
        up_bytes_per_sec: 750_000.0 / 8.0,
    };
}

/// chromedriver's own endpoint for DevTools commands (`goog/cdp/execute`).
#[derive(Debug)]
struct DevTools {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}
