pub mod chat;
pub mod event;
pub mod title;
