//! The local cluster that `aidstation` starts under its data folder when DATABASE_URL is
//! unset, shared by every process that opens the folder: real `serve` and `migrate`
//! processes, killed and stopped for real. The rule: the cluster stops when the last
//! process that uses it stops, whoever started it.

use std::path::Path;
use std::time::Duration;

use local_postgres::{Durability, LocalCluster, PgBinaries};
use serde_json::{Value, json};
use test_support::fake_openai::{Behavior, FakeOpenAi};

use crate::processes::AppProcess;

const EXIT: Duration = Duration::from_secs(30);

/// A data folder and the fake model its processes use.
struct Folder {
    dir: tempfile::TempDir,
    model: FakeOpenAi,
}

impl Folder {
    async fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            model: FakeOpenAi::start(Behavior::answer(&["Walk ", "the ", "climbs."])).await,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    async fn serve(&self) -> AppProcess {
        AppProcess::start_local(self.path(), &self.model, &[]).await
    }

    /// `aidstation migrate`, which must succeed; its log.
    async fn migrate(&self) -> String {
        let mut command = AppProcess::local_command(self.path(), &self.model, &[]);
        command.arg("migrate");
        let mut migrate = AppProcess::launch(command);
        let status = migrate.exit_status(EXIT).await;
        assert!(status.success(), "{}", migrate.log());
        migrate.log()
    }

    async fn running(&self) -> bool {
        let cluster = LocalCluster::new(
            PgBinaries::find().unwrap(),
            &self.path().join("postgres"),
            Durability::Durable,
        )
        .unwrap();
        cluster.is_running().await.unwrap()
    }

    /// The cluster runs on and `app` still answers from it.
    async fn assert_still_serves(&self, app: &AppProcess, event_id: &str) {
        assert!(self.running().await);
        assert_serves(app, event_id).await;
    }

    /// Stops the last process that uses the cluster, which stops the cluster with it.
    async fn stop_last(&self, app: AppProcess) {
        let log = stop(app).await;
        assert!(log.contains("local PostgreSQL stopped"), "{log}");
        assert!(!self.running().await);
    }
}

async fn create_event(app: &AppProcess, name: &str) -> String {
    let response = reqwest::Client::new()
        .post(app.url("/api/events"))
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let event: Value = response.json().await.unwrap();
    event["id"].as_str().unwrap().to_owned()
}

/// The app answers from its database: the event is there.
async fn assert_serves(app: &AppProcess, event_id: &str) {
    let response = reqwest::get(app.url(&format!("/api/events/{event_id}")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", app.log());
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "{}", app.log());
}

async fn stop(mut app: AppProcess) -> String {
    app.signal("-TERM");
    assert!(app.exit_status(EXIT).await.success(), "{}", app.log());
    app.log()
}

#[tokio::test]
async fn migrate_beside_a_running_server_leaves_its_database_running() {
    let folder = Folder::new().await;
    let server = folder.serve().await;
    let event = create_event(&server, "Hardrock").await;
    let log = folder.migrate().await;
    assert!(!log.contains("local PostgreSQL stopped"), "{log}");
    folder.assert_still_serves(&server, &event).await;
    folder.stop_last(server).await;
}

#[tokio::test]
async fn migrate_alone_starts_the_cluster_and_stops_it_again() {
    let folder = Folder::new().await;
    assert!(folder.migrate().await.contains("local PostgreSQL stopped"));
    assert!(!folder.running().await);
}

#[tokio::test]
async fn a_serve_that_cannot_bind_exits_before_touching_the_cluster() {
    let folder = Folder::new().await;
    let server = folder.serve().await;
    let event = create_event(&server, "Leadville").await;
    let taken = server.base.trim_start_matches("http://").to_owned();

    let second = AppProcess::local_command(folder.path(), &folder.model, &[("BIND_ADDR", &taken)]);
    let mut second = AppProcess::launch(second);
    assert!(!second.exit_status(EXIT).await.success());
    let log = second.log();
    assert!(log.contains("binding"), "{log}");
    assert!(!log.contains("PostgreSQL"), "it touched the cluster: {log}");
    assert_serves(&server, &event).await;
    folder.stop_last(server).await;
}

#[tokio::test]
async fn two_servers_share_the_cluster_which_stops_with_the_last_of_them() {
    let folder = Folder::new().await;
    let first = folder.serve().await;
    let second = folder.serve().await;
    assert_ne!(first.base, second.base);
    let event = create_event(&first, "Badwater").await;
    assert_serves(&second, &event).await;

    // The one that started the cluster stops first: the other keeps its database.
    let log = stop(first).await;
    assert!(log.contains("left running"), "{log}");
    folder.assert_still_serves(&second, &event).await;
    folder.stop_last(second).await;
}

#[tokio::test]
async fn after_kill_9_of_the_server_or_of_postgres_the_next_start_recovers() {
    let folder = Folder::new().await;
    let server = folder.serve().await;
    let event = create_event(&server, "Spartathlon").await;

    // The server dies without a word: the cluster it started runs on, and the next server
    // uses it (and, the only one left, stops it).
    server.signal("-KILL");
    let server = folder.serve().await;
    assert!(server.log().contains("already running"), "{}", server.log());
    assert_serves(&server, &event).await;

    // Now PostgreSQL itself dies with the server: its postmaster.pid stays behind.
    let pid_file = folder.path().join("postgres/postmaster.pid");
    let postmaster = std::fs::read_to_string(&pid_file).unwrap();
    let postmaster = postmaster.lines().next().unwrap().to_owned();
    server.signal("-KILL");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &postmaster])
        .status()
        .unwrap();
    assert!(killed.success());
    for _ in 0..100 {
        if !folder.running().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(pid_file.exists(), "the stale postmaster.pid");
    let server = folder.serve().await;
    assert_serves(&server, &event).await;
    folder.stop_last(server).await;
}
