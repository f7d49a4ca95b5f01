use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use domain::ports::{LanguageModel, LanguageModelError, ReplyStream};
use domain::{Prompt, PromptRole, ReplyChunk};
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt, stream};
use reqwest::header::ACCEPT;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::Value;
use thread_local::ThreadLocal;

use crate::config::OpenAiConfig;
use crate::errors::{Failure, clean, http_failure};
use crate::parser::{ChunkParser, Fault, StreamError};

/// The body of a chat completion request, written straight from the prompt's text (no
/// intermediate JSON tree: a continued chat's history is up to 48,000 characters a turn).
#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<RequestMessage<'a>>,
    stream: bool,
    stream_options: StreamOptions,
}

#[derive(Serialize)]
struct RequestMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

const NOT_CONFIGURED: &str = "No language model is configured. Set OPENAI_API_KEY (and OPENAI_MODEL), or \
     OPENAI_BASE_URL for a self-hosted OpenAI-compatible server, then restart aidstation.";
/// Error bodies are short; a proxy's HTML page is not read past this.
const MAX_ERROR_BODY: usize = 64 * 1024;
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Streams chat completions from an OpenAI-compatible server, with a connection pool per
/// thread that asks: a connection's I/O is driven on the runtime that opened it, so an HTTP
/// worker that streams an answer over its own connection wakes no other thread per piece.
pub struct OpenAiClient {
    /// Made first, and checked so; what a thread uses should its own fail to build.
    http: reqwest::Client,
    per_thread: ThreadLocal<reqwest::Client>,
    config: OpenAiConfig,
    endpoint: String,
    /// `endpoint` parsed once, not on every request (parsed per request, with its IDNA
    /// mapping, it cost a new chat turn 0.055 of 0.6 ms of CPU in back-to-back runs); `None`
    /// when it does not parse, and each request then fails as it would have.
    endpoint_url: Option<reqwest::Url>,
}

impl OpenAiClient {
    pub fn new(config: OpenAiConfig) -> Result<Self, reqwest::Error> {
        let http = Self::client(&config)?;
        let endpoint = format!("{}/chat/completions", config.base_url.trim_end_matches('/'));
        Ok(Self {
            http,
            per_thread: ThreadLocal::new(),
            config,
            endpoint_url: reqwest::Url::parse(&endpoint).ok(),
            endpoint,
        })
    }

