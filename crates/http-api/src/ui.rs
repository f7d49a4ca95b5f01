//! The web UI: static files compiled into the binary (no build step), an SPA shell for the
//! page routes, and security headers that forbid inline script and framing.
//!
//! Loads are made cheap once, at startup: every file is gzipped, and served under
//! `/static/{version}/…`, where the version is a hash of all of them, so a browser keeps
//! them for a year without asking again and a new build is new URLs. The shell (which names
//! that path) and the unversioned `/static/{name}` are revalidated on each load instead,
//! with strong ETags, so an unchanged file costs a `304`.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use flate2::Compression;
use sha2::{Digest, Sha256};

use crate::encoding::{accepts_gzip, gzip, header_items, hex};
use crate::error::ApiError;

/// A file as written in `static/`.
struct Source {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! source {
    ($name:literal, $content_type:expr) => {
        Source {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../static/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const SOURCES: [Source; 13] = [
    source!("boot.js", JS),
    source!("app.js", JS),
    source!("api.js", JS),
    source!("chat.js", JS),
    source!("dom.js", JS),
    source!("message.js", JS),
    source!("share.js", JS),
    source!("usage.js", JS),
    source!("markdown.js", JS),
    source!("vendor/marked.esm.js", JS),
    source!("vendor/purify.es.mjs", JS),
    source!("app.css", "text/css; charset=utf-8"),
    source!("favicon.svg", "image/svg+xml"),
];
const SHELL: &str = include_str!("../static/index.html");
/// The page of a shared link, and of every link that opens nothing.
const SHARE_SHELL: &str = include_str!("../static/share.html");
/// Where the share page takes its chat (JSON), and what it shows until its script has run.
const CHAT_MARK: &str = "{{chat}}";
const MAIN_MARK: &str = "{{main}}";
const SHARE_LOADING: &str =
    r#"<p class="loading">Loading…</p><noscript>This page needs JavaScript.</noscript>"#;
const SHARE_MISSING: &str = "<section class=\"page\"><h1>This link does not work</h1>\
    <p>It was mistyped, or whoever shared the chat has taken the link back.</p></section>";
/// Modules only the share page loads: the app's pages do not fetch them ahead.
const SHARE_ONLY: [&str; 1] = ["share.js"];
/// Where the shell names the versioned path, and lists the modules to fetch at once.
const STATIC_MARK: &str = "{{static}}";
const PRELOADS_MARK: &str = "{{modulepreloads}}";

/// Only our own files; no inline script or style, no plugins, no framing by other sites.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Versioned files never change under their URL.
const FOREVER: &str = "public, max-age=31536000, immutable";
/// Unversioned files may change with any new binary: asked again (cheaply) on each use.
const REVALIDATE: &str = "no-cache";

/// One file ready to serve: as is and gzipped (when that is smaller), with their ETags.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    identity: Vec<u8>,
    gzip: Option<Vec<u8>>,
    etag: String,
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, body: Vec<u8>) -> Asset {
        let gzip = gzip(&body, Compression::best()).filter(|packed| packed.len() < body.len());
        let etag = hex(&Sha256::digest(&body)[..12]);
        Asset {
            name,
            content_type,
            identity: body,
            gzip,
            etag,
        }
    }
}

struct Ui {
    version: String,
    shell: Asset,
    /// [`SHARE_SHELL`] with its static path filled in, waiting for a chat.
    share_shell: String,
    assets: Vec<Asset>,
}

impl Ui {
    fn build() -> Ui {
        let mut all = Sha256::new();
        for source in &SOURCES {
            all.update(source.name.as_bytes());
            all.update(source.body);
        }
        let version = hex(&all.finalize()[..8]);
        let root = format!("/static/{version}");
        let preloads = SOURCES
            .iter()
            .filter(|source| {
                source.content_type == JS
                    && source.name != "boot.js"
                    && !SHARE_ONLY.contains(&source.name)
            })
            .map(|source| {
                format!(
                    r#"<link rel="modulepreload" href="{root}/{}">"#,
                    source.name
                )
            })
            .collect::<Vec<_>>()
            .join("\n  ");
        let shell = SHELL
            .replace(PRELOADS_MARK, &preloads)
            .replace(STATIC_MARK, &root);
        Ui {
            shell: Asset::new("index.html", "text/html; charset=utf-8", shell.into_bytes()),
            share_shell: SHARE_SHELL.replace(STATIC_MARK, &root),
            assets: SOURCES
                .iter()
                .map(|source| Asset::new(source.name, source.content_type, source.body.to_vec()))
                .collect(),
            version,
        }
    }

