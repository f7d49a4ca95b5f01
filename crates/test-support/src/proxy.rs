//! A TCP proxy of the test's own in front of PostgreSQL's Unix socket, whose network can be
//! cut the way a partition cuts it: while cut it forwards nothing either way and closes
//! nothing, so neither side sees a reset; once healed, what was held goes on.

use std::path::PathBuf;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixStream};
use tokio::sync::watch;

pub struct Proxy {
    /// Where the app connects: `127.0.0.1:port`.
    pub port: u16,
    cut: watch::Sender<bool>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards each connection to `upstream`.
    pub async fn start(upstream: PathBuf) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, _) = watch::channel(false);
        let watching = cut.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let cut = watching.subscribe();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    // A connection made during a cut waits for the heal, as a SYN would.
                    let mut ready = cut.clone();
                    if ready.wait_for(|cut| !*cut).await.is_err() {
                        return;
                    }
                    let Ok(server) = UnixStream::connect(&upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        pump(client_read, server_write, cut.clone()),
                        pump(server_read, client_write, cut),
                    );
                });
            }
        });
        Self { port, cut }
    }

    /// A libpq connection string for `database` through the proxy.
    pub fn database_url(&self, database: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={database}",
            self.port
        )
    }

    /// Stops forwarding, in both directions, without closing anything.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn heal(&self) {
        self.cut.send_replace(false);
    }
}

/// Copies `from` to `to` while the network is up; holds everything while it is cut.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut cut: watch::Receiver<bool>,
) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        if cut.wait_for(|cut| !*cut).await.is_err() {
            return;
        }
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            // Cut while waiting to read: read nothing more until healed.
            _ = cut.wait_for(|cut| *cut) => continue,
        };
        let n = match read {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if cut.wait_for(|cut| !*cut).await.is_err() || to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
