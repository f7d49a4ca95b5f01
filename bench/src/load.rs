//! A closed-loop load generator: `clients` tasks each send one request after the other for a
//! warm-up (not counted), then for the measured period.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// One request as the client saw it.
pub struct Sample {
    pub latency: Duration,
    /// For chat turns: time to the `session_id` event.
    pub first_event: Option<Duration>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    pub clients: usize,
    pub requests: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub first_event_p50_ms: Option<f64>,
    pub first_event_p99_ms: Option<f64>,
    pub measured_secs: f64,
}

struct Tally {
    latency: Histogram<u64>,
    first_event: Histogram<u64>,
    errors: u64,
}

fn histogram() -> Histogram<u64> {
    // Microseconds, 1 µs to 10 min, 3 significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

fn millis(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

pub async fn run<F, Fut>(
    clients: usize,
    warmup: Duration,
    measure: Duration,
    request: F,
) -> LoadResult
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Sample, String>> + Send,
{
    let request = Arc::new(request);
    let start = Instant::now();
    let measure_from = start + warmup;
    let stop_at = measure_from + measure;
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut tally = Tally {
                    latency: histogram(),
                    first_event: histogram(),
                    errors: 0,
                };
                let mut first_error = None;
                while Instant::now() < stop_at {
                    let began = Instant::now();
                    let outcome = request(client).await;
                    if began < measure_from || Instant::now() > stop_at {
                        continue;
                    }
                    match outcome {
                        Ok(sample) => {
                            let _ = tally
                                .latency
                                .record(sample.latency.as_micros().max(1) as u64);
                            if let Some(first) = sample.first_event {
                                let _ = tally.first_event.record(first.as_micros().max(1) as u64);
                            }
                        }
                        Err(error) => {
                            tally.errors += 1;
                            first_error.get_or_insert(error);
                        }
                    }
                }
                if let Some(error) = first_error {
                    eprintln!(
                        "  client {client}: {} error(s), first: {error}",
                        tally.errors
                    );
                }
                tally
            })
        })
        .collect();
    let mut total = Tally {
        latency: histogram(),
        first_event: histogram(),
        errors: 0,
    };
    for task in tasks {
        if let Ok(tally) = task.await {
            let _ = total.latency.add(&tally.latency);
            let _ = total.first_event.add(&tally.first_event);
            total.errors += tally.errors;
        }
    }
    let requests = total.latency.len();
    let has_first = !total.first_event.is_empty();
    LoadResult {
        clients,
        requests,
        errors: total.errors,
        per_second: requests as f64 / measure.as_secs_f64(),
        p50_ms: millis(&total.latency, 0.5),
        p99_ms: millis(&total.latency, 0.99),
        first_event_p50_ms: has_first.then(|| millis(&total.first_event, 0.5)),
        first_event_p99_ms: has_first.then(|| millis(&total.first_event, 0.99)),
        measured_secs: measure.as_secs_f64(),
    }
}
