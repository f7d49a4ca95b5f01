//! The OpenAI-compatible chat-completions adapter behind the domain's `LanguageModel` port.
//! It speaks to any server that implements `POST {base_url}/chat/completions` with
//! `stream: true`: OpenAI, Azure, Ollama, vLLM, llama.cpp, OpenRouter.

use secrecy::SecretString;

/// The public OpenAI endpoint, used when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// Where and how to reach the model.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub model: String,
}

impl OpenAiConfig {
    /// A model is usable with an API key, or with a self-hosted server (which often needs
    /// none) named by a non-default base URL.
    pub fn is_configured(&self) -> bool {
        self.api_key.is_some() || self.base_url.trim_end_matches('/') != DEFAULT_BASE_URL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str, key: Option<&str>) -> OpenAiConfig {
        OpenAiConfig {
            base_url: base_url.into(),
            api_key: key.map(SecretString::from),
            model: "m".into(),
        }
    }

    #[test]
    fn a_key_or_a_self_hosted_server_makes_it_configured() {
        assert!(!config(DEFAULT_BASE_URL, None).is_configured());
        assert!(!config("https://api.openai.com/v1/", None).is_configured());
        assert!(config(DEFAULT_BASE_URL, Some("sk-test")).is_configured());
        assert!(config("http://127.0.0.1:11434/v1", None).is_configured());
    }
}
