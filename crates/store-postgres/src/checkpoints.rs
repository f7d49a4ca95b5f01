//! Checkpoints of every answer being written, saved together: each answer asks for its text
//! to be saved every few seconds, and with tens of thousands of answers open that was tens
//! of thousands of statements a second, each a round trip and a connection. One task writes
//! whatever checkpoints have come in, all in one statement, while the next ones queue up
//! behind it: under load a statement saves thousands, and one answer alone still waits no
//! longer than its own statement.

use std::sync::{Arc, OnceLock};

use diesel_async::RunQueryDsl;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::calls::Calls;
use crate::error::DbError;
use crate::prepared::{Prepared, Value};
use crate::rows::IdRow;

/// At most this many checkpoints, and about this many bytes of text, go in one statement:
/// the rows it writes are locked until it ends.
const MOST_PER_STATEMENT: usize = 500;
const MOST_BYTES: usize = 2 << 20;

/// Saves the texts of answers still `generating` and owned by who asks, renewing their
/// leases; returns those saved.
/// A row another statement holds (its answer finishing, its lease renewed) is skipped, not
/// waited for: a checkpoint never delays those, nor deadlocks with them, and the rows are
/// locked in one order.
const SAVE_ALL: &str = "WITH v AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS v(id, owner_id, content)
), target AS (
    SELECT m.id FROM chat_messages m JOIN v ON v.id = m.id AND v.owner_id = m.owner_id
    WHERE m.status = 'generating'
    ORDER BY m.id
    FOR UPDATE OF m SKIP LOCKED
)
UPDATE chat_messages m SET content = v.content, renewed_at = now()
FROM target JOIN v ON v.id = target.id
WHERE m.id = target.id
RETURNING m.id";

/// Why a statement of checkpoints failed, for each of them.
#[derive(Debug, Clone)]
pub enum Failed {
    Unavailable(Arc<str>),
    Unexpected(Arc<str>),
}

impl From<DbError> for Failed {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(cause) => Self::Unavailable(cause.to_string().into()),
            other => Self::Unexpected(other.to_string().into()),
        }
    }
}

/// One answer's checkpoint, and where its outcome goes: whether it was saved.
struct Request {
    id: Uuid,
    owner: Uuid,
    text: String,
    done: oneshot::Sender<Result<bool, Failed>>,
}

/// The queue of checkpoints of one store (its clones share it), and the task that writes
/// them, started with the first one.
#[derive(Clone, Default)]
pub struct Checkpoints {
    queue: Arc<OnceLock<mpsc::UnboundedSender<Request>>>,
}

impl Checkpoints {
    /// Saves `text` as the text of the answer `id` if `owner` still writes it: `Ok(false)`
    /// when it does not.
    pub async fn save(
        &self,
        calls: &Calls,
        id: Uuid,
        owner: Uuid,
        text: &str,
    ) -> Result<bool, Failed> {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(write_all(calls.clone(), receiver));
            sender
        });
        let (done, outcome) = oneshot::channel();
        let request = Request {
            id,
            owner,
            text: text.to_owned(),
            done,
        };
        if queue.send(request).is_err() {
            return Err(Failed::Unexpected(
                "the checkpoint writer has stopped".into(),
            ));
        }
        outcome.await.unwrap_or_else(|_| {
            Err(Failed::Unexpected(
                "the checkpoint writer has stopped".into(),
            ))
        })
    }
}

/// The checkpoints going in one statement, column by column.
#[derive(Default)]
struct Batch {
    ids: Vec<Uuid>,
    owners: Vec<Uuid>,
    texts: Vec<String>,
    waiting: Vec<oneshot::Sender<Result<bool, Failed>>>,
    bytes: usize,
}

impl Batch {
    fn push(&mut self, request: Request) {
        self.bytes += request.text.len();
        self.ids.push(request.id);
        self.owners.push(request.owner);
        self.texts.push(request.text);
        self.waiting.push(request.done);
    }

    fn is_full(&self) -> bool {
        self.ids.len() >= MOST_PER_STATEMENT || self.bytes >= MOST_BYTES
    }
}

/// Writes what has queued up, one statement at a time, until every sender is gone.
async fn write_all(calls: Calls, mut queue: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = queue.recv().await {
        let mut batch = Batch::default();
        batch.push(first);
        while !batch.is_full() {
            let Ok(next) = queue.try_recv() else { break };
            batch.push(next);
        }
        let began = tokio::time::Instant::now();
        let outcome = save(&calls, &batch).await.map_err(Failed::from);
        // Checkpoints give way: the writer rests as long as it wrote, so they take at most
        // half of one connection's time, however many answers are open.
        tokio::time::sleep(began.elapsed()).await;
        for (id, waiting) in batch.ids.iter().zip(batch.waiting) {
            let result = match &outcome {
                Ok(saved) => Ok(saved.contains(id)),
                Err(failed) => Err(failed.clone()),
            };
            // The answer may have stopped waiting: nothing to tell it then.
            let _ = waiting.send(result);
        }
    }
}

/// One statement for `batch`; the ids it saved.
async fn save(calls: &Calls, batch: &Batch) -> Result<std::collections::HashSet<Uuid>, DbError> {
    // Checkpoints are the first thing to give way when connections are scarce.
    let saved: Vec<IdRow> = calls
        .run_if_free(async |conn| {
            let values = vec![
                Value::Uuids(&batch.ids),
                Value::Uuids(&batch.owners),
                Value::Texts(&batch.texts),
            ];
            Ok(Prepared::new(SAVE_ALL, values).load(conn).await?)
        })
        .await?;
    Ok(saved.into_iter().map(|s| s.id).collect())
}
