pub mod dto;
pub mod stop;
pub mod stream;
