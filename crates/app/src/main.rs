use std::io::IsTerminal;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use app::cli::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // A missing .env is normal; a broken one is worth knowing about.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("ignoring .env: {error}");
    }
    tracing_subscriber::fmt()
        // One line per finished request span from the HTTP logger: method, path, status, time.
        .with_span_events(FmtSpan::CLOSE)
        // Colours for a person at a terminal, never escape codes in a file or a collector.
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    // Each open chat stream holds two sockets (client and model): let the process use all
    // the descriptors the hard limit allows.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open file limit"),
        Err(error) => tracing::warn!(%error, "could not raise the open file limit"),
    }
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    let settings = cli.into();
    match command {
        Command::Serve => app::serve(settings).await,
        Command::Migrate => app::migrate(settings).await,
    }
}
