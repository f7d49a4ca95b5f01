pub mod create;
pub mod delete;
pub mod dto;
pub mod get;
pub mod list_for_event;
pub mod update;
