//! A PostgreSQL cluster in a directory of our own, run with the machine's PostgreSQL
//! binaries: what `aidstation serve` uses when no DATABASE_URL is given, and what the test
//! harness starts. It listens on a Unix socket only, so it takes no TCP port.
//!
//! PostgreSQL refuses to run as root; when we are root, every PostgreSQL command runs as
//! the `postgres` user through `runuser`, on a directory that user owns.
//!
//! Several processes may use one folder's cluster at once (a `serve`, a second `serve` on
//! another port, a `migrate`): see [`ClusterUse`] for who stops it.

use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secrecy::SecretString;
use tokio::process::Command;

/// The length limit of a Unix socket path (sun_path) minus its terminating NUL.
const MAX_SOCKET_PATH: usize = 107;
const SOCKET_FILE: &str = ".s.PGSQL.5432";
const SUPERUSER: &str = "postgres";
const OS_USER_WHEN_ROOT: &str = "postgres";

#[derive(Debug, thiserror::Error)]
pub enum LocalClusterError {
    #[error(
        "no PostgreSQL server binaries found (looked at $PG_BIN, `pg_config --bindir`, PATH and \
         /usr/lib/postgresql/*/bin). Install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`) \
         or set DATABASE_URL to an existing database."
    )]
    BinariesNotFound,
    #[error("`{command}` failed: {detail}")]
    Command { command: String, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not create database {name}: {detail}")]
    CreateDatabase { name: String, detail: String },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> LocalClusterError + '_ {
    move |source| LocalClusterError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Where the PostgreSQL server programs (initdb, pg_ctl) live.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    dir: PathBuf,
}

impl PgBinaries {
    /// Looks at `$PG_BIN`, then `pg_config --bindir`, then PATH, then the newest
    /// `/usr/lib/postgresql/*/bin`: the first directory that has `initdb` and `pg_ctl` wins.
    pub fn find() -> Result<Self, LocalClusterError> {
        let from_env = std::env::var_os("PG_BIN").map(PathBuf::from);
        let from_pg_config = std::process::Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        let from_path = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .unwrap_or_default();
        let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .map(|entry| entry.path().join("bin"))
                    .collect()
            })
            .unwrap_or_default();
        debian.sort_by_key(|dir| {
            let version = dir
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|v| v.to_str()?.parse::<u32>().ok());
            std::cmp::Reverse(version)
        });
        from_env
            .into_iter()
            .chain(from_pg_config)
            .chain(from_path)
            .chain(debian)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
            .map(|dir| Self { dir })
            .ok_or(LocalClusterError::BinariesNotFound)
    }

    fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The directory, for putting it on a child's PATH.
    pub fn dir_string(&self) -> String {
        self.dir.to_string_lossy().into_owned()
    }
}

/// Settings that trade durability for speed; only for throwaway test clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Durable,
    Throwaway,
}

/// One cluster directory and how to run commands on it.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    bins: PgBinaries,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    as_postgres_user: bool,
    durability: Durability,
}

