//! A fake OpenAI-compatible server for trying aidstation by hand or load-testing it without
//! a real model: `cargo run -p test-support --bin fake-openai -- --port 9999 --deltas 20
//! --delay-ms 50`, then run aidstation with `OPENAI_BASE_URL=http://127.0.0.1:9999/v1`.

use std::time::Duration;

use clap::Parser;
use test_support::fake_openai::{Behavior, FakeOpenAi};

#[derive(Parser)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 9999)]
    port: u16,
    /// Pieces in each answer.
    #[arg(long, default_value_t = 20)]
    deltas: usize,
    /// Pause before each piece.
    #[arg(long, default_value_t = 50)]
    delay_ms: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let words = ["Start ", "conservatively, ", "walk ", "the ", "climbs, "];
    let deltas: Vec<String> = (0..args.deltas)
        .map(|i| words[i % words.len()].to_owned())
        .collect();
    let behavior = Behavior::Answer {
        deltas,
        delay: Duration::from_millis(args.delay_ms),
    };
    let server = FakeOpenAi::bind(&format!("127.0.0.1:{}", args.port), behavior).await?;
    eprintln!("fake OpenAI server at {}", server.base_url);
    tokio::signal::ctrl_c().await
}
