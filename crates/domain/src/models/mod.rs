pub mod chat;
pub mod event;
pub mod prompt;
pub mod text;
pub mod title;
