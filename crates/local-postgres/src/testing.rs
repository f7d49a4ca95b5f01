//! Test support (feature `testing`): one throwaway cluster per test process, and a fresh
//! database per test cloned from a template migrated once, so tests run in parallel without
//! seeing each other's rows. With `TEST_DATABASE_URL` (or `DATABASE_URL`) set, the
//! databases are made on that server instead.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::future::Future;
use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use std::os::unix::process::CommandExt;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use crate::cluster::{Durability, LocalCluster, PgBinaries, is_root, quote_ident};

/// A cluster in a temporary directory that is stopped and deleted when the test process
/// exits, however it exits: a watchdog shell waits on a pipe from this process and cleans
/// up when the pipe closes.
pub struct TestCluster {
    cluster: LocalCluster,
    _watchdog: Mutex<(Child, ChildStdin)>,
}

impl TestCluster {
    /// Creates and starts a new cluster; each call makes a separate one (as a test that
    /// stops its database needs).
    pub async fn start() -> Self {
        let bins = PgBinaries::find().expect("PostgreSQL binaries");
        let dir = tempfile::Builder::new()
            .prefix("aidstation-pg-")
            .tempdir()
            .expect("temp dir")
            .keep();
        let cluster = LocalCluster::new(bins, &dir, Durability::Throwaway).expect("cluster dir");
        let runuser = if is_root().unwrap_or(false) {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let script = format!(
            "read _; {runuser}pg_ctl stop -D '{dir}' -m immediate >/dev/null 2>&1; rm -rf '{dir}'",
            dir = cluster.data_dir().display()
        );
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .env("PATH", path_with_pg_bin())
            .stdin(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("watchdog shell");
        let stdin = child.stdin.take().expect("watchdog stdin");
        cluster.start().await.expect("start test cluster");
        Self {
            cluster,
            _watchdog: Mutex::new((child, stdin)),
        }
    }

    pub fn cluster(&self) -> &LocalCluster {
        &self.cluster
    }

    /// Stops the cluster now (the watchdog still deletes it at exit).
    pub async fn stop(&self) {
        self.cluster.stop().await.expect("stop test cluster");
    }

    /// Starts it again after [`TestCluster::stop`].
    pub async fn restart(&self) {
        self.cluster.start().await.expect("restart test cluster");
    }

    /// Creates a database in this cluster, prepares it with `migrate`, and returns its URL.
    pub async fn migrated_database<E: std::fmt::Debug>(
        &self,
        name: &str,
        migrate: impl Migrate<E>,
    ) -> SecretString {
        self.cluster
            .ensure_database(name)
            .await
            .expect("create database");
        let url = self.cluster.database_url(name);
        migrate(url.clone()).await.expect("migrate");
        url
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if let Ok(watchdog) = self._watchdog.get_mut() {
            let _ = watchdog.1.write_all(b"\n");
        }
    }
}

fn path_with_pg_bin() -> String {
    let bins = PgBinaries::find()
        .map(|b| b.dir_string())
        .unwrap_or_default();
    format!("{bins}:{}", std::env::var("PATH").unwrap_or_default())
}

/// The server that per-test databases are made on, and the template they are cloned from.
struct Server {
    admin_url: SecretString,
    template: String,
    _cluster: Option<TestCluster>,
}

static SHARED: OnceCell<Server> = OnceCell::const_new();
static NEXT: AtomicU32 = AtomicU32::new(0);

/// Runs the embedded migrations on a database given by URL, returning how many ran.
pub trait Migrate<E>: FnOnce(SecretString) -> Self::Done {
    type Done: Future<Output = Result<usize, E>>;
}

impl<E, F: Future<Output = Result<usize, E>>, M: FnOnce(SecretString) -> F> Migrate<E> for M {
    type Done = F;
}

async fn server<E: std::fmt::Debug>(migrate: impl Migrate<E>) -> &'static Server {
    SHARED
        .get_or_init(|| async move {
            let pid = std::process::id();
            let template = format!("aidstation_tpl_{pid}");
            let (admin_url, cluster) = match std::env::var("TEST_DATABASE_URL")
                .or_else(|_| std::env::var("DATABASE_URL"))
            {
                Ok(url) => (SecretString::from(url), None),
                Err(_) => {
                    let cluster = TestCluster::start().await;
                    (cluster.cluster().database_url("postgres"), Some(cluster))
                }
            };
            let mut admin = admin_connection(&admin_url).await;
            diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(&template)))
                .execute(&mut admin)
                .await
                .expect("create template database");
            migrate(with_database(&admin_url, &template))
                .await
                .expect("migrate template");
            Server {
                admin_url,
                template,
                _cluster: cluster,
            }
        })
        .await
}

