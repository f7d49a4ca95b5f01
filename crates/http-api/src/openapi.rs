//! The OpenAPI 3.1 document, generated from the handlers' and DTOs' annotations and served at
//! `/api/openapi.json`. What every operation shares (its problem+json error answers, and the
//! links from a created resource to the operations on it) is added here, once, rather than
//! repeated on each handler.

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, ResponseError};
use domain::models::event::{MAX_COMMENTS_CHARS, MAX_NAME_CHARS};
use domain::models::text::Blank;
use domain::{ChatLimits, MessageStatus, Role, WaypointType};
use serde_json::Value;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, Object, Ref, RefOr, Response, ResponseBuilder,
};
use utoipa::{Modify, OpenApi};

use crate::error::{ApiError, FieldProblem, PROBLEM_JSON, Problem};
use crate::{chat, events, health, waypoints};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "aidstation",
        description = "The AI assistant of an ultra-running race planner: events, their \
            waypoints, and chats about them that are stored as they stream. Every error is \
            `application/problem+json`.",
    ),
    paths(
        chat::post_turn::post_turn,
        chat::list_sessions::list_sessions,
        chat::get_session::get_session,
        chat::delete_session::delete_session,
        events::list::list_events,
        events::create::create_event,
        events::get::get_event,
        events::update::update_event,
        events::delete::delete_event,
        waypoints::list_for_event::list_waypoints,
        waypoints::create::create_waypoint,
        waypoints::get::get_waypoint,
        waypoints::update::update_waypoint,
        waypoints::delete::delete_waypoint,
        health::healthz::healthz,
        health::readyz::readyz,
    ),
    components(schemas(
        Problem,
        FieldProblem,
        chat::sse::Started,
        chat::sse::Chunk,
        chat::sse::Done,
        chat::sse::Failed,
    )),
    modifiers(&ErrorAnswers),
    tags(
        (name = "chat", description = "Chats, stored per event and streamed as they are written"),
        (name = "events", description = "Races being planned"),
        (name = "waypoints", description = "Aid stations and checkpoints of an event"),
        (name = "health", description = "Liveness and readiness"),
    ),
)]
struct ApiDoc;

/// Text a person must fill in (`check_text` in the domain): something besides whitespace
/// (Unicode White_Space, spelled out so every regex engine reads it alike) and no NUL.
const NOT_BLANK: &str =
    r"^[^\x00]*[^\x00\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$";
/// Text that may be blank, but holds no NUL.
const NO_NUL: &str = r"^[^\x00]*$";

/// The document's side of `check_text`: the same blank rule, NUL ban and length.
fn text(blank: Blank, max_chars: usize, nullable: bool) -> Object {
    let kinds = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    let (pattern, min_length) = match blank {
        Blank::Refused => (NOT_BLANK, Some(1)),
        Blank::Allowed => (NO_NUL, None),
    };
    ObjectBuilder::new()
        .schema_type(kinds)
        .min_length(min_length)
        .max_length(Some(max_chars))
        .pattern(Some(pattern))
        .build()
}

pub fn name_schema() -> Object {
    text(Blank::Refused, MAX_NAME_CHARS, false)
}

/// In a partial update: `null` keeps the name.
pub fn optional_name_schema() -> Object {
    text(Blank::Refused, MAX_NAME_CHARS, true)
}

pub fn comments_schema() -> Object {
    text(Blank::Allowed, MAX_COMMENTS_CHARS, true)
}

pub fn message_schema() -> Object {
    // The configured limit replaces this default when the document is rendered.
    text(
        Blank::Refused,
        ChatLimits::default().max_message_chars,
        false,
    )
}

/// The served document, rendered once at start-up with the configured message limit.
#[derive(Clone)]
pub struct OpenApiJson(Bytes);

