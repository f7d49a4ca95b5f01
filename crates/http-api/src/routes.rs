//! The route table: every endpoint of the API in one place. One resource per path, so a
//! known path asked with another method is a 405, not a 404.

use actix_web::web;

use crate::{chat, events, health, ui, waypoints};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(ui::page))
        .route("/events/{rest:.*}", web::get().to(ui::page))
        .route("/static/{name}", web::get().to(ui::asset))
        .route("/healthz", web::get().to(health::healthz::healthz))
        .route("/readyz", web::get().to(health::readyz::readyz))
        .service(
            web::scope("/api")
                .service(web::resource("/chat").post(chat::post_turn::post_turn))
                .service(web::resource("/chat/sessions").get(chat::list_sessions::list_sessions))
                .service(
                    web::resource("/chat/sessions/{id}")
                        .get(chat::get_session::get_session)
                        .delete(chat::delete_session::delete_session),
                )
                .service(
                    web::resource("/events")
                        .get(events::list::list_events)
                        .post(events::create::create_event),
                )
                .service(
                    web::resource("/events/{id}")
                        .get(events::get::get_event)
                        .put(events::update::update_event)
                        .delete(events::delete::delete_event),
                )
                .service(
                    web::resource("/events/{id}/waypoints")
                        .get(waypoints::list_for_event::list_waypoints),
                )
                .service(web::resource("/waypoints").post(waypoints::create::create_waypoint))
                .service(
                    web::resource("/waypoints/{id}")
                        .get(waypoints::get::get_waypoint)
                        .put(waypoints::update::update_waypoint)
                        .delete(waypoints::delete::delete_waypoint),
                ),
        );
}