    fn find(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|asset| asset.name == name)
    }
}

static UI: LazyLock<Ui> = LazyLock::new(Ui::build);

/// Hashes and compresses the files now, so that the first visitor does not wait for it.
pub fn prepare() {
    LazyLock::force(&UI);
}

fn with_security_headers(mut response: HttpResponseBuilder) -> HttpResponseBuilder {
    response
        .insert_header((
            "content-security-policy",
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header(("x-frame-options", "DENY"));
    response
}

/// Whether `If-None-Match` names `etag` (or `*`); weak or strong, as RFC 9110 compares it.
fn not_modified(request: &HttpRequest, etag: &str) -> bool {
    header_items(request.headers(), header::IF_NONE_MATCH, ',')
        .map(|tag| tag.trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

/// `asset` as the request takes it: gzipped if it can, `304` if it has it already.
fn respond(request: &HttpRequest, asset: &Asset, cache_control: &'static str) -> HttpResponse {
    let gzip = asset.gzip.as_ref().filter(|_| accepts_gzip(request));
    let etag = match gzip {
        Some(_) => format!("\"{}-gz\"", asset.etag),
        None => format!("\"{}\"", asset.etag),
    };
    let status = if not_modified(request, &etag) {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let mut response = with_security_headers(HttpResponse::build(status));
    response
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "accept-encoding"))
        .insert_header((header::ETAG, etag));
    if status == StatusCode::NOT_MODIFIED {
        return response.finish();
    }
    response.content_type(asset.content_type);
    match gzip {
        Some(body) => response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(body.clone()),
        None => response.body(asset.identity.clone()),
    }
}

/// `GET /` and the page routes (`/events/{id}`): the single-page shell.
pub async fn page(request: HttpRequest) -> HttpResponse {
    respond(&request, &UI.shell, REVALIDATE)
}

/// The page of a shared link showing `chat` (JSON), which is put into a `<script
/// type="application/json">` with `<`, `>` and `&` escaped, so no text of the chat can end
/// that element or become markup.
pub fn share_page(request: &HttpRequest, chat: &str) -> HttpResponse {
    let chat = chat
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let html = UI
        .share_shell
        .replace(MAIN_MARK, SHARE_LOADING)
        .replace(CHAT_MARK, &chat);
    let mut response = with_security_headers(HttpResponse::Ok());
    response.content_type("text/html; charset=utf-8");
    if accepts_gzip(request)
        && let Some(packed) = gzip(html.as_bytes(), Compression::fast())
    {
        return response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .insert_header((header::VARY, "accept-encoding"))
            .body(packed);
    }
    response.body(html)
}

/// The one answer for a link that opens nothing: unknown, revoked or malformed alike.
pub fn share_missing() -> HttpResponse {
    let html = UI
        .share_shell
        .replace(MAIN_MARK, SHARE_MISSING)
        .replace(CHAT_MARK, "null");
    with_security_headers(HttpResponse::NotFound())
        .content_type("text/html; charset=utf-8")
        .body(html)
}

/// `GET /static/{version}/{name}` (kept a year) and `GET /static/{name}` (revalidated);
/// `name` may be `vendor/…`.
pub async fn asset(
    request: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ui = &*UI;
    let (asset, cache_control) = match name.split_once('/') {
        Some((version, rest)) if version == ui.version => (ui.find(rest), FOREVER),
        _ => (ui.find(&name), REVALIDATE),
    };
    let asset = asset.ok_or_else(|| ApiError::NotFound("no such file".into()))?;
    Ok(respond(&request, asset, cache_control))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use actix_web::test::{TestRequest, call_service, init_service, read_body};
    use actix_web::{App, web};

    use super::*;

    async fn get(
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
        let app = init_service(
            App::new()
                .route("/", web::get().to(page))
                .route("/static/{name:.*}", web::get().to(asset)),
        )
        .await;
        let mut request = TestRequest::get().uri(path);
        for &(name, value) in headers {
            request = request.insert_header((name, value));
        }
        let response = call_service(&app, request.to_request()).await;
        let status = response.status();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        (status, headers, read_body(response).await.to_vec())
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[actix_web::test]
    async fn the_shell_names_every_module_under_the_versioned_path_and_revalidates() {
        let (status, headers, body) = get("/", &[]).await;
        assert_eq!(status, StatusCode::OK);
        let html = String::from_utf8(body).unwrap();
        let root = format!("/static/{}/", UI.version);
        assert!(!html.contains("{{"), "{html}");
        for source in SOURCES
            .iter()
            .filter(|s| s.content_type == JS && !SHARE_ONLY.contains(&s.name))
        {
            assert!(
                html.contains(&format!("{root}{}", source.name)),
                "{} in {html}",
                source.name
            );
        }
        assert!(html.contains(&format!(
            r#"<script type="module" async src="{root}boot.js">"#
        )));
        assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
        assert!(header(&headers, "content-security-policy").is_some());
    }

    #[actix_web::test]
    async fn versioned_files_are_kept_a_year_and_gzipped_for_who_takes_it() {
        let path = format!("/static/{}/chat.js", UI.version);
        let (status, headers, body) = get(&path, &[("accept-encoding", "br, gzip;q=0.8")]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header(&headers, "cache-control"), Some(FOREVER));
        assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
        assert_eq!(header(&headers, "vary"), Some("accept-encoding"));
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(body.as_slice())
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, include_bytes!("../static/chat.js"));
        assert!(
            body.len() * 2 < unpacked.len(),
            "{} of {}",
            body.len(),
            unpacked.len()
        );

        for refused in ["gzip;q=0", "identity", "br"] {
            let (_, headers, body) = get(&path, &[("accept-encoding", refused)]).await;
            assert_eq!(header(&headers, "content-encoding"), None, "{refused}");
            assert_eq!(body, include_bytes!("../static/chat.js"), "{refused}");
        }
    }

    #[actix_web::test]
    async fn a_file_the_browser_has_is_a_304_without_a_body() {
        for path in [
            "/".to_owned(),
            "/static/app.css".to_owned(),
            format!("/static/{}/app.css", UI.version),
        ] {
            let (_, headers, _) = get(&path, &[("accept-encoding", "gzip")]).await;
            let etag = header(&headers, "etag").unwrap().to_owned();
            assert!(etag.starts_with('"') && etag.ends_with("-gz\""), "{etag}");
            let (status, headers, body) = get(
                &path,
                &[
                    ("accept-encoding", "gzip"),
                    ("if-none-match", &format!("\"other\", W/{etag}")),
                ],
            )
            .await;
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
            assert!(body.is_empty());
            assert_eq!(header(&headers, "etag"), Some(etag.as_str()));
            // The same tag names the gzipped bytes only: the plain ones are sent again.
            let (status, _, _) = get(&path, &[("if-none-match", &etag)]).await;
            assert_eq!(status, StatusCode::OK, "{path}");
        }
    }

    #[actix_web::test]
    async fn another_version_or_an_unknown_file_is_a_404() {
        for path in [
            "/static/0123456789abcdef/app.js",
            "/static/nope.js",
            "/static/vendor/",
        ] {
            let (status, _, _) = get(path, &[]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        let (status, headers, _) = get("/static/vendor/marked.esm.js", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header(&headers, "cache-control"), Some(REVALIDATE));
    }
}
