pub mod chat;
pub mod events;
pub mod prompt;
pub mod shares;
pub mod transfer;
