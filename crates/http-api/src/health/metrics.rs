use actix_web::HttpResponse;
use actix_web::http::header;
use prometheus::{Encoder, TextEncoder};

use crate::state::State;

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, content_type = "text/plain; version=0.0.4", body = String,
        description = "Prometheus text format: `aidstation_open_streams`, `aidstation_answers_generating`, \
            `aidstation_turns_total{outcome}`, `aidstation_model_first_token_seconds`, \
            `aidstation_answer_duration_seconds`, `aidstation_db_pool_{in_use,waiting,max}`, \
            `aidstation_reaped_runs_total`, `aidstation_resumes_total`")))]
pub async fn metrics(state: State) -> HttpResponse {
    let metrics = &state.metrics;
    let usage = state.health.usage();
    metrics.generating.set(gauge_value(state.runs.running()));
    metrics.pool_in_use.set(gauge_value(usage.in_use));
    metrics.pool_waiting.set(gauge_value(usage.waiting));
    metrics.pool_max.set(gauge_value(usage.max));
    let encoder = TextEncoder::new();
    let mut text = Vec::new();
    if let Err(error) = encoder.encode(&metrics.registry.gather(), &mut text) {
        let error = &error as &dyn std::error::Error;
        tracing::error!(error, "encoding the metrics failed");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, encoder.format_type()))
        .body(text)
}

fn gauge_value(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