async fn admin_connection(admin_url: &SecretString) -> AsyncPgConnection {
    AsyncPgConnection::establish(admin_url.expose_secret())
        .await
        .expect("connect to the test server")
}

/// The same server, another database: works for URLs and for key=value strings (where a
/// later `dbname` wins over an earlier one).
fn with_database(admin_url: &SecretString, database: &str) -> SecretString {
    let text = admin_url.expose_secret();
    match url::Url::parse(text) {
        Ok(mut url) if url.scheme().starts_with("postgres") => {
            url.set_path(database);
            url.to_string().into()
        }
        _ => format!("{text} dbname={database}").into(),
    }
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDatabase {
    name: String,
    url: SecretString,
    admin_url: SecretString,
}

impl TestDatabase {
    /// A new database cloned from the template, which `migrate` prepares the first time a
    /// test of this process asks (every caller of a test binary passes the same migrations).
    pub async fn new<E: std::fmt::Debug>(migrate: impl Migrate<E>) -> Self {
        let server = server(migrate).await;
        let name = format!(
            "{}_{}",
            server.template,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = admin_connection(&server.admin_url).await;
        let create = format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&name),
            quote_ident(&server.template)
        );
        // The template refuses to be copied while a connection to it is still closing.
        let mut attempt = 0;
        while let Err(error) = diesel::sql_query(&create).execute(&mut admin).await {
            attempt += 1;
            assert!(attempt < 50, "could not create {name}: {error}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Self {
            url: with_database(&server.admin_url, &name),
            name,
            admin_url: server.admin_url.clone(),
        }
    }

    pub fn url(&self) -> &SecretString {
        &self.url
    }

    /// Runs a query returning one bigint column named `n`, for checking rows in SQL.
    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = AsyncPgConnection::establish(self.url.expose_secret())
            .await
            .expect("connect");
        diesel::sql_query(sql)
            .get_result::<N>(&mut conn)
            .await
            .expect("count query")
            .n
    }

    /// Runs SQL statements (fixtures, fault injection) on the test database.
    pub async fn execute(&self, sql: &str) {
        self.try_execute(sql).await.expect("execute");
    }

    /// Runs SQL statements that the database may refuse (a constraint under test).
    pub async fn try_execute(&self, sql: &str) -> Result<(), String> {
        let mut conn = AsyncPgConnection::establish(self.url.expose_secret())
            .await
            .expect("connect");
        diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, sql)
            .await
            .map_err(|error| error.to_string())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let drop = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&self.name)
        );
        // Drop cannot await, and a runtime may be running on this thread: a plain thread
        // lets the wrapper bring its own.
        let _ = std::thread::spawn(move || blocking::execute(&admin_url, &drop)).join();
    }
}

/// Diesel's synchronous API, kept apart because its method names clash with diesel-async's.
mod blocking {
    use diesel::{Connection, RunQueryDsl};
    use diesel_async::AsyncPgConnection;
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    use secrecy::{ExposeSecret, SecretString};

    pub fn execute(
        url: &SecretString,
        sql: &str,
    ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(url.expose_secret())?;
        Ok(diesel::sql_query(sql).execute(&mut conn)?)
    }
}
