use diesel::Connection;
use diesel::RunQueryDsl;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::{ExposeSecret, SecretString};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Any fixed number: instances that start together queue on it instead of racing to
/// create the same tables.
const MIGRATION_LOCK_KEY: i64 = 0x6169_6473_7461_7469; // "aidstati"

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("could not connect to the database to migrate it: {0}")]
    Connect(#[source] diesel::ConnectionError),
    #[error("migrating the database failed: {0}")]
    Run(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the migration task did not finish")]
    Join(#[source] tokio::task::JoinError),
}

/// Applies the pending embedded migrations under an advisory lock and returns how many ran.
/// Diesel's migration harness is synchronous, so it runs on a blocking thread through
/// `AsyncConnectionWrapper`, which works on any runtime flavour.
pub async fn run_migrations(database_url: &SecretString) -> Result<usize, MigrationError> {
    let url = database_url.clone();
    tokio::task::spawn_blocking(move || migrate_blocking(url.expose_secret()))
        .await
        .map_err(MigrationError::Join)?
}

fn migrate_blocking(url: &str) -> Result<usize, MigrationError> {
    let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(url)
        .map_err(MigrationError::Connect)?;
    let lock = format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})");
    diesel::sql_query(lock)
        .execute(&mut conn)
        .map_err(|e| MigrationError::Run(Box::new(e)))?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.len())
        .map_err(MigrationError::Run);
    // The lock is also released when the connection closes, which follows right away.
    let unlock = format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})");
    let _ = diesel::sql_query(unlock).execute(&mut conn);
    applied
}
