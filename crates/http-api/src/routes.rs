//! The route table: every endpoint of the API in one place. One resource per path, so a
//! known path asked with another method is a 405 naming the methods it has, not a 404.

use actix_web::{HttpResponse, Resource, web};

use crate::error::ApiError;
use crate::{chat, events, health, openapi, ui, waypoints};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/", "GET").get(ui::page))
        .service(resource("/events/{rest:.*}", "GET").get(ui::page))
        .service(resource("/static/{name}", "GET").get(ui::asset))
        .service(resource("/healthz", "GET").get(health::healthz::healthz))
        .service(resource("/readyz", "GET").get(health::readyz::readyz))
        .service(
            web::scope("/api")
                .service(resource("/openapi.json", "GET").get(openapi::openapi_json))
                .service(resource("/chat", "POST").post(chat::post_turn::post_turn))
                .service(resource("/chat/sessions", "GET").get(chat::list_sessions::list_sessions))
                .service(
                    resource("/chat/sessions/{id}", "GET, DELETE")
                        .get(chat::get_session::get_session)
                        .delete(chat::delete_session::delete_session),
                )
                .service(
                    resource("/events", "GET, POST")
                        .get(events::list::list_events)
                        .post(events::create::create_event),
                )
                .service(
                    resource("/events/{id}", "GET, PUT, DELETE")
                        .get(events::get::get_event)
                        .put(events::update::update_event)
                        .delete(events::delete::delete_event),
                )
                .service(
                    resource("/events/{id}/waypoints", "GET")
                        .get(waypoints::list_for_event::list_waypoints),
                )
                .service(resource("/waypoints", "POST").post(waypoints::create::create_waypoint))
                .service(
                    resource("/waypoints/{id}", "GET, PUT, DELETE")
                        .get(waypoints::get::get_waypoint)
                        .put(waypoints::update::update_waypoint)
                        .delete(waypoints::delete::delete_waypoint),
                ),
        );
}

/// A resource that answers the methods it does not serve with 405 and `Allow: <allow>`, as
/// RFC 9110 asks; `allow` lists the methods given to it below.
fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allow))
    }))
}
