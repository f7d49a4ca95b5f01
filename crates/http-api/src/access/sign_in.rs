use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use domain::FieldError;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::access::Gate;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;

/// Longer is no access token of ours: refused before any hashing.
const MAX_TOKEN_CHARS: usize = 1000;

#[derive(Deserialize, ToSchema)]
#[schema(as = SignIn)]
pub struct SignInRequest {
    /// The access token the server was started with (`AIDSTATION_TOKEN`).
    #[schema(max_length = 1000)]
    token: String,
}

/// `POST /api/auth/session`: trades the access token for the session cookie (HttpOnly,
/// SameSite=Strict, Secure over https), as the sign-in page does. When no token is set
/// there is nothing to sign in to, and any token is taken.
#[utoipa::path(post, path = "/api/auth/session", tag = "auth", request_body = SignInRequest,
    responses(
        (status = 204, description = "Signed in: the session cookie is set"),
        (status = 401, description = "Not the access token", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "Too many wrong tokens from this address; see `Retry-After`",
            content_type = "application/problem+json", body = Problem),
    ))]
pub async fn sign_in(
    gate: web::Data<Gate>,
    request: HttpRequest,
    JsonBody(body): JsonBody<SignInRequest>,
) -> Result<HttpResponse, ApiError> {
    if body.token.chars().count() > MAX_TOKEN_CHARS {
        return Err(ApiError::Invalid(vec![FieldError::new(
            "token",
            format!("must be at most {MAX_TOKEN_CHARS} characters"),
        )]));
    }
    let client = request.peer_addr().map(|address| address.ip());
    gate.sign_in(client, &body.token)?;
    let mut response = HttpResponse::NoContent();
    if let Some(cookie) = gate.session_cookie(&request) {
        response.insert_header((header::SET_COOKIE, cookie));
    }
    Ok(response.finish())
}
