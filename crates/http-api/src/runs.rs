//! This instance's live runs (answers it is writing): their text so far, a way to stop them,
//! and a wake-up for the streams that follow them. What works on them with the rest of the
//! app (keeping leases, following, retrying the last write) is in `keeper.rs`.
//!
//! Correctness never depends on this memory: the database holds every answer's text (as of
//! its last checkpoint), state and owner. Memory only makes following a local run live
//! rather than checkpoint by checkpoint, and stopping it immediately.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actix_web::web::Bytes;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How runs are kept and followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunsConfig {
    /// How long an answer's last write is retried while the database is unreachable; the
    /// stream stays open (with pings) meanwhile.
    pub save_retry: Duration,
    /// How often this instance asks the database for stop requests of its runs, and how
    /// often a reader of another instance's run looks for more of it: what a stop from
    /// another instance, or a resumed stream, can lag behind.
    pub poll_every: Duration,
    /// How often this instance renews its leases and reaps lapsed ones (a third of the
    /// lease, so two renewals can fail before one lapses).
    pub renew_every: Duration,
}

impl RunsConfig {
    pub const DEFAULT_SAVE_RETRY: Duration = Duration::from_secs(60);
    pub const DEFAULT_POLL_EVERY: Duration = Duration::from_millis(500);

    /// The defaults, for a lease of `lease`.
    pub fn for_lease(lease: Duration) -> Self {
        Self {
            save_retry: Self::DEFAULT_SAVE_RETRY,
            poll_every: Self::DEFAULT_POLL_EVERY,
            renew_every: lease / 3,
        }
    }
}

/// This instance's live runs, by answer id.
pub struct Runs {
    live: Mutex<HashMap<Uuid, Arc<LiveRun>>>,
    pub config: RunsConfig,
}

/// One answer this instance is writing.
pub struct LiveRun {
    progress: Mutex<Progress>,
    /// Bumped whenever the text grows or the run ends, to wake its followers.
    changed: watch::Sender<u64>,
    stop: CancellationToken,
}

#[derive(Default)]
struct Progress {
    text: String,
    /// The last event, once the answer is stored (or could not be).
    end: Option<Bytes>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data stays consistent even if a holder panicked: each change is one call.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Runs {
    pub fn new(config: RunsConfig) -> Self {
        Self {
            live: Mutex::new(HashMap::new()),
            config,
        }
    }

    pub fn start(&self, answer_id: Uuid) -> Arc<LiveRun> {
        let run = Arc::new(LiveRun {
            progress: Mutex::new(Progress::default()),
            changed: watch::Sender::new(0),
            stop: CancellationToken::new(),
        });
        lock(&self.live).insert(answer_id, run.clone());
        run
    }

    pub fn get(&self, answer_id: Uuid) -> Option<Arc<LiveRun>> {
        lock(&self.live).get(&answer_id).cloned()
    }

    /// Records the run's last event for its followers and forgets it: from now on the
    /// database has the whole story.
    pub fn end(&self, answer_id: Uuid, last: Bytes) {
        if let Some(run) = lock(&self.live).remove(&answer_id) {
            lock(&run.progress).end = Some(last);
            run.changed.send_modify(|n| *n += 1);
        }
    }

    /// Stops a run of this instance now; false when it is not one.
    pub fn stop(&self, answer_id: Uuid) -> bool {
        self.get(answer_id)
            .inspect(|run| run.stop.cancel())
            .is_some()
    }

    /// The answers this instance is writing now: the leases it renews.
    pub fn live(&self) -> Vec<Uuid> {
        lock(&self.live).keys().copied().collect()
    }

    pub fn running(&self) -> usize {
        lock(&self.live).len()
    }
}

impl LiveRun {
    /// Appends a piece of the answer; returns the cursor after it.
    pub fn push(&self, piece: &str) -> usize {
        let cursor = {
            let mut progress = lock(&self.progress);
            progress.text.push_str(piece);
            progress.text.len()
        };
        self.changed.send_modify(|n| *n += 1);
        cursor
    }

    /// Resolves when someone asks for this answer to stop.
    pub async fn stopped(&self) {
        self.stop.cancelled().await;
    }

    /// Wakes on the next change of the run (new text, or its end).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// The text from `cursor` on (`None` when the cursor is not at a character boundary of
    /// it, or past it), and the last event once the run has ended.
    pub fn from(&self, cursor: usize) -> (Option<String>, Option<Bytes>) {
        let progress = lock(&self.progress);
        (
            progress.text.get(cursor..).map(str::to_owned),
            progress.end.clone(),
        )
    }
}
