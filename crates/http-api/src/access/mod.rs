//! The optional access token (`AIDSTATION_TOKEN`): when it is set, every `/api` call but the
//! share links and the sign-in itself needs `Authorization: Bearer <token>` or the session
//! cookie that signing in sets. Health, metrics, pages, static files and share pages stay
//! open (the pages hold no data; their API calls are what is guarded).
//!
//! Both credentials are compared as SHA-256 digests in constant time, and wrong ones are
//! counted per client address: past [`MAX_STRIKES`] in a [`WINDOW`], that address gets 429
//! until the window ends, the right token included, so guessing stays slow.

pub mod sign_in;
pub mod sign_out;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, ResponseError, web};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::encoding::{header_items, hex};
use crate::error::ApiError;

/// Wrong tokens one client address may send per window.
pub const MAX_STRIKES: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// The session cookie signing in sets.
pub const COOKIE: &str = "aidstation_session";
/// How long a browser keeps the cookie: a month.
const COOKIE_MAX_AGE: u64 = 30 * 24 * 3600;
/// Addresses remembered before the ones whose window has ended are forgotten.
const REMEMBERED: usize = 10_000;

/// The token as this instance checks it, and the strikes against each client address.
pub struct Gate {
    token: Option<Keys>,
    strikes: Mutex<HashMap<IpAddr, Strikes>>,
}

struct Keys {
    bearer: [u8; 32],
    /// The cookie's value: derived from the token, so the token itself never sits in a
    /// browser's cookie jar, and changing the token signs every browser out.
    cookie: String,
}

#[derive(Clone, Copy)]
struct Strikes {
    since: Instant,
    count: u32,
}

