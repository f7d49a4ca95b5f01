pub mod delete;
pub mod dto;
pub mod get;
pub mod list;
