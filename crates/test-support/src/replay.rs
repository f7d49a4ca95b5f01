//! A server that replays recorded responses of OpenAI-compatible servers byte for byte: in
//! one write, or one byte per write (which cuts every multi-byte character and line ending
//! across reads). Used by the model client's tests and by the end-to-end tests that take
//! each recording through the whole app.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::fake_openai::read_request;

/// How a recording is written to the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    OneWrite,
    BytePerWrite,
}

/// Serves its recording (a whole HTTP response) to every connection, written as its split
/// says, and records the requests.
pub struct ReplayServer {
    pub base_url: String,
    pub requests: Arc<AtomicUsize>,
    pub last_request: Arc<Mutex<String>>,
    playing: Arc<Mutex<(Vec<u8>, Split)>>,
}

impl ReplayServer {
    /// Replays `response` to the connections from now on.
    pub fn set(&self, response: Vec<u8>, split: Split) {
        *self.playing.lock().unwrap() = (response, split);
    }
}

pub async fn replay(response: Vec<u8>, split: Split) -> ReplayServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let last_request = Arc::new(Mutex::new(String::new()));
    let playing = Arc::new(Mutex::new((response, split)));
    let (count, body_slot, recording) = (requests.clone(), last_request.clone(), playing.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (count, body_slot, recording) =
                (count.clone(), body_slot.clone(), recording.clone());
            tokio::spawn(async move {
                socket.set_nodelay(true).unwrap();
                let Ok((head, body)) = read_request(&mut socket).await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                *body_slot.lock().unwrap() =
                    format!("{head}\r\n\r\n{}", String::from_utf8_lossy(&body));
                let (response, split) = recording.lock().unwrap().clone();
                match split {
                    Split::OneWrite => {
                        let _ = socket.write_all(&response).await;
                    }
                    Split::BytePerWrite => {
                        for byte in &response {
                            if socket.write_all(std::slice::from_ref(byte)).await.is_err() {
                                break;
                            }
                            let _ = socket.flush().await;
                        }
                    }
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    ReplayServer {
        base_url,
        requests,
        last_request,
        playing,
    }
}

/// The recorded responses (a copy of the shared fixture set, kept with the client's tests).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../llm-openai/tests/fixtures")
}

/// A `.sse` body as a streaming 200 response, ended by closing the connection.
pub fn sse_response(body: &[u8]) -> Vec<u8> {
    let mut response =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n"
            .to_vec();
    response.extend_from_slice(body);
    response
}

/// A recorded `.http` response re-framed as HTTP/1.1 (one recording is an HTTP/2 dump) with
/// its status, headers and body bytes kept.
pub fn http_response(recording: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(recording);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .unwrap();
    let mut lines = head.lines();
    let status_line = lines.next().unwrap();
    let status = status_line
        .split_whitespace()
        .skip(1)
        .collect::<Vec<_>>()
        .join(" ");
    let mut response = format!("HTTP/1.1 {status}\r\n");
    for header in lines {
        let name = header
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        if !["content-length", "transfer-encoding", "connection"].contains(&name.as_str()) {
            response.push_str(header.trim_end());
            response.push_str("\r\n");
        }
    }
    response.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    response.into_bytes()
}
