//! The route table: every endpoint in one place, registered once. Each API operation is
//! listed here by its handler, and both the served routes and the OpenAPI document are made
//! from that one list: a handler's path and method come from its `#[utoipa::path]`, so an
//! operation cannot be served undocumented or documented unserved. One resource per path,
//! so a known path asked with another method is a 405 naming the methods it has.

use actix_web::http::Method;
use actix_web::{HttpResponse, Resource, Route, web};
use utoipa::OpenApi;
use utoipa::openapi::path::PathItem;

use crate::error::{ApiError, FieldProblem, Problem};
use crate::openapi::{ErrorAnswers, openapi_json};
use crate::{
    access, chat_answers, chat_search, chat_sessions, chat_stats, chat_transfer, chat_turns,
    events, health, shares, sse, ui, waypoints,
};

/// Lists the operations once, as `resource::action::handler`: the document's `paths` and
/// [`route`], which finds each handler by its operation id (the handler's name).
macro_rules! operations {
    ($($resource:ident::$action:ident::$handler:ident),* $(,)?) => {
        #[derive(OpenApi)]
        #[openapi(
            info(
                title = "aidstation",
                description = "The AI assistant of an ultra-running race planner: events, \
                    their waypoints, and chats about them that are stored as they stream. \
                    Every error is `application/problem+json`.",
            ),
            paths($($resource::$action::$handler),*),
            components(schemas(
                Problem,
                FieldProblem,
                sse::Started,
                sse::Chunk,
                sse::Done,
                sse::Failed,
            )),
            modifiers(&ErrorAnswers),
            tags(
                (name = "chat", description = "Chats, stored per event and streamed as they are written"),
                (name = "shares", description = "Read-only links to a copy of a chat: the token is the key"),
                (name = "events", description = "Races being planned"),
                (name = "waypoints", description = "Aid stations and checkpoints of an event"),
                (name = "health", description = "Liveness and readiness"),
                (name = "auth", description = "Signing in when the server has an access token (`AIDSTATION_TOKEN`)"),
            ),
        )]
        pub struct ApiDoc;

        fn route(operation_id: &str) -> Option<Route> {
            match operation_id {
                $(stringify!($handler) => Some(web::to($resource::$action::$handler)),)*
                _ => None,
            }
        }
    };
}

operations! {
    chat_turns::create::post_turn,
    chat_answers::stream::stream_answer,
    chat_answers::stop::stop_answer,
    chat_search::search::search_chats,
    chat_stats::stats::chat_stats,
    chat_sessions::list::list_sessions,
    chat_sessions::tags::list_tags,
    chat_sessions::get::get_session,
    chat_sessions::edit::edit_session,
    chat_sessions::delete::delete_session,
    chat_sessions::delete_many::delete_sessions,
    chat_transfer::export_one::export_chat,
    chat_transfer::export_many::export_chats,
    chat_transfer::import::import_chats,
    shares::create::create_share,
    shares::list::list_shares,
    shares::revoke::revoke_share,
    shares::read::read_share,
    events::list::list_events,
    events::create::create_event,
    events::get::get_event,
    events::update::update_event,
    events::delete::delete_event,
    waypoints::list::list_waypoints,
    waypoints::create::create_waypoint,
    waypoints::get::get_waypoint,
    waypoints::update::update_waypoint,
    waypoints::delete::delete_waypoint,
    health::healthz::healthz,
    health::readyz::readyz,
    health::metrics::metrics,
    access::sign_in::sign_in,
    access::sign_out::sign_out,
}

/// Registers the pages, the document, and every operation of `document` (which is
/// [`ApiDoc`]'s) at its path.
pub fn configure(cfg: &mut web::ServiceConfig, document: &utoipa::openapi::OpenApi) {
    ui::prepare();
    cfg.service(resource("/", "GET").get(ui::page))
        .service(resource("/usage", "GET").get(ui::page))
        .service(resource("/api/openapi.json", "GET").get(openapi_json));
    for (path, item) in &document.paths.paths {
        let operations = operations(item);
        let allow = operations
            .iter()
            .map(|(method, _)| method.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let resource = operations.into_iter().fold(
            resource(path, allow),
            |resource, (method, operation_id)| match route(operation_id) {
                Some(route) => resource.route(route.method(method)),
                None => resource,
            },
        );
        if shares::is_private(path) {
            cfg.service(resource.wrap(shares::private()));
        } else {
            cfg.service(resource);
        }
    }
    // The pages with a variable part last: resources are tried in order, each such one with
    // a regular expression, and none of them shares a path with the API, whose requests
    // (a chat turn's among them) then try none of these.
    cfg.service(resource("/events/{rest:.*}", "GET").get(ui::page))
        .service(resource("/static/{name:.*}", "GET").get(ui::asset))
        .service(
            resource("/s/{token}", "GET")
                .get(shares::page::share_page)
                .wrap(shares::private()),
        );
}

/// The methods a path serves, with each one's operation id.
fn operations(item: &PathItem) -> Vec<(Method, &str)> {
    [
        (Method::GET, &item.get),
        (Method::POST, &item.post),
        (Method::PUT, &item.put),
        (Method::PATCH, &item.patch),
        (Method::DELETE, &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation.as_ref()?.operation_id.as_deref()?)))
    .collect()
}

