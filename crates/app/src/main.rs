use std::io::IsTerminal;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use app::cli::{Cli, Command, LogFormat};

/// One thread: the HTTP workers are threads of their own, and answers are generated on them;
/// this one only starts the app, keeps its leases and stops it.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    // A missing .env is normal; a broken one is worth knowing about.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("ignoring .env: {error}");
    }
    let cli = Cli::parse();
    init_logs(cli.log_format);
    // Each open chat stream holds two sockets (client and model): let the process use all
    // the descriptors the hard limit allows.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open file limit"),
        Err(error) => tracing::warn!(%error, "could not raise the open file limit"),
    }
    let command = cli.command.unwrap_or(Command::Serve);
    let settings = cli.into();
    match command {
        Command::Serve => app::serve(settings).await,
        Command::Migrate => app::migrate(settings).await,
    }
}

/// Logs go to stderr: as text, coloured only for a person at a terminal (never escape codes
/// in a file or a collector), or one JSON object per line.
fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        // One line per finished request span from the HTTP logger: method, path, status, time.
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().init(),
    }
}
