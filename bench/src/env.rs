//! What the benchmark runs against: a throwaway PostgreSQL cluster, the release build of the
//! app as its own process (so its CPU time and memory can be read from /proc), and seeding.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use local_postgres::{Durability, LocalCluster, PgBinaries};
use secrecy::ExposeSecret;
use test_support::process::serving_port;

pub struct Database {
    pub cluster: LocalCluster,
    pub bins: PgBinaries,
    pub name: String,
    _dir: tempfile::TempDir,
}

impl Database {
    pub async fn start() -> anyhow::Result<Self> {
        let bins = PgBinaries::find()?;
        let dir = tempfile::Builder::new()
            .prefix("aidstation-bench-")
            .tempdir()?;
        let cluster = LocalCluster::new(bins.clone(), dir.path(), Durability::Throwaway)?;
        cluster.start().await?;
        let name = "bench".to_owned();
        cluster.ensure_database(&name).await?;
        let db = Self {
            cluster,
            bins,
            name,
            _dir: dir,
        };
        // pgbench's floor runs at up to 256 clients next to the app's pool.
        db.psql("ALTER SYSTEM SET max_connections = 400")?;
        db.cluster.stop().await?;
        db.cluster.start().await?;
        Ok(db)
    }

    pub fn url(&self) -> String {
        self.cluster
            .database_url(&self.name)
            .expose_secret()
            .to_owned()
    }

    /// The socket directory, for psql and pgbench (`-h`).
    pub fn host(&self) -> String {
        let url = self.url();
        url.split_whitespace()
            .find_map(|part| part.strip_prefix("host="))
            .unwrap_or_default()
            .to_owned()
    }

    pub fn program(&self, name: &str) -> PathBuf {
        PathBuf::from(self.bins.dir_string()).join(name)
    }

    /// Runs SQL through psql; returns its unaligned, tuples-only output.
    pub fn psql(&self, sql: &str) -> anyhow::Result<String> {
        let output = Command::new(self.program("psql"))
            .args([
                "-h",
                &self.host(),
                "-U",
                "postgres",
                "-d",
                &self.name,
                "-v",
                "ON_ERROR_STOP=1",
                "-qtAc",
                sql,
            ])
            .output()
            .context("running psql")?;
        if !output.status.success() {
            bail!("psql failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    pub async fn stop(&self) {
        let _ = self.cluster.stop().await;
    }
}

/// Reads the app's log until it says which port it serves on, then passes the rest on to
/// ours from a thread of its own (a full pipe would stop the app).
fn read_port(log: ChildStderr) -> anyhow::Result<u16> {
    let mut lines = BufReader::new(log).lines();
    for line in lines.by_ref() {
        if let Some(port) = serving_port(&line?) {
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    eprintln!("{line}");
                }
            });
            return Ok(port);
        }
    }
    bail!("the app stopped before it served")
}

/// The app under test, running from its release binary.
pub struct App {
    pub base: String,
    process: Child,
}

impl App {
    pub async fn start(binary: &Path, database_url: &str, model_url: &str) -> anyhow::Result<Self> {
        let mut process = Command::new(binary)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            // It binds a free port itself and says which (nothing bound here and let go).
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("OPENAI_BASE_URL", model_url)
            .env("OPENAI_API_KEY", "sk-bench")
            .env("OPENAI_MODEL", "fake-gpt")
            // Answers share one h2c connection to the model: 10,000 open streams then take
            // 10,000 sockets in the app rather than 20,000 (the hard descriptor limit here).
            .env("OPENAI_HTTP2", "true")
            .env("RUST_LOG", "warn,app=info")
            .env("SHUTDOWN_GRACE_SECS", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let port = read_port(process.stderr.take().context("the app's log")?)?;
        let app = Self {
            base: format!("http://127.0.0.1:{port}"),
            process,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if client
                .get(format!("{}/readyz", app.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(app);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the app did not become ready")
    }

    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// User + system CPU time the app has used so far.
    pub fn cpu_time(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the command name (which may contain spaces) start after ") ".
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map(|(_, rest)| rest.split(' ').collect())
            .unwrap_or_default();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
        let total = ticks(11) + ticks(12);
        Duration::from_secs_f64(total as f64 / clock_ticks_per_second())
    }

    /// (resident now, peak resident) in MiB.
    pub fn memory_mib(&self) -> (f64, f64) {
        memory_mib(self.pid())
    }

    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let _ = self.process.wait();
    }
}

impl Drop for App {
    /// However the bench ends, the app it started does not outlive it.
    fn drop(&mut self) {
        if matches!(self.process.try_wait(), Ok(None)) {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}

/// (resident now, peak resident) of process `pid` in MiB; zeros once it is gone.
pub fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// What the runs need: one event with 1,000 sessions, one of them with 200 messages, plus
/// one session per client for the continued-chat rows.
pub struct Seed {
    pub event: String,
    pub big_session: String,
}

pub fn seed(db: &Database) -> anyhow::Result<Seed> {
    let event = db.psql(
        "INSERT INTO events (id, name, planned_date, distance, target_duration_minutes) \
         VALUES (gen_random_uuid(), 'Western States 100', '2027-06-26T05:00:00Z', 100.2, 1440) RETURNING id",
    )?;
    db.psql(&format!(
        "INSERT INTO waypoints (id, event_id, name, waypoint_type, order_index, distance_from_start, stop_time_minutes) \
         SELECT gen_random_uuid(), '{event}', 'Aid ' || i, 'food', i, i * 6.5, 5 FROM generate_series(1, 15) AS i"
    ))?;
    db.psql(&format!(
        "INSERT INTO chat_sessions (id, event_id, title, created_at, updated_at) \
         SELECT gen_random_uuid(), '{event}', 'Chat number ' || i || ' about pacing the first thirty miles', \
                now() - i * interval '1 minute', now() - i * interval '1 minute' \
         FROM generate_series(1, 1000) AS i"
    ))?;
    let big_session = db.psql(&format!(
        "SELECT id FROM chat_sessions WHERE event_id = '{event}' ORDER BY updated_at DESC, id DESC LIMIT 1"
    ))?;
    db.psql(&format!(
        "INSERT INTO chat_messages (id, session_id, role, content, status, created_at) \
         SELECT gen_random_uuid(), '{big_session}', CASE WHEN i % 2 = 1 THEN 'user' ELSE 'assistant' END, \
                repeat('Plan to run the flats at an easy effort and walk the steep climbs. ', 6), 'complete', \
                now() - (200 - i) * interval '1 second' \
         FROM generate_series(1, 200) AS i"
    ))?;
    db.psql("VACUUM ANALYZE")?;
    Ok(Seed { event, big_session })
}