/// A resource that answers the methods it does not serve with 405 and `Allow: <allow>`, as
/// RFC 9110 asks.
fn resource(path: &str, allow: impl Into<String>) -> Resource {
    let allow: String = allow.into();
    web::resource(path).default_service(web::to(move || {
        let allow = allow.clone();
        async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allow)) }
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::openapi::OpenApiJson;

    #[test]
    fn every_documented_operation_has_its_handler() {
        let document = ApiDoc::openapi();
        let mut count = 0;
        for item in document.paths.paths.values() {
            for (_, operation_id) in operations(item) {
                assert!(
                    route(operation_id).is_some(),
                    "{operation_id} is not served"
                );
                count += 1;
            }
        }
        assert_eq!(count, 33);
    }

    fn document(max_message_chars: usize) -> Value {
        let served = OpenApiJson::new(&ApiDoc::openapi(), max_message_chars).unwrap();
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
                "200", "400", "401", "404", "408", "413", "415", "422", "429", "500", "503"
            ]
        );
        assert_eq!(
            answers("/api/events", "get"),
            ["200", "401", "429", "500", "503"]
        );
        // Open without the access token: a share link is its own key.
        assert_eq!(
            answers("/api/shares/{token}", "get"),
            ["200", "400", "404", "500", "503"]
        );
        assert_eq!(answers("/healthz", "get"), ["200"]);
        assert_eq!(
            doc["paths"]["/api/waypoints/{id}"]["delete"]["responses"]["404"]["content"]["application/problem+json"]
                ["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
        assert!(doc["components"]["schemas"]["ChatDone"].is_object());
        for stream in [
            ("/api/chat", "post"),
            ("/api/chat/messages/{id}/stream", "get"),
        ] {
            let item = &doc["paths"][stream.0][stream.1]["responses"]["200"]["content"]["text/event-stream"]
                ["schema"];
            assert_eq!(
                item["properties"]["data"]["contentSchema"]["oneOf"]
                    .as_array()
                    .map(Vec::len),
                Some(4),
                "{stream:?}"
            );
        }
        let resume = &doc["paths"]["/api/chat/messages/{id}/stream"]["get"]["parameters"];
        let header = resume
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "Last-Event-ID")
            .unwrap();
        assert_eq!(
            (header["in"].as_str(), header["required"].as_bool()),
            (Some("header"), Some(false))
        );
        assert_eq!(header["schema"]["type"], "integer", "{header}");
        assert_eq!(
            answers("/api/chat/messages/{id}/stop", "post"),
            ["200", "202", "400", "401", "404", "429", "500", "503"]
        );
    }

    #[test]
    fn bounds_in_the_document_are_the_domains_rules() {
        let doc = document(100);
        let field = |schema: &str, name: &str| {
            doc["components"]["schemas"][schema]["properties"][name].clone()
        };
        let stop = field("NewWaypoint", "stop_time_minutes");
        assert_eq!(
            (stop["minimum"].clone(), stop["maximum"].clone()),
            (Value::from(0), Value::from(10_080))
        );
        assert_eq!(
            field("NewEvent", "distance")["maximum"].as_f64(),
            Some(10_000.0)
        );
        assert_eq!(field("NewEvent", "name")["maxLength"], Value::from(200));
        assert_eq!(
            field("WaypointChanges", "comments")["maxLength"],
            Value::from(10_000)
        );
    }

    #[test]
    fn a_created_event_links_to_the_operations_on_it() {
        let doc = document(100);
        let links = &doc["paths"]["/api/events"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["get_event"]["operationId"], "get_event");
        assert_eq!(links["get_event"]["parameters"]["id"], "$response.body#/id");
    }
}
