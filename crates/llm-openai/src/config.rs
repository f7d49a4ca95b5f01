use std::time::Duration;

use secrecy::SecretString;

/// Where and how to reach the model.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub model: String,
    /// Establishing the TCP/TLS connection.
    pub connect_timeout: Duration,
    /// From sending the request to the first piece of the answer (models can think a while).
    pub first_token_timeout: Duration,
    /// Longest silence between two pieces of a streaming answer.
    pub idle_timeout: Duration,
    /// Retries of a request that failed before its first token (the OpenAI SDKs use 2).
    pub max_retries: u32,
    /// First backoff step when the server gives no `retry-after`; doubles each retry.
    pub retry_base_delay: Duration,
    /// Speak HTTP/2 to the model server from the first byte (also h2c over plain TCP), so
    /// every answer streams over one connection instead of a socket each. Off by default:
    /// a server that caps concurrent streams per connection would make answers queue.
    pub http2: bool,
}

impl OpenAiConfig {
    /// The public OpenAI endpoint, used when no base URL is configured.
    pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
    pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_FIRST_TOKEN_TIMEOUT: Duration = Duration::from_secs(60);
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
    /// As the OpenAI SDKs.
    pub const DEFAULT_MAX_RETRIES: u32 = 2;
    pub const DEFAULT_RETRY_BASE_DELAY: Duration = Duration::from_millis(500);

    pub fn new(base_url: String, api_key: Option<SecretString>, model: String) -> Self {
        Self {
            base_url,
            api_key,
            model,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            first_token_timeout: Self::DEFAULT_FIRST_TOKEN_TIMEOUT,
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            max_retries: Self::DEFAULT_MAX_RETRIES,
            retry_base_delay: Self::DEFAULT_RETRY_BASE_DELAY,
            http2: false,
        }
    }

    /// A model is usable with an API key, or with a self-hosted server (which often needs
    /// none) named by a non-default base URL.
    pub fn is_configured(&self) -> bool {
        self.api_key.is_some() || self.base_url.trim_end_matches('/') != Self::DEFAULT_BASE_URL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str, key: Option<&str>) -> OpenAiConfig {
        OpenAiConfig::new(base_url.into(), key.map(SecretString::from), "m".into())
    }

    #[test]
    fn a_key_or_a_self_hosted_server_makes_it_configured() {
        let default = OpenAiConfig::DEFAULT_BASE_URL;
        assert!(!config(default, None).is_configured());
        assert!(!config("https://api.openai.com/v1/", None).is_configured());
        assert!(config(default, Some("sk-test")).is_configured());
        assert!(config("http://127.0.0.1:11434/v1", None).is_configured());
    }
}
