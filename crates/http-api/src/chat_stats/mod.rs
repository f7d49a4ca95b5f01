pub mod dto;
pub mod stats;