impl OpenApiJson {
    pub fn new(max_message_chars: usize) -> Result<Self, serde_json::Error> {
        let mut document = serde_json::to_value(ApiDoc::openapi())?;
        if let Some(limit) =
            document.pointer_mut("/components/schemas/ChatRequest/properties/message/maxLength")
        {
            *limit = Value::from(max_message_chars);
        }
        if let Some(stream) =
            document.pointer_mut("/paths/~1api~1chat/post/responses/200/content/text~1event-stream")
        {
            stream["schema"] = chat_event_schema();
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
            "event": {"type": "string", "const": "message"},
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

fn strings(values: impl IntoIterator<Item = &'static str>, nullable: bool) -> Object {
    let mut kinds = vec![Type::String];
    let mut values: Vec<Value> = values.into_iter().map(Value::from).collect();
    if nullable {
        kinds.push(Type::Null);
        values.push(Value::Null);
    }
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter(kinds))
        .enum_values(Some(values))
        .build()
}

fn string(format: KnownFormat) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
}

/// `format`, or "" meaning none given (an empty form field, the original frontend's
/// `?event_id=`), or also `null` when `nullable`.
fn or_empty(format: KnownFormat, nullable: bool) -> Schema {
    let empty = ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(0));
    let mut any = AnyOfBuilder::new().item(string(format)).item(empty);
    if nullable {
        any = any.item(ObjectBuilder::new().schema_type(Type::Null));
    }
    Schema::AnyOf(any.build())
}

pub fn uuid_or_empty_schema() -> Schema {
    or_empty(KnownFormat::Uuid, false)
}

pub fn optional_uuid_schema() -> Schema {
    or_empty(KnownFormat::Uuid, true)
}

pub fn optional_datetime_schema() -> Schema {
    or_empty(KnownFormat::DateTime, true)
}

pub fn role_schema() -> Object {
    strings([Role::User, Role::Assistant].map(Role::as_str), false)
}

pub fn message_status_schema() -> Object {
    let interrupted = MessageStatus::Interrupted {
        reason: String::new(),
    };
    let all = [
        MessageStatus::Complete,
        interrupted,
        MessageStatus::Generating,
    ];
    strings(all.iter().map(MessageStatus::as_str), false)
}

pub fn waypoint_type_schema() -> Object {
    strings(WaypointType::ALL.map(WaypointType::as_str), false)
}

pub fn optional_waypoint_type_schema() -> Object {
    strings(WaypointType::ALL.map(WaypointType::as_str), true)
}

/// The problem+json answers each operation can give, derived from what it takes: a path id
/// can be malformed or unknown, a body can be malformed, too large, of another media type or
/// break a rule, and anything that reaches the database can find it unavailable.
struct ErrorAnswers;

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            let uses_database = path != "/healthz";
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for error in errors_of(operation, uses_database) {
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

fn errors_of(operation: &Operation, uses_database: bool) -> Vec<ApiError> {
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
    if matches!(error, ApiError::Unavailable) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn document(max_message_chars: usize) -> Value {
        let served = OpenApiJson::new(max_message_chars).unwrap();
        serde_json::from_slice(&served.0).unwrap()
    }

    #[test]
    fn the_document_is_openapi_3_1_with_every_api_route_and_the_configured_message_limit() {
        let doc = document(1_234);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for path in [
            "/api/chat",
            "/api/chat/sessions",
            "/api/chat/sessions/{id}",
            "/api/events",
            "/api/events/{id}",
            "/api/events/{id}/waypoints",
            "/api/waypoints",
            "/api/waypoints/{id}",
            "/healthz",
            "/readyz",
        ] {
            assert!(paths.contains(&path), "{path} missing from {paths:?}");
        }
        assert_eq!(
            doc.pointer("/components/schemas/ChatRequest/properties/message/maxLength"),
            Some(&Value::from(1_234))
        );
    }

    #[test]
    fn every_error_an_operation_can_give_is_a_documented_problem() {
        let doc = document(100);
        let answers = |path: &str, method: &str| -> Vec<String> {
            doc["paths"][path][method]["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(
            answers("/api/events/{id}", "put"),
            [
                "200", "400", "404", "408", "413", "415", "422", "500", "503"
            ]
        );
        assert_eq!(answers("/api/events", "get"), ["200", "500", "503"]);
        assert_eq!(answers("/healthz", "get"), ["200"]);
        assert_eq!(
            doc["paths"]["/api/waypoints/{id}"]["delete"]["responses"]["404"]["content"]["application/problem+json"]
                ["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
        assert!(doc["components"]["schemas"]["ChatDone"].is_object());
    }

    #[test]
    fn a_created_event_links_to_the_operations_on_it() {
        let doc = document(100);
        let links = &doc["paths"]["/api/events"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["get_event"]["operationId"], "get_event");
        assert_eq!(links["get_event"]["parameters"]["id"], "$response.body#/id");
    }
}
