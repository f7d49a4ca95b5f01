// Test support: a fake server that cannot bind must fail the test that started it.
#![allow(clippy::expect_used)]

//! A fake OpenAI-compatible server on loopback: each request gets the next scripted
//! behaviour (deterministic deltas, delays, HTTP errors, cuts, stalls), and every request
//! body is kept for assertions.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Clone, Debug)]
pub enum Behavior {
    /// Streams the deltas (with `delay` before each), then finish "stop", usage and [DONE].
    Answer {
        deltas: Vec<String>,
        delay: Duration,
    },
    /// An HTTP error with a JSON body and extra headers.
    Status {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Value,
    },
    /// Streams the deltas, then finishes for the given reason (`length`, `content_filter`).
    FinishWith(Vec<String>, String),
    /// Streams the deltas, then closes the connection: no finish reason, no [DONE].
    DropAfter(Vec<String>),
    /// Streams the deltas, then an `{"error": ...}` event and [DONE].
    ErrorAfter(Vec<String>, String),
    /// Streams the deltas, then says nothing more while keeping the connection open.
    StallAfter(Vec<String>),
}

impl Behavior {
    pub fn answer(deltas: &[&str]) -> Self {
        Self::Answer {
            deltas: deltas.iter().map(|d| (*d).to_owned()).collect(),
            delay: Duration::ZERO,
        }
    }

    /// An answer whose pieces come `millis` milliseconds apart.
    pub fn slow_answer(deltas: &[&str], millis: u64) -> Self {
        Self::Answer {
            deltas: deltas.iter().map(|d| (*d).to_owned()).collect(),
            delay: Duration::from_millis(millis),
        }
    }

    pub fn status(status: u16, message: &str) -> Self {
        Self::Status {
            status,
            headers: vec![],
            body: json!({"error": {"message": message, "type": "server_error"}}),
        }
    }
}

pub struct FakeOpenAi {
    pub base_url: String,
    shared: Shared,
}

impl FakeOpenAi {
    /// A server on a free loopback port answering every request with `fallback` unless a
    /// scripted behaviour is queued.
    pub async fn start(fallback: Behavior) -> Self {
        Self::bind("127.0.0.1:0", fallback)
            .await
            .expect("bind a loopback port")
    }

    pub async fn bind(addr: &str, fallback: Behavior) -> std::io::Result<Self> {
        let addr: std::net::SocketAddr = addr.parse().map_err(std::io::Error::other)?;
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        // Thousands of streams open within seconds in the bench: a deep accept queue.
        let listener = socket.listen(4096)?;
        let base_url = format!("http://{}/v1", listener.local_addr()?);
        let server = Self {
            base_url,
            shared: Shared {
                script: Arc::default(),
                fallback: Arc::new(Mutex::new(fallback)),
                requests: Arc::default(),
            },
        };
        let shared = server.shared.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(socket, shared).await;
                });
            }
        });
        Ok(server)
    }

    /// Changes what every request without a queued behaviour gets.
    pub fn set_fallback(&self, behavior: Behavior) {
        *lock(&self.shared.fallback) = behavior;
    }

    /// Queues behaviours for the next requests, in order.
    pub fn then(&self, behaviors: impl IntoIterator<Item = Behavior>) {
        lock(&self.shared.script).extend(behaviors);
    }

    pub fn requests(&self) -> Vec<Value> {
        lock(&self.shared.requests).clone()
    }
}

/// What a behaviour does on the wire, whatever the protocol.
enum Step {
    /// A whole error answer.
    Error(ErrorReply),
    /// The head of a `text/event-stream` answer.
    StartStream,
    Event(String),
    Wait(Duration),
    /// The stream ends properly.
    End,
    /// The connection (HTTP/1.1) or the stream (HTTP/2) is cut.
    Cut,
    /// Nothing more is sent for a minute, then the stream is cut.
    Stall,
}

/// A JSON error answer with its status and extra headers.
struct ErrorReply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn event(chunk: &Value) -> Step {
    Step::Event(format!("data: {chunk}\n\n"))
}

