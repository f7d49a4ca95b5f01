pub mod create;
pub mod dto;
pub mod sse;
