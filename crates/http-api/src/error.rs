//! The one mapping from failures to HTTP answers: every error leaves as
//! `application/problem+json` with a human `detail`, and nothing internal (SQL, type names,
//! causes) ever reaches the body; causes are logged here, once.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use domain::{FieldError, ServiceError};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Input that is not what the API reads at all: bad JSON, a non-UUID id, a bad query.
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    NotFound(String),
    /// With the methods the resource does serve, for the `Allow` header.
    #[error("method not allowed; this resource serves {0}")]
    MethodNotAllowed(String),
    #[error("the request was not received in time")]
    RequestTimeout,
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// A ZIP file that unpacks to more than this many bytes.
    #[error("the ZIP file unpacks to more than {0} bytes")]
    Unpacked(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Well-formed input that breaks a rule.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A question to a chat whose answer (this one) is still being written.
    #[error("an answer of this chat is still being written; wait for it or stop it")]
    AnswerInProgress(Uuid),
    /// No access token, or a wrong one, where one is needed.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Too many wrong access tokens from this client: the seconds until it may try again.
    #[error("too many wrong access tokens; try again in {0} s")]
    TooManyAttempts(u64),
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound(what) => Self::NotFound(format!("{} not found", what.as_str())),
            ServiceError::Invalid(errors) => Self::Invalid(errors),
            ServiceError::AnswerInProgress(id) => Self::AnswerInProgress(id),
            ServiceError::Unavailable(cause) => {
                let cause: &dyn std::error::Error = cause.as_ref();
                tracing::warn!(cause, "storage unavailable");
                Self::Unavailable
            }
            ServiceError::Unexpected(cause) => {
                let cause: &dyn std::error::Error = cause.as_ref();
                tracing::error!(cause, "unexpected failure");
                Self::Internal
            }
        }
    }
}

/// RFC 9457 problem details: every error answer of the API.
#[derive(Serialize, ToSchema)]
pub(crate) struct Problem<'a> {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    /// What was wrong, for a person.
    detail: String,
    /// With 422: each field that broke a rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem<'a>>,
    /// With 409: the answer still being written (resume it, or stop it).
    #[serde(skip_serializing_if = "Option::is_none")]
    answer_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct FieldProblem<'a> {
    field: &'a str,
    message: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge(_) | Self::Unpacked(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::AnswerInProgress(_) => StatusCode::CONFLICT,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (detail, errors) = match self {
            Self::Invalid(errors) => (
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                errors
                    .iter()
                    .map(|e| FieldProblem {
                        field: &e.field,
                        message: &e.message,
                    })
                    .collect(),
            ),
            other => (other.to_string(), Vec::new()),
        };
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            errors,
            answer_id: match self {
                Self::AnswerInProgress(id) => Some(*id),
                _ => None,
            },
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            Self::Unavailable => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            Self::Unauthorized(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            Self::TooManyAttempts(seconds) => {
                response.insert_header((header::RETRY_AFTER, *seconds));
            }
            Self::MethodNotAllowed(allow) => {
                if let Ok(allow) = HeaderValue::from_str(allow) {
                    response.insert_header((header::ALLOW, allow));
                }
            }
            _ => {}
        }
        // Serializing this struct of strings and numbers cannot fail; the fallback keeps the
        // promise of a problem body all the same.
        let body = serde_json::to_string(&problem).unwrap_or_else(|_| {
            format!(r#"{{"type":"about:blank","status":{}}}"#, status.as_u16())
        });
        response.body(body)
    }
}
