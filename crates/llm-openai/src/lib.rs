//! The OpenAI-compatible chat-completions adapter behind the domain's `LanguageModel` port.
//! It speaks to any server that implements `POST {base_url}/chat/completions` with
//! `stream: true`: OpenAI, Azure, Ollama, vLLM, llama.cpp, OpenRouter.

mod client;
mod config;
mod errors;
mod parser;

pub use client::OpenAiClient;
pub use config::OpenAiConfig;