/// What a request presented.
enum Credential<'a> {
    None,
    Bearer(&'a str),
    Cookie(&'a str),
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl Gate {
    pub fn new(token: Option<&SecretString>) -> Self {
        Self {
            token: token.map(|token| {
                let token = token.expose_secret();
                Keys {
                    bearer: digest(token),
                    cookie: hex(&digest(&format!("aidstation session\n{token}"))),
                }
            }),
            strikes: Mutex::new(HashMap::new()),
        }
    }

    pub fn is_required(&self) -> bool {
        self.token.is_some()
    }

    /// Whether `presented` is the token (true when none is set).
    fn is_token(&self, presented: &str) -> bool {
        self.token
            .as_ref()
            .is_none_or(|keys| bool::from(digest(presented).ct_eq(&keys.bearer)))
    }

    fn is_cookie(&self, presented: &str) -> bool {
        self.token
            .as_ref()
            .is_none_or(|keys| bool::from(digest(presented).ct_eq(&digest(&keys.cookie))))
    }

    /// `Err(TooManyAttempts)` while `client` is locked out.
    fn check_lock(&self, client: Option<IpAddr>) -> Result<(), ApiError> {
        let Some(client) = client else { return Ok(()) };
        let strikes = self
            .strikes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match strikes.get(&client) {
            Some(s) if s.count >= MAX_STRIKES && s.since.elapsed() < WINDOW => {
                Err(ApiError::TooManyAttempts(
                    WINDOW.saturating_sub(s.since.elapsed()).as_secs().max(1),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Counts a wrong token against `client`.
    fn strike(&self, client: Option<IpAddr>) {
        let Some(client) = client else { return };
        let mut strikes = self
            .strikes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if strikes.len() >= REMEMBERED {
            strikes.retain(|_, s| s.since.elapsed() < WINDOW);
        }
        let now = Instant::now();
        let entry = strikes.entry(client).or_insert(Strikes {
            since: now,
            count: 0,
        });
        if entry.since.elapsed() >= WINDOW {
            *entry = Strikes {
                since: now,
                count: 0,
            };
        }
        entry.count += 1;
        if entry.count == MAX_STRIKES {
            tracing::warn!(%client, "too many wrong access tokens: refused for a while");
        }
    }

    /// Checks a token given to sign in, counting it against `client` when wrong.
    fn sign_in(&self, client: Option<IpAddr>, token: &str) -> Result<(), ApiError> {
        self.check_lock(client)?;
        if self.is_token(token) {
            Ok(())
        } else {
            self.strike(client);
            Err(ApiError::Unauthorized("that is not the access token"))
        }
    }

    /// The `Set-Cookie` of a signed-in browser (`Secure` when it came over https).
    fn session_cookie(&self, request: &HttpRequest) -> Option<String> {
        let keys = self.token.as_ref()?;
        Some(cookie(request, &keys.cookie, COOKIE_MAX_AGE))
    }
}

/// A `Set-Cookie` value for the session cookie. Written by hand (one fixed shape): the
/// cookie feature of actix-web would bring a date-time crate for nothing else.
fn cookie(request: &HttpRequest, value: &str, max_age: u64) -> String {
    let secure = if request.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The session cookie's value in a request's `Cookie` headers.
fn cookie_value(request: &ServiceRequest) -> Option<&str> {
    header_items(request.headers(), header::COOKIE, ';')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(name, value)| (name == COOKIE).then_some(value))
}

fn credential(request: &ServiceRequest) -> Credential<'_> {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    match (bearer, cookie_value(request)) {
        (Some(token), _) => Credential::Bearer(token),
        (None, Some(value)) => Credential::Cookie(value),
        (None, None) => Credential::None,
    }
}

/// Whether `path` (a request's, or a route's template) needs the token (when one is set).
pub fn is_guarded(path: &str) -> bool {
    path.starts_with("/api/")
        && !path.starts_with("/api/shares/")
        && !path.starts_with("/api/auth/")
}

/// The middleware: passes what is open or carries the token, answers the rest 401 (429
/// while the client is locked out).
pub async fn guard(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let gate = request.app_data::<web::Data<Gate>>().cloned();
    let Some(gate) = gate.filter(|gate| gate.is_required() && is_guarded(request.path())) else {
        return Ok(next.call(request).await?.map_into_left_body());
    };
    let client = request.peer_addr().map(|address| address.ip());
    let verdict = gate.check_lock(client).and_then(|()| match credential(&request) {
        Credential::Bearer(token) if gate.is_token(token) => Ok(()),
        Credential::Cookie(value) if gate.is_cookie(value) => Ok(()),
        Credential::None => Err(ApiError::Unauthorized(
            "this aidstation needs its access token: sign in, or send Authorization: Bearer <token>",
        )),
        Credential::Bearer(_) | Credential::Cookie(_) => {
            gate.strike(client);
            Err(ApiError::Unauthorized("the access token is wrong (or has changed): sign in again"))
        }
    });
    match verdict {
        Ok(()) => Ok(next.call(request).await?.map_into_left_body()),
        Err(refused) => Ok(request
            .into_response(refused.error_response())
            .map_into_right_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strikes_lock_a_client_out_for_the_window_and_no_one_else() {
        let gate = Gate::new(Some(&SecretString::from("right")));
        let (one, other) = (
            Some(IpAddr::from([10, 0, 0, 1])),
            Some(IpAddr::from([10, 0, 0, 2])),
        );
        for _ in 0..MAX_STRIKES {
            assert!(gate.check_lock(one).is_ok());
            assert!(gate.sign_in(one, "wrong").is_err());
        }
        assert!(matches!(
            gate.sign_in(one, "right"),
            Err(ApiError::TooManyAttempts(1..=60))
        ));
        assert!(gate.sign_in(other, "right").is_ok());
    }

    #[test]
    fn only_the_api_is_guarded_and_not_its_open_doors() {
        for open in [
            "/",
            "/events/x",
            "/static/app.js",
            "/s/abc",
            "/healthz",
            "/readyz",
            "/metrics",
            "/api/shares/abc",
            "/api/auth/session",
            "/apix",
        ] {
            assert!(!is_guarded(open), "{open}");
        }
        for guarded in [
            "/api/events",
            "/api/chat",
            "/api/openapi.json",
            "/api/chat/sessions/x/shares",
        ] {
            assert!(is_guarded(guarded), "{guarded}");
        }
    }
}
