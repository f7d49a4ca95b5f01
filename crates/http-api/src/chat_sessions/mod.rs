pub mod delete;
pub mod delete_many;
pub mod dto;
pub mod edit;
pub mod get;
pub mod list;
pub mod tags;
