//! What an operator watches, in Prometheus' text format at `GET /metrics`
//! (`health/metrics.rs`): open streams,
//! answers this instance is writing, turns by how they ended, the model's time to first
//! token and answer duration, the database pool, reaped runs and resumed streams.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

pub struct Metrics {
    pub registry: Registry,
    pub open_streams: IntGauge,
    pub generating: IntGauge,
    pub turns: IntCounterVec,
    pub first_token: Histogram,
    pub answer_duration: Histogram,
    pub pool_in_use: IntGauge,
    pub pool_waiting: IntGauge,
    pub pool_max: IntGauge,
    pub reaped: IntCounter,
    pub resumes: IntCounter,
}

/// Seconds: from a fast local model to one that thinks for a minute.
const SECONDS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("aidstation".into()), None)?;
        let gauge = |name: &str, help: &str| -> Result<IntGauge, prometheus::Error> {
            let gauge = IntGauge::new(name, help)?;
            registry.register(Box::new(gauge.clone()))?;
            Ok(gauge)
        };
        let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
            let counter = IntCounter::new(name, help)?;
            registry.register(Box::new(counter.clone()))?;
            Ok(counter)
        };
        let histogram = |name: &str, help: &str| -> Result<Histogram, prometheus::Error> {
            let histogram =
                Histogram::with_opts(HistogramOpts::new(name, help).buckets(SECONDS.to_vec()))?;
            registry.register(Box::new(histogram.clone()))?;
            Ok(histogram)
        };
        let turns = IntCounterVec::new(
            Opts::new(
                "turns_total",
                "Chat turns by how their answer ended: complete, an interruption code, or not_saved",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(turns.clone()))?;
        Ok(Self {
            open_streams: gauge("open_streams", "Answer streams open to clients")?,
            generating: gauge("answers_generating", "Answers this instance is writing")?,
            turns,
            first_token: histogram(
                "model_first_token_seconds",
                "From asking the model to its first piece of text",
            )?,
            answer_duration: histogram(
                "answer_duration_seconds",
                "From asking the model to the answer's last write",
            )?,
            pool_in_use: gauge("db_pool_in_use", "Database connections checked out")?,
            pool_waiting: gauge("db_pool_waiting", "Calls waiting for a database connection")?,
            pool_max: gauge("db_pool_max", "Most database connections open at once")?,
            reaped: counter(
                "reaped_runs_total",
                "Answers whose writer stopped, marked interrupted by this instance",
            )?,
            resumes: counter(
                "resumes_total",
                "Answer streams resumed (GET /api/chat/messages/{id}/stream)",
            )?,
            registry,
        })
    }
}
