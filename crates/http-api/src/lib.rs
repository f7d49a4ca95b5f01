//! The HTTP face of aidstation: actix-web routes over the domain's services, problem+json
//! errors, CORS for the original planner's frontend, and request logging.

mod access;
mod chat_answers;
mod chat_search;
mod chat_sessions;
mod chat_stats;
mod chat_transfer;
mod chat_turns;
mod deleted;
mod encoding;
mod error;
mod events;
mod extract;
#[cfg(test)]
mod fuzz;
mod generations;
mod health;
mod keeper;
mod metrics;
mod openapi;
mod routes;
mod runs;
mod schema;
mod serde_util;
mod shares;
mod sse;
mod state;
mod timestamp;
mod ui;
mod waypoints;
mod words;

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{App, HttpResponse, HttpServer, ResponseError, web};
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;

pub use chat_transfer::pdf::set_fallback_font as set_pdf_fallback_font;
pub use error::ApiError;
pub use generations::Generations;
pub use metrics::Metrics;
pub use runs::{Runs, RunsConfig};
pub use state::{AppState, HttpConfig};

/// Starts serving on `listener` (bound by the caller, so tests can use port 0); await the
/// returned [`Server`] to run it. It installs no signal handlers: the caller stops it through
/// its handle, after letting running generations finish (see [`Generations::shutdown`]).
pub fn serve(
    listener: TcpListener,
    state: AppState,
    config: HttpConfig,
) -> std::io::Result<Server> {
    let document = routes::ApiDoc::openapi();
    let openapi = web::Data::new(
        openapi::OpenApiJson::new(&document, state.chat.limits().max_message_chars)
            .map_err(std::io::Error::other)?,
    );
    let state = web::Data::new(state);
    keeper::keep(&state);
    let gate = web::Data::new(access::Gate::new(config.access_token.as_ref()));
    let workers = config.workers;
    let grace = config.shutdown_grace;
    let client_request_timeout = config.client_request_timeout;
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(access::guard))
            .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
            .wrap(cors(&config.cors_allowed_origins))
            .wrap(TracingLogger::default())
            .app_data(state.clone())
            .app_data(gate.clone())
            .app_data(openapi.clone())
            .app_data(extract::BodyLimit(config.max_body_bytes))
            .app_data(extract::BodyTimeout(config.client_request_timeout))
            .app_data(web::PayloadConfig::new(config.max_body_bytes))
            .app_data(web::QueryConfig::default().error_handler(|error, _| {
                ApiError::Malformed(format!(
                    "bad query string: {}",
                    extract::humanize(&error.to_string())
                ))
                .into()
            }))
            .configure(|cfg| routes::configure(cfg, &document))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::NotFound("no such endpoint".into()))
            }))
    })
    .shutdown_timeout(grace.as_secs())
    // The request head (line and headers) must arrive within this; actix answers 408. Its
    // size is bounded by actix too (431 beyond its buffer or 96 headers).
    .client_request_timeout(client_request_timeout)
    // Chat streams are many small writes: with Nagle's algorithm each waits for the client's
    // delayed ACK (~40 ms a turn, measured by the bench).
    .tcp_nodelay(true)
    // Each open chat stream is a connection: the descriptor limit is the real bound, not
    // actix's default of 25,000 per worker.
    .max_connections(1 << 20)
    .disable_signals()
    // HTTP/1.1, or HTTP/2 without TLS for clients and proxies that speak it (prior
    // knowledge): many chat streams on one connection, rather than a descriptor each.
    .listen_auto_h2c(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::AUTHORIZATION,
            header::CACHE_CONTROL,
        ])
        .max_age(3600);
    if origins.iter().any(|origin| origin == "*") {
        return cors.allow_any_origin();
    }
    origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}

/// Errors actix answers itself (CORS refusals, a payload error before our extractor)
/// come without a body of ours; give them the same problem+json as ours.
fn problem_for_bare_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Ours already: a problem, or a page (only the app's own pages are HTML).
    let is_ours = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| {
            let value = value.as_bytes();
            value.starts_with(error::PROBLEM_JSON.as_bytes()) || value.starts_with(b"text/html")
        });
    if is_ours || !(res.status().is_client_error() || res.status().is_server_error()) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound("no such endpoint".into()),
        s if s.is_server_error() => ApiError::Internal,
        s => ApiError::Malformed(s.canonical_reason().unwrap_or("bad request").to_lowercase()),
    };
    let mut problem = error.error_response();
    *problem.status_mut() = status;
    Ok(ErrorHandlerResponse::Response(
        res.into_response(problem).map_into_right_body(),
    ))
}
