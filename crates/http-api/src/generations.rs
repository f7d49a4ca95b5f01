//! Answers are generated in tasks of their own, detached from the request: a client that
//! goes away does not stop its answer from being finished and stored. A task runs on the
//! HTTP worker that took the question, where that worker's database connections and model
//! connection are driven too: a turn wakes no other thread (its pieces, its writes and its
//! stream to the client are all on one). On shutdown they get a grace period; then they are
//! told to stop, and store what they have as interrupted; the workers are stopped after.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tokio_util::task::TaskTracker;

pub struct Generations {
    tracker: TaskTracker,
    /// Cancelled when the grace period is over: answers store what they have.
    stop: CancellationToken,
    /// Cancelled when shutdown begins: streams that follow another instance's answer end
    /// (their client resumes elsewhere).
    closing: CancellationToken,
}

impl Generations {
    pub fn new() -> Self {
        Self {
            tracker: TaskTracker::new(),
            stop: CancellationToken::new(),
            closing: CancellationToken::new(),
        }
    }

    /// Runs `generation` on the calling thread's runtime.
    pub fn spawn(&self, generation: impl Future<Output = ()> + Send + 'static) {
        self.tracker.spawn(generation);
    }

    /// Resolves when generations must stop and store what they have.
    pub fn stop_signal(&self) -> WaitForCancellationFutureOwned {
        self.stop.clone().cancelled_owned()
    }

    /// Resolves when shutdown begins.
    pub async fn closing(&self) {
        self.closing.cancelled().await;
    }

    /// Whether generations are being told to stop (the grace period is over).
    pub fn is_stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Resolves when generations are told to stop.
    pub async fn stopping(&self) {
        self.stop.cancelled().await;
    }

    fn running(&self) -> usize {
        self.tracker.len()
    }

    /// Waits up to `grace` for running generations to finish, then stops the rest and waits
    /// up to `store_within` (one database deadline) for them to store their partial answers.
    pub async fn shutdown(&self, grace: Duration, store_within: Duration) {
        self.closing.cancel();
        self.tracker.close();
        if self.tracker.is_empty() {
            return;
        }
        tracing::info!(
            running = self.running(),
            ?grace,
            "waiting for answers being generated"
        );
        if !self.all_ended_within(grace).await {
            let running = self.running();
            tracing::warn!(
                running,
                "grace period over; storing unfinished answers as interrupted"
            );
            self.stop.cancel();
            if !self.all_ended_within(store_within).await {
                let running = self.running();
                tracing::error!(running, "some answers could not be stored before exit");
            }
        }
    }
}

impl Generations {
    async fn all_ended_within(&self, time: Duration) -> bool {
        tokio::time::timeout(time, self.tracker.wait())
            .await
            .is_ok()
    }
}

impl Default for Generations {
    fn default() -> Self {
        Self::new()
    }
}