    fn client(config: &OpenAiConfig) -> Result<reqwest::Client, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("aidstation/", env!("CARGO_PKG_VERSION")));
        if config.http2 {
            // Every answer shares the connection, and each of its pieces is a small DATA
            // frame: h2 closes a connection (ENHANCE_YOUR_CALM) when small frames waiting to
            // be read cost more than half its window, which hyper's default of 5 MiB made
            // about 12,000 frames, too few for tens of thousands of answers at once.
            http.http2_prior_knowledge()
                .http2_initial_connection_window_size(64 << 20)
        } else {
            http.http1_only()
        }
        .build()
    }

    /// The calling thread's client.
    fn http(&self) -> &reqwest::Client {
        self.per_thread
            .get_or(|| Self::client(&self.config).unwrap_or_else(|_| self.http.clone()))
    }

    fn request_body<'a>(&'a self, prompt: &'a Prompt) -> ChatRequest<'a> {
        ChatRequest {
            model: &self.config.model,
            messages: prompt
                .messages
                .iter()
                .map(|m| RequestMessage {
                    role: match m.role {
                        PromptRole::System => "system",
                        PromptRole::User => "user",
                        PromptRole::Assistant => "assistant",
                    },
                    content: &m.content,
                })
                .collect(),
            stream: true,
            stream_options: StreamOptions {
                include_usage: true,
            },
        }
    }

    fn secret(&self) -> Option<&str> {
        self.config
            .api_key
            .as_ref()
            .map(ExposeSecret::expose_secret)
    }

    /// One request, up to its first piece of answer.
    async fn attempt(&self, body: &ChatRequest<'_>) -> Result<ReplyStream, Failure> {
        let http = self.http();
        let mut request = match &self.endpoint_url {
            Some(url) => http.post(url.clone()),
            None => http.post(&self.endpoint),
        }
        .header(ACCEPT, "text/event-stream")
        .json(body);
        if let Some(key) = self.secret() {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|error| {
            tracing::warn!(error = &error as &dyn std::error::Error, endpoint = %self.endpoint, "model request failed to send");
            let what = if error.is_timeout() { "timed out connecting to" } else { "could not reach" };
            Failure::retryable(LanguageModelError::Unreachable(format!("The app {what} the model service at {}.", self.endpoint)))
        })?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let body = read_bounded(response).await;
            let failure = http_failure(status, &headers, &body, self.secret());
            // The provider's own request id: what its support asks for.
            let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok());
            tracing::warn!(%status, request_id, error = %failure.error, "model service answered with an error");
            return Err(failure);
        }
        let is_json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            // A server that ignored `stream: true` and sent the whole completion at once.
            let body = read_bounded(response).await;
            return whole_completion(&body)
                .map_err(|error| before_first_token(&error, self.secret()));
        }
        let mut answer = Box::pin(answer_stream(response, self.config.idle_timeout));
        match answer.next().await {
            Some(Ok(first)) => {
                let rest = answer.map(|item| item.map_err(|error| mid_answer(&error)));
                Ok(Box::pin(stream::once(async move { Ok(first) }).chain(rest)))
            }
            Some(Err(error)) => Err(before_first_token(&error, self.secret())),
            None => Err(Failure::retryable(LanguageModelError::Failed(
                "The model service closed the stream without an answer.".into(),
            ))),
        }
    }
}

/// A stream that failed before any text: what it means, and whether another try may help.
fn before_first_token(error: &StreamError, secret: Option<&str>) -> Failure {
    let message = clean(&error.message, secret);
    match error.fault {
        Fault::Failed | Fault::Cut => Failure::retryable(LanguageModelError::Failed(format!(
            "The model service failed: {message}"
        ))),
        Fault::Malformed => Failure::retryable(LanguageModelError::Malformed(message)),
        Fault::Stalled => Failure::retryable(LanguageModelError::Stalled(message)),
        Fault::RateLimited => Failure::retryable(LanguageModelError::RateLimited(message)),
        Fault::OutOfQuota => Failure::fatal(LanguageModelError::OutOfQuota(message)),
        Fault::ContextTooLong => Failure::fatal(LanguageModelError::ContextTooLong(message)),
        Fault::Refused => Failure::fatal(LanguageModelError::Refused(format!(
            "The model service refused the request: {message}"
        ))),
    }
}

/// A stream that failed after its first text: the answer so far stands, cut short.
fn mid_answer(error: &StreamError) -> LanguageModelError {
    let message = clean(&error.message, None);
    match error.fault {
        Fault::Malformed => LanguageModelError::Malformed(message),
        Fault::Stalled => LanguageModelError::Stalled(message),
        _ => LanguageModelError::Interrupted(message),
    }
}

/// A non-streamed `chat.completion` body as the same pieces a stream would give.
fn whole_completion(body: &[u8]) -> Result<ReplyStream, StreamError> {
    let mut parser = ChunkParser::default();
    // Reshaped as one stream chunk: `message` is read like a `delta`.
    let mut chunk: Value = serde_json::from_slice(body).map_err(|_| StreamError {
        message: "the model service sent an unreadable answer".into(),
        fault: Fault::Malformed,
    })?;
    if let Some(choices) = chunk.get_mut("choices").and_then(Value::as_array_mut) {
        for choice in choices {
            if let Some(message) = choice.get("message").cloned() {
                choice["delta"] = message;
            }
        }
    }
    let pieces = parser.on_data(&chunk.to_string())?;
    let finished = parser.finish().ok_or_else(|| StreamError {
        message: "the model's answer was cut off before it finished".into(),
        fault: Fault::Cut,
    })?;
    let items: Vec<Result<ReplyChunk, LanguageModelError>> = pieces
        .into_iter()
        .map(|text| Ok(ReplyChunk::Text(text)))
        .chain([Ok(finished)])
        .collect();
    Ok(Box::pin(stream::iter(items)))
}