impl LocalCluster {
    /// Prepares (without starting) a cluster in `data_dir`, creating the directory.
    pub fn new(
        bins: PgBinaries,
        data_dir: &Path,
        durability: Durability,
    ) -> Result<Self, LocalClusterError> {
        std::fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
        let data_dir = data_dir.canonicalize().map_err(io_error(data_dir))?;
        let as_postgres_user = is_root()?;
        let socket_dir = if data_dir.join(SOCKET_FILE).as_os_str().len() <= MAX_SOCKET_PATH {
            data_dir.clone()
        } else {
            // A deep checkout: put the socket somewhere short, named after the data dir's
            // identity on disk, which every process that opens the same folder agrees on.
            let identity = std::fs::metadata(&data_dir).map_err(io_error(&data_dir))?;
            let name = format!("aidstation-{:x}-{:x}", identity.dev(), identity.ino());
            let dir = std::env::temp_dir().join(name);
            std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
            dir
        };
        Ok(Self {
            bins,
            data_dir,
            socket_dir,
            as_postgres_user,
            durability,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Starts using the cluster: created and started unless it runs already (as when
    /// another process uses it, or one that used it crashed), and kept running until the
    /// last process that uses it lets go ([`ClusterUse::leave`]).
    pub async fn join(&self) -> Result<ClusterUse, LocalClusterError> {
        let control = lock_exclusively(self.sibling(".lock")).await?;
        let users_path = self.sibling(".users");
        let users = open_lock_file(&users_path)?;
        // Only a process that is leaving holds it exclusively, and only under the control
        // lock, which is ours now: this never waits.
        users.lock_shared().map_err(io_error(&users_path))?;
        self.start().await?;
        drop(control);
        Ok(ClusterUse {
            cluster: self.clone(),
            users,
        })
    }

    /// A file beside the data directory (not in it: initdb wants that one empty).
    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = OsString::from(self.data_dir.as_os_str());
        name.push(suffix);
        PathBuf::from(name)
    }

    /// The cluster's Unix socket (for a client that connects to it by hand).
    pub fn socket_path(&self) -> PathBuf {
        self.socket_dir.join(SOCKET_FILE)
    }

    /// A libpq-style connection string for `database` over the cluster's socket.
    pub fn database_url(&self, database: &str) -> SecretString {
        format!(
            "host={} user={SUPERUSER} dbname={database}",
            self.socket_dir.display()
        )
        .into()
    }

    /// Creates the cluster on first use and starts it unless it is already running (as after
    /// a crash of the process that started it). Data persists across starts.
    pub async fn start(&self) -> Result<(), LocalClusterError> {
        if !self.data_dir.join("PG_VERSION").is_file() {
            self.init().await?;
        }
        if self.is_running().await? {
            tracing::info!(data_dir = %self.data_dir.display(), "local PostgreSQL already running; reusing it");
            return Ok(());
        }
        let mut options = format!("-c listen_addresses='' -k '{}'", self.socket_dir.display());
        if self.durability == Durability::Throwaway {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let log = self.data_dir.join("postgres.log");
        let log = log.to_string_lossy();
        let data = self.data_dir.to_string_lossy();
        self.run(
            "pg_ctl",
            &[
                "start", "-w", "-t", "60", "-D", &data, "-l", &log, "-o", &options,
            ],
        )
        .await?;
        tracing::info!(data_dir = %data, "local PostgreSQL started");
        Ok(())
    }

    /// Fast shutdown: open sessions are ended, committed data is safe.
    pub async fn stop(&self) -> Result<(), LocalClusterError> {
        if !self.is_running().await? {
            return Ok(());
        }
        let data = self.data_dir.to_string_lossy();
        self.run(
            "pg_ctl",
            &["stop", "-w", "-t", "60", "-m", "fast", "-D", &data],
        )
        .await?;
        tracing::info!(data_dir = %data, "local PostgreSQL stopped");
        Ok(())
    }

    pub async fn is_running(&self) -> Result<bool, LocalClusterError> {
        let data = self.data_dir.to_string_lossy();
        let output = self
            .command("pg_ctl", &["status", "-D", &data])
            .output()
            .await
            .map_err(io_error(&self.data_dir))?;
        // 0: running; 3: not running; anything else (4: no data directory) is a real error.
        match output.status.code() {
            Some(0) => Ok(true),
            Some(3) => Ok(false),
            _ => Err(command_failed("pg_ctl status", &output)),
        }
    }

    /// Creates `name` unless it exists; two instances racing to create it both succeed.
    pub async fn ensure_database(&self, name: &str) -> Result<(), LocalClusterError> {
        let failed = |detail: String| LocalClusterError::CreateDatabase {
            name: name.to_owned(),
            detail,
        };
        let url = self.database_url("postgres");
        let mut conn = AsyncPgConnection::establish(secrecy::ExposeSecret::expose_secret(&url))
            .await
            .map_err(|e| failed(e.to_string()))?;
        let exists: i64 =
            diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
                .bind::<diesel::sql_types::Text, _>(name)
                .get_result::<Count>(&mut conn)
                .await
                .map_err(|e| failed(e.to_string()))?
                .n;
        if exists > 0 {
            return Ok(());
        }
        match diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(name)))
            .execute(&mut conn)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.to_string().contains("already exists") => Ok(()),
            Err(error) => Err(failed(error.to_string())),
        }
    }

    async fn init(&self) -> Result<(), LocalClusterError> {
        if self.as_postgres_user {
            self.give_to_postgres_user(&self.data_dir).await?;
            if self.socket_dir != self.data_dir {
                self.give_to_postgres_user(&self.socket_dir).await?;
            }
        }
        let data = self.data_dir.to_string_lossy();
        let mut args = vec![
            "-D",
            &data,
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ];
        if self.durability == Durability::Throwaway {
            args.push("--no-sync");
        }
        self.run("initdb", &args).await?;
        tracing::info!(data_dir = %data, "local PostgreSQL cluster created");
        Ok(())
    }

    async fn give_to_postgres_user(&self, dir: &Path) -> Result<(), LocalClusterError> {
        let output = Command::new("chown")
            .args([
                &format!("{OS_USER_WHEN_ROOT}:"),
                &dir.to_string_lossy().into_owned(),
            ])
            .output()
            .await
            .map_err(io_error(dir))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(command_failed("chown", &output))
        }
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bins.program(program);
        let mut command = if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", OS_USER_WHEN_ROOT, "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.args(args).kill_on_drop(true);
        command
    }

