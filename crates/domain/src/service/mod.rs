pub mod chat;
pub mod events;
