//! What keeps this instance's runs with the rest of the app: the loops that renew their
//! leases, reap lapsed ones and hear of stop requests; the readers that follow an answer
//! (from memory when it is written here, from the database when elsewhere); and the retries
//! of an answer's last write.

use std::time::Duration;

use actix_web::web::Bytes;
use domain::{ChatMessage, MessageStatus, ServiceError, TurnOutcome};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use uuid::Uuid;

use crate::sse;
use crate::state::AppState;

/// Retries an answer's last write while the database is unreachable, for up to
/// `save_retry` or until shutdown ends the wait; the outcome of the last attempt.
pub async fn save_with_retry(state: &AppState, mut outcome: TurnOutcome) -> TurnOutcome {
    let give_up = Instant::now() + state.runs.config.save_retry;
    let mut wait = Duration::from_millis(250);
    loop {
        let TurnOutcome::NotSaved { answer, cause } = outcome else {
            return outcome;
        };
        let unreachable = matches!(cause, domain::ports::ChatStoreError::Unavailable(_));
        if !unreachable || Instant::now() + wait > give_up || state.generations.is_stopping() {
            return TurnOutcome::NotSaved { answer, cause };
        }
        {
            let cause = &cause as &dyn std::error::Error;
            tracing::warn!(answer_id = %answer.id, cause, ?wait, "the database is unreachable for an answer's last write; retrying");
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = state.generations.stopping() => {}
        }
        wait = (wait * 2).min(Duration::from_secs(5));
        outcome = state.chat.finish(answer).await;
    }
}

/// Keeps this instance's runs for as long as its runtime runs: renews their leases and
/// reaps lapsed ones every `renew_every`, and stops the runs someone asked to stop (from
/// any instance) every `poll_every`. Each loop is its own task, so a slow database delays
/// one kind of work, not the other.
pub fn keep(state: &actix_web::web::Data<AppState>) {
    let config = state.runs.config;
    let leases = state.clone();
    tokio::spawn(every(config.renew_every, move || {
        let state = leases.clone();
        async move {
            if let Err(error) = state.chat.renew_leases(&state.runs.live()).await {
                log_failure("renewing leases", &error);
            }
            match state.chat.reap_expired().await {
                Ok(reaped) if !reaped.is_empty() => {
                    state.metrics.reaped.inc_by(reaped.len() as u64);
                    tracing::warn!(
                        count = reaped.len(),
                        ?reaped,
                        "answers whose writer stopped are marked interrupted"
                    );
                }
                Ok(_) => {}
                Err(error) => log_failure("reaping lapsed answers", &error),
            }
        }
    }));
    let stops = state.clone();
    tokio::spawn(every(config.poll_every, move || {
        let state = stops.clone();
        async move {
            if state.runs.running() == 0 {
                return;
            }
            match state.chat.stops_requested().await {
                Ok(ids) => ids.into_iter().for_each(|id| {
                    state.runs.stop(id);
                }),
                Err(error) => log_failure("reading stop requests", &error),
            }
        }
    }));
}

async fn every<F: Future<Output = ()>>(period: Duration, mut tick: impl FnMut() -> F) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        tick().await;
    }
}

fn log_failure(what: &str, error: &ServiceError) {
    let error = error as &dyn std::error::Error;
    tracing::warn!(error, "{what} failed");
}

/// Follows an answer from `cursor` (bytes of its text already seen) into `events`: what is
/// new of its text as `chunk`s, then its last event. A local run is followed as it is
/// written; another instance's through the database, every `poll_every`. Ends when the
/// answer has ended or the client has gone.
pub async fn follow(
    state: actix_web::web::Data<AppState>,
    answer_id: Uuid,
    mut cursor: usize,
    events: mpsc::UnboundedSender<Bytes>,
) {
    loop {
        let local = state.runs.get(answer_id);
        // Subscribed before reading, so a change made after the read wakes the wait below.
        let mut changed = local.as_ref().map(|run| run.subscribe());
        let step = match &local {
            Some(run) => {
                let (text, end) = run.from(cursor);
                Step::of(text, end, &mut cursor)
            }
            None => match state.chat.get_answer(answer_id).await {
                Ok(answer) => {
                    let end = (answer.status != MessageStatus::Generating)
                        .then(|| sse::ending(&answer, true));
                    Step::of(
                        answer.content.get(cursor..).map(str::to_owned),
                        end,
                        &mut cursor,
                    )
                }
                // The database is away for now: look again, the client keeps its stream.
                Err(_) => Step::Nothing,
            },
        };
        if !step.send(&events) || step.is_last() {
            return;
        }
        let wait = async {
            match changed.as_mut() {
                Some(changed) => drop(changed.changed().await),
                None => tokio::time::sleep(state.runs.config.poll_every).await,
            }
        };
        tokio::select! {
            () = wait => {}
            () = events.closed() => return,
            // Shutting down: an answer written elsewhere is resumed elsewhere; a local one is
            // followed on until it ends (within the grace period).
            () = state.generations.closing(), if local.is_none() => return,
        }
    }
}

/// What one look at an answer found to send.
enum Step {
    Nothing,
    Text(Bytes),
    End(Bytes),
    TextThenEnd(Bytes, Bytes),
}

impl Step {
    /// `text` is the answer from the cursor on (`None` when the cursor is past what is known
    /// or not at a character boundary: nothing to send yet); `end` its last event, if it
    /// has ended.
    fn of(text: Option<String>, end: Option<Bytes>, cursor: &mut usize) -> Self {
        let text = text.filter(|text| !text.is_empty()).map(|text| {
            *cursor += text.len();
            sse::chunk(&text, *cursor)
        });
        match (text, end) {
            (None, None) => Self::Nothing,
            (Some(text), None) => Self::Text(text),
            (None, Some(end)) => Self::End(end),
            (Some(text), Some(end)) => Self::TextThenEnd(text, end),
        }
    }

    fn is_last(&self) -> bool {
        matches!(self, Self::End(_) | Self::TextThenEnd(..))
    }

    /// False when the client has gone.
    fn send(&self, events: &mpsc::UnboundedSender<Bytes>) -> bool {
        let sent = |event: &Bytes| events.send(event.clone()).is_ok();
        match self {
            Self::Nothing => !events.is_closed(),
            Self::Text(text) | Self::End(text) => sent(text),
            Self::TextThenEnd(text, end) => sent(text) && sent(end),
        }
    }
}

/// Whether a resumed stream may start at `cursor` in `answer`: not when it falls inside a
/// character of the text known so far (no event ever ended there).
pub fn valid_cursor(answer: &ChatMessage, cursor: usize) -> bool {
    cursor >= answer.content.len() || answer.content.is_char_boundary(cursor)
}
