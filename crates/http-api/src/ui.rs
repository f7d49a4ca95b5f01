//! The web UI: static files compiled into the binary (no build step), an SPA shell for the
//! page routes, and security headers that forbid inline script and framing.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, web};

use crate::error::ApiError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../static/", $name)),
        }
    };
}

const INDEX: &[u8] = include_bytes!("../static/index.html");
const ASSETS: [Asset; 9] = [
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("api.js", "text/javascript; charset=utf-8"),
    asset!("chat.js", "text/javascript; charset=utf-8"),
    asset!("dom.js", "text/javascript; charset=utf-8"),
    asset!("markdown.js", "text/javascript; charset=utf-8"),
    asset!("vendor/marked.esm.js", "text/javascript; charset=utf-8"),
    asset!("vendor/purify.es.mjs", "text/javascript; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
];

/// Only our own files; no inline script or style, no plugins, no framing by other sites.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn with_security_headers(mut response: HttpResponseBuilder) -> HttpResponseBuilder {
    response
        .insert_header((
            "content-security-policy",
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header(("x-frame-options", "DENY"))
        // Small files, always revalidated: a new binary never serves a stale UI.
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    response
}

/// `GET /` and the page routes (`/events/{id}`): the single-page shell.
pub async fn page() -> HttpResponse {
    with_security_headers(HttpResponse::Ok())
        .content_type("text/html; charset=utf-8")
        .body(INDEX)
}

/// `GET /static/{name}` (also `vendor/…`).
pub async fn asset(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.name == name.as_str())
        .ok_or_else(|| ApiError::NotFound("no such file".into()))?;
    Ok(with_security_headers(HttpResponse::Ok())
        .content_type(asset.content_type)
        .body(asset.body))
}