    async fn run(&self, program: &str, args: &[&str]) -> Result<(), LocalClusterError> {
        let output = self
            .command(program, args)
            .output()
            .await
            .map_err(io_error(&self.data_dir))?;
        if output.status.success() {
            return Ok(());
        }
        let mut detail = output_text(&output);
        // The server's own log usually says why it would not start.
        if let Ok(log) = std::fs::read_to_string(self.data_dir.join("postgres.log")) {
            let tail: Vec<&str> = log.lines().rev().take(10).collect();
            detail.push_str("\nlast lines of postgres.log:\n");
            detail.push_str(&tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        }
        Err(LocalClusterError::Command {
            command: program.to_owned(),
            detail,
        })
    }
}

/// One process's use of a local cluster, from [`LocalCluster::join`].
///
/// Every process that uses the cluster holds a shared lock on `<data dir>.users`; the one
/// that leaves last (finds no other holder) stops the cluster, whoever started it, so no
/// process ever stops a database another is serving from. Joining and leaving happen under
/// an exclusive lock on `<data dir>.lock`, so a process never joins a cluster that is being
/// stopped. The kernel drops a process's locks when it dies, however it dies: a crashed
/// user neither keeps the cluster up for ever nor blocks the next start (and PostgreSQL
/// itself recovers from a `postmaster.pid` that a killed server left).
#[derive(Debug)]
pub struct ClusterUse {
    cluster: LocalCluster,
    users: File,
}

impl ClusterUse {
    /// Stops using the cluster, and stops the cluster when no other process uses it.
    pub async fn leave(self) -> Result<(), LocalClusterError> {
        let control = lock_exclusively(self.cluster.sibling(".lock")).await?;
        let users_path = self.cluster.sibling(".users");
        drop(self.users);
        let probe = open_lock_file(&users_path)?;
        match probe.try_lock() {
            Ok(()) => self.cluster.stop().await?,
            Err(TryLockError::WouldBlock) => tracing::info!(
                data_dir = %self.cluster.data_dir.display(),
                "local PostgreSQL left running: another process uses it"
            ),
            Err(TryLockError::Error(error)) => return Err(io_error(&users_path)(error)),
        }
        drop(control);
        Ok(())
    }
}

fn open_lock_file(path: &Path) -> Result<File, LocalClusterError> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io_error(path))
}

/// Waits (off the async workers: another process may hold it while PostgreSQL starts or
/// stops) for the exclusive lock on `path`, held until the file is dropped.
async fn lock_exclusively(path: PathBuf) -> Result<File, LocalClusterError> {
    let waited = path.clone();
    tokio::task::spawn_blocking(move || {
        let file = open_lock_file(&path)?;
        file.lock().map_err(io_error(&path))?;
        Ok(file)
    })
    .await
    .map_err(|error| LocalClusterError::Io {
        path: waited,
        source: std::io::Error::other(error),
    })?
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn command_failed(command: &str, output: &Output) -> LocalClusterError {
    LocalClusterError::Command {
        command: command.to_owned(),
        detail: output_text(output),
    }
}

fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr).trim(),
        String::from_utf8_lossy(&output.stdout).trim()
    )
}

/// Root is the owner of our own /proc entry: no libc call (and no unsafe) needed.
pub(crate) fn is_root() -> Result<bool, LocalClusterError> {
    let me = Path::new("/proc/self");
    Ok(std::fs::metadata(me).map_err(io_error(me))?.uid() == 0)
}

pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
