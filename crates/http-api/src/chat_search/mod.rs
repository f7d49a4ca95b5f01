pub mod dto;
pub mod search;