fn deltas_then<'a>(deltas: &'a [String]) -> impl Iterator<Item = Step> + 'a {
    std::iter::once(Step::StartStream).chain(deltas.iter().map(|d| event(&delta_chunk(d))))
}

fn steps(behavior: Behavior) -> Vec<Step> {
    match behavior {
        Behavior::Status {
            status,
            headers,
            body,
        } => vec![Step::Error(ErrorReply {
            status,
            headers,
            body: body.to_string(),
        })],
        Behavior::FinishWith(deltas, reason) => deltas_then(&deltas)
            .chain([
                event(&json!({"model": "fake-gpt", "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})),
                Step::Event("data: [DONE]\n\n".into()),
                Step::End,
            ])
            .collect(),
        Behavior::Answer { deltas, delay } => {
            let mut steps = vec![Step::StartStream];
            for delta in &deltas {
                // Even a zero sleep waits for the timer's next millisecond tick.
                if !delay.is_zero() {
                    steps.push(Step::Wait(delay));
                }
                steps.push(event(&delta_chunk(delta)));
            }
            let usage = json!({"prompt_tokens": 42, "completion_tokens": deltas.len(), "total_tokens": 42 + deltas.len()});
            steps.extend([
                event(&json!({"model": "fake-gpt", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})),
                event(&json!({"choices": [], "usage": usage})),
                Step::Event("data: [DONE]\n\n".into()),
                Step::End,
            ]);
            steps
        }
        Behavior::DropAfter(deltas) => deltas_then(&deltas).chain([Step::Cut]).collect(),
        Behavior::ErrorAfter(deltas, message) => deltas_then(&deltas)
            .chain([
                event(&json!({"error": {"message": message, "type": "server_error"}})),
                Step::Event("data: [DONE]\n\n".into()),
                Step::End,
            ])
            .collect(),
        Behavior::StallAfter(deltas) => deltas_then(&deltas).chain([Step::Stall]).collect(),
    }
}

/// The shared state of a server, cloned into each connection.
#[derive(Clone)]
struct Shared {
    script: Arc<Mutex<VecDeque<Behavior>>>,
    fallback: Arc<Mutex<Behavior>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl Shared {
    /// Records the request body and picks its behaviour.
    fn next(&self, body: &[u8]) -> Behavior {
        lock(&self.requests).push(serde_json::from_slice(body).unwrap_or(Value::Null));
        lock(&self.script)
            .pop_front()
            .unwrap_or_else(|| lock(&self.fallback).clone())
    }
}

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0";

/// Serves one connection in the protocol its first bytes speak: HTTP/2 with prior knowledge
/// (h2c) or HTTP/1.1.
async fn serve(socket: TcpStream, shared: Shared) -> std::io::Result<()> {
    socket.set_nodelay(true)?;
    let mut first = [0u8; H2_PREFACE.len()];
    let mut seen = 0;
    while seen < first.len() {
        let n = socket.peek(&mut first).await?;
        if n == 0 || first[..n] != H2_PREFACE[..n] {
            break;
        }
        seen = n;
    }
    if seen == first.len() {
        serve_h2(socket, shared).await
    } else {
        serve_h1(socket, shared).await
    }
}

/// HTTP/1.1 until the client closes, like a real keep-alive server: streams use chunked
/// encoding, errors a content length; cuts and stalls end the connection.
async fn serve_h1(mut socket: TcpStream, shared: Shared) -> std::io::Result<()> {
    loop {
        let (head, body) = read_request(&mut socket).await?;
        if head.is_empty() {
            return Ok(());
        }
        for step in steps(shared.next(&body)) {
            match step {
                Step::Error(reply) => {
                    let mut head = format!(
                        "HTTP/1.1 {} Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    for (name, value) in reply.headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str("\r\n");
                    head.push_str(&reply.body);
                    socket.write_all(head.as_bytes()).await?;
                }
                Step::StartStream => {
                    socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n").await?;
                }
                // One SSE event as one HTTP chunk.
                Step::Event(event) => {
                    socket
                        .write_all(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes())
                        .await?;
                }
                Step::Wait(delay) => tokio::time::sleep(delay).await,
                Step::End => socket.write_all(b"0\r\n\r\n").await?,
                Step::Cut => return socket.shutdown().await,
                Step::Stall => {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    return socket.shutdown().await;
                }
            }
        }
    }
}

/// HTTP/2: every request a stream of its own on the one connection; cuts and stalls reset
/// the stream.
async fn serve_h2(socket: TcpStream, shared: Shared) -> std::io::Result<()> {
    let mut connection = h2::server::Builder::new()
        // The bench opens thousands of answers on one connection.
        .max_concurrent_streams(100_000)
        // h2 answers many small DATA frames buffered at once (tens of thousands of request
        // bodies while its one thread catches up), many streams reset before they were
        // accepted, or many errors of its own, with GOAWAY (ENHANCE_YOUR_CALM) on the whole
        // connection: guards for a public server, which under the bench's 50,000 answers on
        // one connection cut them all off. The fake is not what is measured.
        .data_frame_budget(1 << 30)
        .max_pending_accept_reset_streams(usize::MAX)
        .max_local_error_reset_streams(None)
        .handshake::<_, Bytes>(socket)
        .await
        .map_err(std::io::Error::other)?;
    while let Some(accepted) = connection.accept().await {
        let (request, respond) = accepted.map_err(|error| {
            eprintln!("fake model: HTTP/2 connection ended: {error:?}");
            std::io::Error::other(error)
        })?;
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = answer_h2(request, respond, shared).await;
        });
    }
    Ok(())
}

async fn answer_h2(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    shared: Shared,
) -> Result<(), h2::Error> {
    let mut incoming = request.into_body();
    let mut body = Vec::new();
    while let Some(chunk) = incoming.data().await {
        let chunk = chunk?;
        body.extend_from_slice(&chunk);
        let _ = incoming.flow_control().release_capacity(chunk.len());
    }
    let mut stream = None;
    for step in steps(shared.next(&body)) {
        match step {
            Step::Error(reply) => {
                let mut response = http::Response::builder()
                    .status(reply.status)
                    .header("content-type", "application/json");
                for (name, value) in reply.headers {
                    response = response.header(name, value);
                }
                let response = response.body(()).unwrap_or_default();
                respond
                    .send_response(response, false)?
                    .send_data(Bytes::from(reply.body), true)?;
            }
            Step::StartStream => {
                let response = http::Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(())
                    .unwrap_or_default();
                stream = Some(respond.send_response(response, false)?);
            }
            Step::Event(event) => {
                if let Some(stream) = &mut stream {
                    stream.send_data(Bytes::from(event), false)?;
                }
            }
            Step::Wait(delay) => tokio::time::sleep(delay).await,
            Step::End => {
                if let Some(stream) = &mut stream {
                    stream.send_data(Bytes::new(), true)?;
                }
            }
            Step::Cut | Step::Stall => {
                // A reset may overtake data the client has not read yet: let it arrive first.
                let pause = match step {
                    Step::Stall => Duration::from_secs(60),
                    _ => Duration::from_millis(100),
                };
                tokio::time::sleep(pause).await;
                if let Some(stream) = &mut stream {
                    stream.send_reset(h2::Reason::INTERNAL_ERROR);
                }
            }
        }
    }
    Ok(())
}

/// A poisoned lock only means another connection's task panicked; the data is still good.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn delta_chunk(text: &str) -> Value {
    json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": "fake-gpt",
           "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
}

/// Reads one HTTP/1.1 request from `socket`: its head (request line and headers) and its
/// content-length body.
pub async fn read_request(socket: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok((String::from_utf8_lossy(&data).into_owned(), Vec::new()));
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            while data.len() < end + 4 + length {
                let n = socket.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
            return Ok((head, data[end + 4..].to_vec()));
        }
    }
}