async fn read_bounded(response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(Ok(chunk)) = chunks.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    body
}

/// Exponential backoff from `base`, capped, with a little jitter so that many clients
/// failing together do not retry together.
fn backoff(base: Duration, retry: u32) -> Duration {
    let exponential = base
        .saturating_mul(2u32.saturating_pow(retry))
        .min(MAX_BACKOFF);
    exponential.mul_f64(0.75 + fastrand::f64() / 4.0)
}

#[async_trait]
impl LanguageModel for OpenAiClient {
    async fn stream_reply(&self, prompt: &Prompt) -> Result<ReplyStream, LanguageModelError> {
        if !self.config.is_configured() {
            return Err(LanguageModelError::NotConfigured(NOT_CONFIGURED.into()));
        }
        let body = self.request_body(prompt);
        let mut retries = 0;
        loop {
            let failure =
                match tokio::time::timeout(self.config.first_token_timeout, self.attempt(&body))
                    .await
                {
                    Ok(Ok(answer)) => return Ok(answer),
                    Ok(Err(failure)) => failure,
                    Err(_) => Failure::retryable(LanguageModelError::Stalled(format!(
                        "The model did not start answering within {} s.",
                        self.config.first_token_timeout.as_secs()
                    ))),
                };
            if !failure.retry || retries >= self.config.max_retries {
                return Err(failure.error);
            }
            let delay = failure
                .retry_after
                .unwrap_or_else(|| backoff(self.config.retry_base_delay, retries));
            tracing::info!(?delay, retry = retries + 1, error = %failure.error, "retrying the model request");
            tokio::time::sleep(delay).await;
            retries += 1;
        }
    }
}

/// Why the byte stream ended early.
#[derive(Debug)]
enum Broken {
    Silent(Duration),
    Transport(String),
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Silent(idle) => write!(f, "the model stopped sending for {} s", idle.as_secs()),
            Self::Transport(error) => {
                write!(
                    f,
                    "the model's answer was cut off: the connection to the model service broke ({error})"
                )
            }
        }
    }
}

type Events = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<Broken>>> + Send>>;

/// The response body as answer pieces: text, then `Finished`, or an error when cut short.
/// The idle timeout applies to bytes, so keep-alive comments keep a slow answer alive.
fn answer_stream(
    response: reqwest::Response,
    idle: Duration,
) -> impl Stream<Item = Result<ReplyChunk, StreamError>> + Send {
    let bytes = stream::unfold(
        Box::pin(response.bytes_stream()),
        move |mut bytes| async move {
            let item = match tokio::time::timeout(idle, bytes.next()).await {
                Ok(Some(Ok(chunk))) => Ok(chunk),
                Ok(Some(Err(error))) => Err(Broken::Transport(error.to_string())),
                Ok(None) => return None,
                Err(_) => Err(Broken::Silent(idle)),
            };
            Some((item, bytes))
        },
    );
    read_answer(bytes)
}

/// Server-sent events, read from the body's bytes however they were cut, as answer pieces.
fn read_answer<B: AsRef<[u8]> + Send + 'static>(
    bytes: impl Stream<Item = Result<B, Broken>> + Send + 'static,
) -> impl Stream<Item = Result<ReplyChunk, StreamError>> + Send {
    let state = AnswerState {
        events: Box::pin(bytes.eventsource()),
        parser: ChunkParser::default(),
        pending: VecDeque::new(),
        ended: false,
    };
    stream::unfold(state, |mut state| async move {
        let item = state.next_item().await?;
        Some((item, state))
    })
}

struct AnswerState {
    events: Events,
    parser: ChunkParser,
    pending: VecDeque<String>,
    ended: bool,
}

