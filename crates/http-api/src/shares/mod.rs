//! Read-only links to a chat: made, listed and revoked from the chat (`/api/chat/sessions/
//! {id}/shares`), read by whoever has the token (`/api/shares/{token}` and the page
//! `/s/{token}`). Every response that holds or takes a token is kept out of caches, search
//! engines and `Referer` headers.

pub mod create;
pub mod dto;
pub mod list;
pub mod page;
pub mod read;
pub mod revoke;

use actix_web::middleware::DefaultHeaders;

/// The headers of every response about a token, errors included.
pub fn private() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("cache-control", "no-store"))
        .add(("x-robots-tag", "noindex"))
        .add(("referrer-policy", "no-referrer"))
}

/// Whether `path` (a route's template) is one of those.
pub fn is_private(path: &str) -> bool {
    path.contains("/shares") || path.starts_with("/s/")
}
