pub mod answer;
pub mod chat;
pub mod event;
pub mod prompt;
pub mod rules;
pub mod search;
pub mod session_edit;
pub mod title;
