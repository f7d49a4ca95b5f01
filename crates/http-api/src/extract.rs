//! Request extractors whose every failure is an [`ApiError`], so malformed input is a 400
//! problem, never actix's plain-text error and never a 500.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};

use crate::error::ApiError;

/// Largest accepted request body, set by configuration.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// How long a client may take to send its body, set by configuration: a client that
/// trickles it would otherwise hold its connection and memory for as long as it likes.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub std::time::Duration);

/// A JSON object body. Not JSON, or not an object: 400. A field of the wrong type or a
/// missing required field: 422 naming the field, in words a person reads (no Rust types).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_none_or(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            });
        let limit = req
            .app_data::<BodyLimit>()
            .map_or(64 * 1024, |limit| limit.0);
        let timeout = req
            .app_data::<BodyTimeout>()
            .map_or(std::time::Duration::from_secs(10), |timeout| timeout.0);
        let bytes = tokio::time::timeout(timeout, web::Bytes::from_request(req, payload));
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType(
                    "the body must be application/json".into(),
                ));
            }
            let bytes = bytes
                .await
                .map_err(|_| ApiError::RequestTimeout)?
                .map_err(|error| {
                    if error.as_response_error().status_code()
                        == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                    {
                        ApiError::PayloadTooLarge(limit)
                    } else {
                        ApiError::Malformed("the request body could not be read".into())
                    }
                })?;
            decode(&bytes).map(JsonBody)
        })
    }
}

/// A request body read as `T`: not JSON or not an object is `Malformed` (400), a field of the
/// wrong type or a missing one is `Invalid` (422) naming the field.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| {
        ApiError::Malformed(format!(
            "the body is not valid JSON (line {}, column {})",
            error.line(),
            error.column()
        ))
    })?;
    if !value.is_object() {
        return Err(ApiError::Malformed("the body must be a JSON object".into()));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let field = error.path().to_string();
        ApiError::Invalid(vec![domain::FieldError::new(
            field,
            humanize(&error.into_inner().to_string()),
        )])
    })
}

/// serde speaks in Rust types ("expected f64"); a person wants "expected a number".
pub(crate) fn humanize(message: &str) -> String {
    const WORDS: [(&str, &str); 12] = [
        ("f64", "a number"),
        ("f32", "a number"),
        ("i64", "a whole number"),
        ("i32", "a whole number"),
        ("u64", "a whole number"),
        ("u32", "a whole number"),
        ("u16", "a whole number"),
        ("usize", "a whole number"),
        ("a borrowed string", "a string"),
        ("unit value", "null"),
        ("a sequence", "an array"),
        ("a map", "an object"),
    ];
    let mut text = message.to_owned();
    for (rust, human) in WORDS {
        text = text.replace(&format!("expected {rust}"), &format!("expected {human}"));
    }
    if let Some(start) = text.find("expected struct ") {
        text.replace_range(start.., "expected an object");
    }
    if let Some(cut) = text.find(" at line ") {
        text.truncate(cut);
    }
    text
}

/// The one spelling of an id the API reads: the hyphenated form (any case), which is what
/// it writes and what OpenAPI's `uuid` format means. `Uuid::parse_str` would also take the
/// braced, URN and unhyphenated forms.
fn uuid(text: &str) -> Option<Uuid> {
    (text.len() == 36)
        .then(|| Uuid::parse_str(text).ok())
        .flatten()
}

/// A path segment that must be a UUID: anything else is a 400, not actix's 404.
pub fn parse_id(text: &str) -> Result<Uuid, ApiError> {
    uuid(text)
        .ok_or_else(|| ApiError::Malformed(format!("{text:?} is not a valid id (expected a UUID)")))
}

/// An optional id in a body or query: absent, null and "" all mean none.
pub fn parse_optional_id(field: &str, text: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    match text {
        None | Some("") => Ok(None),
        Some(text) => uuid(text).map(Some).ok_or_else(|| {
            ApiError::Malformed(format!(
                "{field}: {text:?} is not a valid id (expected a UUID)"
            ))
        }),
    }
}

/// The `{id}` of a path naming one kind of resource: a UUID, or a 400 (never actix's 404),
/// and its parameter in the OpenAPI document.
macro_rules! path_id {
    ($name:ident, $description:literal) => {
        #[derive(Debug, Clone, Copy)]
        pub struct $name(pub Uuid);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = std::future::Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let id = req.match_info().get("id").unwrap_or_default();
                std::future::ready(parse_id(id).map(Self))
            }
        }

        impl utoipa::IntoParams for $name {
            fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                vec![id_parameter("id", $description)]
            }
        }
    };
}

path_id!(EventId, "The event's id");
path_id!(WaypointId, "The waypoint's id");
path_id!(SessionId, "The session's id");
path_id!(AnswerId, "The answer's id (an assistant message's)");

/// `{id}` and `{share_id}` of a share link's path: a chat's id and one of its links' ids.
#[derive(Debug, Clone, Copy)]
pub struct ShareRef {
    pub session_id: Uuid,
    pub share_id: Uuid,
}

impl FromRequest for ShareRef {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let part = |name| parse_id(req.match_info().get(name).unwrap_or_default());
        std::future::ready(part("id").and_then(|session_id| {
            Ok(Self {
                session_id,
                share_id: part("share_id")?,
            })
        }))
    }
}

impl utoipa::IntoParams for ShareRef {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            id_parameter("id", "The chat's id"),
            id_parameter("share_id", "The link's id"),
        ]
    }
}

fn id_parameter(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_type_names_become_words() {
        assert_eq!(
            humanize("invalid type: string \"fast\", expected f64 at line 1 column 9"),
            "invalid type: string \"fast\", expected a number"
        );
        assert_eq!(
            humanize("invalid type: integer `3`, expected struct CreateEvent"),
            "invalid type: integer `3`, expected an object"
        );
    }

    #[test]
    fn ids_are_read_in_their_hyphenated_form_only() {
        let id = "01a21012-A37A-70a9-8ec6-bd29c8224bb5";
        assert!(parse_id(id).is_ok());
        for other in [
            "01a21012a37a70a98ec6bd29c8224bb5",
            "{01a21012-a37a-70a9-8ec6-bd29c8224bb5}",
            "urn:uuid:01a21012-a37a-70a9-8ec6-bd29c8224bb5",
            " 01a21012-a37a-70a9-8ec6-bd29c8224bb5",
        ] {
            assert!(parse_id(other).is_err(), "{other}");
        }
        assert_eq!(parse_optional_id("event_id", Some("")).ok(), Some(None));
        assert!(parse_optional_id("event_id", Some(" ")).is_err());
    }
}
