//! The OpenAPI 3.1 document, generated from the handlers' and DTOs' annotations (listed
//! once, in the route table) and served at `/api/openapi.json`. What every operation shares
//! (its problem+json error answers, and the links from a created resource to the
//! operations on it) is added here, once, rather than repeated on each handler.

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, ResponseError};
use serde_json::Value;
use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::access;
use crate::error::{ApiError, PROBLEM_JSON};

/// The served document, rendered once at start-up with the configured message limit.
#[derive(Clone)]
pub struct OpenApiJson(pub(crate) Bytes);

impl OpenApiJson {
    pub fn new(
        document: &utoipa::openapi::OpenApi,
        max_message_chars: usize,
    ) -> Result<Self, serde_json::Error> {
        let mut document = serde_json::to_value(document)?;
        if let Some(limit) =
            document.pointer_mut("/components/schemas/ChatRequest/properties/message/maxLength")
        {
            *limit = Value::from(max_message_chars);
        }
        for stream in [
            "/paths/~1api~1chat/post/responses/200/content/text~1event-stream",
            "/paths/~1api~1chat~1messages~1{id}~1stream/get/responses/200/content/text~1event-stream",
        ] {
            if let Some(stream) = document.pointer_mut(stream) {
                stream["schema"] = chat_event_schema();
            }
        }
        add_links(&mut document);
        Ok(Self(Bytes::from(serde_json::to_vec(&document)?)))
    }
}

/// One event of the chat stream, as OpenAPI 3.1 describes a `text/event-stream` item: its
/// `data` is one line of JSON, one of the `Chat…` event schemas. Written as JSON because
/// utoipa has no notion of stream items.
fn chat_event_schema() -> Value {
    let events = ["ChatStarted", "ChatChunk", "ChatDone", "ChatFailed"]
        .map(|name| serde_json::json!({"$ref": format!("#/components/schemas/{name}")}));
    serde_json::json!({
        "type": "object",
        "required": ["data"],
        "properties": {
            "event": {"type": "string", "enum": ["started", "chunk", "done", "error"]},
            "id": {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "On a chunk: the cursor after it, to resume from",
            },
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"oneOf": events},
            },
        },
    })
}

/// From a created resource to the operations on it: what a client (and a stateful API
/// tester) follows next. Written into the JSON because utoipa 5 names the field of a link
/// `operation_id` where OpenAPI says `operationId`.
fn add_links(document: &mut Value) {
    let id = |parameter: &str| serde_json::json!({"parameters": {parameter: "$response.body#/id"}});
    let in_body = |field: &str| serde_json::json!({"requestBody": {field: "$response.body#/id"}});
    let links = [
        (
            "/paths/~1api~1events/post/responses/201",
            [
                ("get_event", id("id")),
                ("update_event", id("id")),
                ("delete_event", id("id")),
                ("list_waypoints", id("id")),
                ("create_waypoint", in_body("event_id")),
                ("post_turn", in_body("event_id")),
            ]
            .to_vec(),
        ),
        (
            "/paths/~1api~1chat~1sessions~1{id}~1shares/post/responses/201",
            [
                (
                    "revoke_share",
                    serde_json::json!({"parameters": {"id": "$request.path.id", "share_id": "$response.body#/id"}}),
                ),
                (
                    "read_share",
                    serde_json::json!({"parameters": {"token": "$response.body#/token"}}),
                ),
            ]
            .to_vec(),
        ),
        (
            "/paths/~1api~1waypoints/post/responses/201",
            [
                ("get_waypoint", id("id")),
                ("update_waypoint", id("id")),
                ("delete_waypoint", id("id")),
            ]
            .to_vec(),
        ),
    ];
    for (response, targets) in links {
        if let Some(Value::Object(response)) = document.pointer_mut(response) {
            let links = targets
                .into_iter()
                .map(|(target, mut link)| {
                    link["operationId"] = Value::from(target);
                    (target.to_owned(), link)
                })
                .collect();
            response.insert("links".into(), Value::Object(links));
        }
    }
}

/// `GET /api/openapi.json`.
pub async fn openapi_json(document: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(document.0.clone())
}

/// The problem+json answers each operation can give, derived from what it takes: a path id
/// can be malformed or unknown, a body can be malformed, too large, of another media type or
/// break a rule, and anything that reaches the database can find it unavailable.
pub struct ErrorAnswers;

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            // Only these two answer without the database.
            let uses_database = path != "/healthz" && path != "/metrics";
            let guarded = access::is_guarded(path);
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for error in errors_of(operation, uses_database, guarded) {
                    operation
                        .responses
                        .responses
                        .entry(error.status_code().as_str().to_owned())
                        .or_insert_with(|| problem_answer(&error));
                }
            }
        }
    }
}

fn errors_of(operation: &Operation, uses_database: bool, guarded: bool) -> Vec<ApiError> {
    let takes = |place: ParameterIn| {
        operation
            .parameters
            .iter()
            .flatten()
            .any(|p| p.parameter_in == place)
    };
    let mut errors = Vec::new();
    if takes(ParameterIn::Path) || takes(ParameterIn::Query) {
        errors.push(ApiError::Malformed("a parameter is not valid".into()));
    }
    if takes(ParameterIn::Path) {
        errors.push(ApiError::NotFound("no such resource".into()));
    }
    if operation.request_body.is_some() {
        errors.extend([
            ApiError::Malformed("the body is not a JSON object".into()),
            ApiError::RequestTimeout,
            ApiError::PayloadTooLarge(0),
            ApiError::UnsupportedMediaType("the body is not JSON".into()),
            ApiError::Invalid(Vec::new()),
        ]);
    }
    if uses_database {
        errors.extend([ApiError::Unavailable, ApiError::Internal]);
    }
    // With an access token set (`AIDSTATION_TOKEN`).
    if guarded {
        errors.extend([
            ApiError::Unauthorized("no access token"),
            ApiError::TooManyAttempts(1),
        ]);
    }
    errors
}

fn problem_answer(error: &ApiError) -> RefOr<Response> {
    let status = error.status_code();
    let mut answer = ResponseBuilder::new()
        .description(status.canonical_reason().unwrap_or("Error"))
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        );
    if matches!(error, ApiError::Unavailable | ApiError::TooManyAttempts(_)) {
        answer = answer.header(
            header::RETRY_AFTER.as_str(),
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Seconds to wait before trying again"))
                .build(),
        );
    }
    RefOr::T(answer.build())
}
