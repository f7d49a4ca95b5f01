pub mod delete;
pub mod dto;
pub mod edit;
pub mod get;
pub mod list;
