use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use crate::access::cookie;

/// `DELETE /api/auth/session`: forgets the session cookie in this browser.
#[utoipa::path(delete, path = "/api/auth/session", tag = "auth",
    responses((status = 204, description = "Signed out: the session cookie is cleared")))]
pub async fn sign_out(request: HttpRequest) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::SET_COOKIE, cookie(&request, "", 0)))
        .finish()
}