impl AnswerState {
    async fn next_item(&mut self) -> Option<Result<ReplyChunk, StreamError>> {
        loop {
            if let Some(text) = self.pending.pop_front() {
                return Some(Ok(ReplyChunk::Text(text)));
            }
            if self.ended {
                return None;
            }
            if self.parser.is_done() {
                return Some(self.end(None));
            }
            match self.events.next().await {
                None => return Some(self.end(None)),
                Some(Err(error)) => {
                    let problem = match error {
                        EventStreamError::Transport(broken) => StreamError {
                            message: broken.to_string(),
                            fault: match broken {
                                Broken::Silent(_) => Fault::Stalled,
                                Broken::Transport(_) => Fault::Cut,
                            },
                        },
                        other => StreamError {
                            message: format!(
                                "the model service sent an unreadable stream ({other})"
                            ),
                            fault: Fault::Malformed,
                        },
                    };
                    return Some(self.end(Some(problem)));
                }
                Some(Ok(event)) => match self.parser.on_data(&event.data) {
                    Ok(pieces) => self.pending.extend(pieces),
                    Err(error) => {
                        self.ended = true;
                        return Some(Err(error));
                    }
                },
            }
        }
    }

    /// A finish reason makes the answer whole whatever happened after it; without one the
    /// answer was cut short.
    fn end(&mut self, problem: Option<StreamError>) -> Result<ReplyChunk, StreamError> {
        self.ended = true;
        self.parser.finish().ok_or_else(|| {
            problem.unwrap_or_else(|| StreamError {
                message: "the model's answer was cut off before it finished".into(),
                fault: Fault::Cut,
            })
        })
    }
}

/// The stream reader under random input: pieces of OpenAI streams and of SSE syntax mixed
/// with random text and bytes (so inputs get past the first line), cut at random places.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    fn piece() -> impl Strategy<Value = Vec<u8>> {
        let fixed: [&[u8]; 12] = [
            b"data: ",
            b"data:",
            b"\n",
            b"\r\n",
            b"\r",
            b"data: [DONE]\n\n",
            b": keep-alive\n\n",
            b"event: error\nid: 7\nretry: 10\n",
            br#"{"choices":[{"index":0,"delta":{"content":""#,
            br#""},"finish_reason":null}]}"#,
            br#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#,
            br#"{"error":{"message":"boom","type":"server_error"}}"#,
        ];
        prop_oneof![
            4 => prop::sample::select(fixed.to_vec()).prop_map(<[u8]>::to_vec),
            1 => "\\PC{0,12}".prop_map(String::into_bytes),
            1 => prop::collection::vec(any::<u8>(), 0..8),
        ]
    }

    fn read_all(chunks: Vec<Vec<u8>>) -> Vec<Result<ReplyChunk, StreamError>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(read_answer(stream::iter(chunks.into_iter().map(Ok))).collect())
    }

    proptest! {
        #[test]
        fn any_input_cut_anywhere_reads_as_if_sent_whole_and_never_panics(
            pieces in prop::collection::vec(piece(), 0..40),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        ) {
            let whole = pieces.concat();
            let mut at: Vec<usize> = cuts.iter().map(|cut| cut.index(whole.len() + 1)).collect();
            at.sort_unstable();
            let mut chunks = Vec::new();
            let mut start = 0;
            for end in at {
                chunks.push(whole[start..end].to_vec());
                start = end;
            }
            chunks.push(whole[start..].to_vec());

            let read = read_all(chunks);
            prop_assert_eq!(&read, &read_all(vec![whole]));
            // At most one ending, and it is last: nothing follows a finish or an error.
            let endings = read.iter().filter(|item| !matches!(item, Ok(ReplyChunk::Text(_)))).count();
            prop_assert!(endings <= 1);
            prop_assert!(endings == 0 || !matches!(read.last(), Some(Ok(ReplyChunk::Text(_)))));
        }
    }
}
