pub mod create;
pub mod dto;
