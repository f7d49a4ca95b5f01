pub mod delete_session;
pub mod dto;
pub mod get_session;
pub mod list_sessions;
pub mod post_turn;
pub mod sse;
