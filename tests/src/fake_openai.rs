// Test support: a fake server that cannot bind must fail the test that started it.
#![allow(clippy::expect_used)]

//! A fake OpenAI-compatible server on loopback: each request gets the next scripted
//! behaviour (deterministic deltas, delays, HTTP errors, cuts, stalls), and every request
//! body is kept for assertions.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

    pub fn slow_answer(deltas: &[&str], delay: Duration) -> Self {
        Self::Answer {
            deltas: deltas.iter().map(|d| (*d).to_owned()).collect(),
            delay,
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
    script: Arc<Mutex<VecDeque<Behavior>>>,
    fallback: Arc<Mutex<Behavior>>,
    requests: Arc<Mutex<Vec<Value>>>,
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
            script: Arc::default(),
            fallback: Arc::new(Mutex::new(fallback)),
            requests: Arc::default(),
        };
        let (script, fallback, requests) = (
            server.script.clone(),
            server.fallback.clone(),
            server.requests.clone(),
        );
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (script, fallback, requests) =
                    (script.clone(), fallback.clone(), requests.clone());
                tokio::spawn(async move {
                    let _ = serve(socket, script, fallback, requests).await;
                });
            }
        });
        Ok(server)
    }

    /// Changes what every request without a queued behaviour gets.
    pub fn set_fallback(&self, behavior: Behavior) {
        *lock(&self.fallback) = behavior;
    }

    /// Queues behaviours for the next requests, in order.
    pub fn then(&self, behaviors: impl IntoIterator<Item = Behavior>) {
        lock(&self.script).extend(behaviors);
    }

    pub fn requests(&self) -> Vec<Value> {
        lock(&self.requests).clone()
    }
}

/// Serves requests on one connection until the client closes it, like a real keep-alive
/// server: streams use chunked encoding, errors a content length. Cuts and stalls end the
/// connection the way a failing server would.
async fn serve(
    mut socket: TcpStream,
    script: Arc<Mutex<VecDeque<Behavior>>>,
    fallback: Arc<Mutex<Behavior>>,
    requests: Arc<Mutex<Vec<Value>>>,
) -> std::io::Result<()> {
    socket.set_nodelay(true)?;
    loop {
        let (head, body) = read_request(&mut socket).await?;
        if head.is_empty() {
            return Ok(());
        }
        lock(&requests).push(serde_json::from_slice(&body).unwrap_or(Value::Null));
        let behavior = lock(&script)
            .pop_front()
            .unwrap_or_else(|| lock(&fallback).clone());
        match behavior {
            Behavior::Status {
                status,
                headers,
                body,
            } => {
                let body = body.to_string();
                let mut head = format!(
                    "HTTP/1.1 {status} Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                head.push_str(&body);
                socket.write_all(head.as_bytes()).await?;
            }
            Behavior::Answer { deltas, delay } => {
                start_stream(&mut socket).await?;
                for delta in &deltas {
                    // Even a zero sleep waits for the timer's next millisecond tick.
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    send(&mut socket, &delta_chunk(delta)).await?;
                }
                send(&mut socket, &json!({"model": "fake-gpt", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})).await?;
                let usage = json!({"prompt_tokens": 42, "completion_tokens": deltas.len(), "total_tokens": 42 + deltas.len()});
                send(&mut socket, &json!({"choices": [], "usage": usage})).await?;
                send_raw(&mut socket, "data: [DONE]\n\n").await?;
                end_stream(&mut socket).await?;
            }
            Behavior::DropAfter(deltas) => {
                start_stream(&mut socket).await?;
                for delta in &deltas {
                    send(&mut socket, &delta_chunk(delta)).await?;
                }
                return socket.shutdown().await;
            }
            Behavior::ErrorAfter(deltas, message) => {
                start_stream(&mut socket).await?;
                for delta in &deltas {
                    send(&mut socket, &delta_chunk(delta)).await?;
                }
                send(
                    &mut socket,
                    &json!({"error": {"message": message, "type": "server_error"}}),
                )
                .await?;
                send_raw(&mut socket, "data: [DONE]\n\n").await?;
                end_stream(&mut socket).await?;
            }
            Behavior::StallAfter(deltas) => {
                start_stream(&mut socket).await?;
                for delta in &deltas {
                    send(&mut socket, &delta_chunk(delta)).await?;
                }
                tokio::time::sleep(Duration::from_secs(60)).await;
                return socket.shutdown().await;
            }
        }
    }
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

async fn start_stream(socket: &mut TcpStream) -> std::io::Result<()> {
    socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n").await
}

/// One SSE event as one HTTP chunk.
async fn send_raw(socket: &mut TcpStream, event: &str) -> std::io::Result<()> {
    socket
        .write_all(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes())
        .await
}

async fn send(socket: &mut TcpStream, chunk: &Value) -> std::io::Result<()> {
    send_raw(socket, &format!("data: {chunk}\n\n")).await
}

async fn end_stream(socket: &mut TcpStream) -> std::io::Result<()> {
    socket.write_all(b"0\r\n\r\n").await
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
