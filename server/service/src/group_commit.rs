//! Group commit (issue 19): concurrent requests of one kind handed to a few
//! committers, each of which takes every request queued at that moment and
//! writes them in one transaction — one WAL flush (and one pass through the
//! audit chain) for the batch instead of one per request. Every request is
//! answered only after the commit that holds its change.
//!
//! The batch adapts to load with no timer: an idle server's committer is
//! waiting, so a lone request starts at once (no added latency); under load
//! requests queue while the committers are busy and the next batch takes all of
//! them (up to `max_batch`).
//!
//! The committers' types live here, their writing in the areas (`tickets`), so
//! that `AppState` can hold them without depending on the areas.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::{AppError, AppResult};

type Job<J, R> = (J, oneshot::Sender<R>);

/// A queue of `J`s written in batches by `committers` tasks running `write`
/// (which answers one `R` per job, in order).
pub struct GroupCommit<J, R> {
    queue: mpsc::UnboundedSender<Job<J, R>>,
}

impl<J, R> Clone for GroupCommit<J, R> {
    fn clone(&self) -> Self {
        GroupCommit { queue: self.queue.clone() }
    }
}

impl<J: Send + 'static, R: Send + 'static> GroupCommit<J, R> {
    pub fn start<W, Fut>(committers: usize, max_batch: usize, write: W) -> Self
    where
        W: Fn(Vec<J>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<R>> + Send + 'static,
    {
        let (queue, rx) = mpsc::unbounded_channel::<Job<J, R>>();
        let rx = Arc::new(Mutex::new(rx));
        let write = Arc::new(write);
        for _ in 0..committers.max(1) {
            let (rx, write) = (rx.clone(), write.clone());
            tokio::spawn(async move {
                loop {
                    // One committer at a time collects a batch: the first job
                    // (waiting for it), then whatever else is queued already.
                    let batch = {
                        let mut rx = rx.lock().await;
                        let Some(first) = rx.recv().await else { return };
                        let mut batch = vec![first];
                        while batch.len() < max_batch {
                            match rx.try_recv() {
                                Ok(job) => batch.push(job),
                                Err(_) => break,
                            }
                        }
                        batch
                    };
                    crate::metrics::GROUP_COMMIT_BATCH.observe(batch.len() as f64);
                    let (jobs, answers): (Vec<J>, Vec<oneshot::Sender<R>>) = batch.into_iter().unzip();
                    // A panic in `write` must not take the committer down with it.
                    let outcome = tokio::spawn(write(jobs)).await;
                    match outcome {
                        Ok(results) => {
                            for (answer, r) in answers.into_iter().zip(results) {
                                let _ = answer.send(r);
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "group commit batch failed; its callers get INTERNAL"),
                    }
                }
            });
        }
        GroupCommit { queue }
    }

    /// Queues `job` and waits for its answer (after the commit holding it).
    pub async fn submit(&self, job: J) -> AppResult<R> {
        let (tx, rx) = oneshot::channel();
        self.queue.send((job, tx)).map_err(|_| AppError::Internal("group commit stopped".into()))?;
        rx.await.map_err(|_| AppError::Internal("group commit batch failed".into()))
    }
}

/// First uploads of tickets in group commit (started by `tickets::start_commits`).
pub type TicketCommits = GroupCommit<cotton_store::tickets::FirstUpload, AppResult<Option<cotton_store::tickets::TicketRow>>>;
