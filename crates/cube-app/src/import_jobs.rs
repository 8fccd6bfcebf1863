//! Import jobs: a large file imported in the background. Starting one checks the import (the
//! user may manage the assignment, every row parsed) and answers at once; the rows are then
//! written chunk by chunk ([`Cube::write_import`]) while the job tells how far it has come,
//! and when it ends, its report or why it stopped. An HTTP request has a time limit; a
//! 100,000-row file should not have to fit in it.
//!
//! Jobs live in this process's memory: a restart forgets them (the chunks already written
//! stay, and sending the file again finishes the import without duplicates). What a job
//! wrote does not depend on the job: its import's record (`ImportJob::import`) is kept by the
//! store with each chunk, so the import can be undone (`Cube::undo_import`) after a restart. A job is seen
//! by the user who started it and by the organisation's admins. Each organisation runs at
//! most [`MAX_RUNNING_PER_ORGANISATION`] at once and keeps its last
//! [`MAX_FINISHED_PER_ORGANISATION`] finished ones for [`FINISHED_KEPT_FOR`].
//!
//! # The rejected-row report and erasure
//! A job's report of rejected rows (`ImportJob::rejected_rows`, downloadable) names what
//! was wrong with each row, and a reason may quote the row's phone number or external id
//! (an identity conflict). It is personal data, so it is kept no longer than the job: no
//! store holds it (nothing of it survives a restart), and a finished job — report and all —
//! is forgotten [`FINISHED_KEPT_FOR`] after it ended, checked on every read of the registry
//! and every start, for every organisation (not only when the same organisation starts
//! another import). An erasure therefore leaves a person's number in a report at most until
//! the job's end plus [`FINISHED_KEPT_FOR`] (ADR 0008); the report is not rewritten.

use crate::customers::{ImportCommand, ImportPlan, ImportProgress, ImportReport, RejectedRow};
use crate::streamed_imports::{ImportSource, OpenedImport};
use crate::{AppError, AppResult, Cube};
use cube_domain::access::{RoleKind, User};
use cube_domain::ids::{AssignmentId, ImportId, OrganisationId, UserId};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use thiserror::Error;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Import jobs running at once in one organisation.
pub const MAX_RUNNING_PER_ORGANISATION: usize = 2;
/// Finished jobs an organisation keeps (the oldest goes first).
pub const MAX_FINISHED_PER_ORGANISATION: usize = 10;
/// How long a finished job is kept.
pub const FINISHED_KEPT_FOR: Duration = Duration::hours(1);

/// An import job's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImportJobId(Uuid);

impl ImportJobId {
    /// From its UUID.
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
    /// Its UUID.
    pub fn as_uuid(self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for ImportJobId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl fmt::Display for ImportJobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why an import job was not started.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImportJobError {
    /// The organisation runs as many imports as it may at once.
    #[error(
        "{0} imports are running in this organisation already; wait for one to finish (GET its job) and start this one again"
    )]
    TooManyRunning(usize),
    /// The job was cancelled by the user (between two chunks).
    #[error("the import was cancelled")]
    Cancelled,
    /// The file could not be read again while it was being written.
    #[error("the file could not be read again ({0}); send it again")]
    SourceFailed(String),
    /// The job has ended already: nothing to cancel.
    #[error("the import job has ended already; nothing was cancelled")]
    NotRunning,
    /// The job writes rows sent as JSON (checked whole before it started): it runs to its
    /// end.
    #[error(
        "an import of rows sent as JSON is not cancelled; it runs to its end, then undo it (POST /api/imports/{{id}}/undo)"
    )]
    NotCancellable,
}

/// Where a job is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportJobState {
    /// Writing: how far it has come.
    Running(ImportProgress),
    /// Every row written: the report.
    Done(Arc<ImportReport>),
    /// It stopped: why (an [`AppError::ImportStopped`] says how many rows went in).
    Failed(AppError),
}

/// An import job as its readers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    /// The id.
    pub id: ImportJobId,
    /// The organisation.
    pub organisation: OrganisationId,
    /// Who started it.
    pub started_by: UserId,
    /// The assignment the rows go into.
    pub assignment: AssignmentId,
    /// The import's record, to undo it by (`Cube::undo_import`): recorded with the first
    /// chunk written, so also a job that stopped part-way can be undone.
    pub import: ImportId,
    /// When it started.
    pub started_at: OffsetDateTime,
    /// When it ended, if it has.
    pub finished_at: Option<OffsetDateTime>,
    /// Rows in the file that were not taken (their reasons come with the report).
    pub rejected: usize,
    /// Those rows with their numbers and reasons, from the start (a report of them can be
    /// downloaded while the job runs, and after it stopped).
    pub rejected_rows: Arc<[RejectedRow]>,
    /// Where it is.
    pub state: ImportJobState,
}

impl ImportJob {
    fn is_running(&self) -> bool {
        matches!(self.state, ImportJobState::Running(_))
    }
}

/// The jobs of this process. Cheap to clone (one shared registry).
#[derive(Debug, Clone, Default)]
pub struct ImportJobs {
    jobs: Arc<Mutex<HashMap<ImportJobId, ImportJob>>>,
    /// Per running job, the flag its writing checks between chunks (`cancel` sets it).
    cancels: Arc<Mutex<HashMap<ImportJobId, Arc<AtomicBool>>>>,
}

impl ImportJobs {
    /// No jobs yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the import (as [`Cube::plan_import`]) and registers the job, running; the
    /// returned [`ImportJobRun`] writes it, and the caller runs that in the background (the
    /// HTTP adapter spawns it on its runtime), answering with the job at once.
    pub async fn start(
        &self,
        cube: &Cube,
        user: &User,
        command: ImportCommand,
    ) -> AppResult<(ImportJob, ImportJobRun)> {
        let plan = cube.plan_import(user, command).await?;
        self.start_planned(cube, user, plan)
    }

    /// Registers a job for an import already checked ([`Cube::plan_import`]), as
    /// [`ImportJobs::start`] does.
    pub fn start_planned(
        &self,
        cube: &Cube,
        user: &User,
        plan: ImportPlan,
    ) -> AppResult<(ImportJob, ImportJobRun)> {
        let now = cube.now();
        let job = ImportJob {
            id: cube.new_id(),
            organisation: user.organisation,
            started_by: user.id,
            assignment: plan.assignment(),
            import: plan.import(),
            started_at: now,
            finished_at: None,
            rejected: plan.rejected().len(),
            rejected_rows: plan.rejected().into(),
            state: ImportJobState::Running(ImportProgress {
                rows_done: 0,
                rows_total: plan.rows_to_write(),
            }),
        };
        self.register(&job, now)?;
        let run = ImportJobRun {
            registry: self.clone(),
            cube: cube.clone(),
            user: user.clone(),
            id: job.id,
            work: Work::Planned(Box::new(plan)),
        };
        Ok((job, run))
    }

    /// Registers a job for a streamed import whose first pass found `rows_to_write` good
    /// rows and `rejected` rejected ones (`rejected_rows`: the first of them, listed); the
    /// returned [`ImportJobRun`] reads `source` again and writes it in chunks of
    /// `chunk_rows` (`Cube::write_streamed`), and can be cancelled ([`ImportJobs::cancel`]).
    #[allow(clippy::too_many_arguments)]
    pub fn start_streamed(
        &self,
        cube: &Cube,
        user: &User,
        opened: OpenedImport,
        source: Box<dyn ImportSource>,
        chunk_rows: usize,
        rows_to_write: usize,
        rejected: usize,
        rejected_rows: Vec<RejectedRow>,
    ) -> AppResult<(ImportJob, ImportJobRun)> {
        let now = cube.now();
        let job = ImportJob {
            id: cube.new_id(),
            organisation: user.organisation,
            started_by: user.id,
            assignment: opened.assignment(),
            import: opened.import(),
            started_at: now,
            finished_at: None,
            rejected,
            rejected_rows: rejected_rows.into(),
            state: ImportJobState::Running(ImportProgress {
                rows_done: 0,
                rows_total: rows_to_write,
            }),
        };
        self.register(&job, now)?;
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancels_lock().insert(job.id, cancel.clone());
        let run = ImportJobRun {
            registry: self.clone(),
            cube: cube.clone(),
            user: user.clone(),
            id: job.id,
            work: Work::Streamed {
                opened: Box::new(opened),
                rejected: job.rejected_rows.clone(),
                source,
                chunk_rows,
                rows_total: rows_to_write,
                cancel,
            },
        };
        Ok((job, run))
    }

    /// Cancels a running streamed job the user may see ([`ImportJobs::job`]): it stops
    /// before its next chunk; the chunks written stay, recorded with the import (undo it
    /// to take them out). Answers the job as it is now.
    pub fn cancel(
        &self,
        user: &User,
        id: ImportJobId,
        now: OffsetDateTime,
    ) -> AppResult<ImportJob> {
        let job = self.job(user, id, now)?;
        if !job.is_running() {
            return Err(ImportJobError::NotRunning.into());
        }
        match self.cancels_lock().get(&id) {
            Some(flag) => flag.store(true, Ordering::Relaxed),
            // A job written from rows held in memory writes to its end.
            None => return Err(ImportJobError::NotCancellable.into()),
        }
        Ok(job)
    }

    fn register(&self, job: &ImportJob, now: OffsetDateTime) -> AppResult<()> {
        let mut jobs = self.lock();
        forget_expired(&mut jobs, now);
        forget_old(&mut jobs, job.organisation);
        let running = jobs
            .values()
            .filter(|j| j.organisation == job.organisation && j.is_running())
            .count();
        if running >= MAX_RUNNING_PER_ORGANISATION {
            return Err(ImportJobError::TooManyRunning(running).into());
        }
        jobs.insert(job.id, job.clone());
        Ok(())
    }

    fn cancels_lock(&self) -> std::sync::MutexGuard<'_, HashMap<ImportJobId, Arc<AtomicBool>>> {
        // As `lock`: every write is one insert or one remove.
        self.cancels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A job the user may see: the one who started it, or an admin of its organisation.
    /// Another organisation's job and one forgotten — a restart, or ended
    /// [`FINISHED_KEPT_FOR`] before `now` — are "import job not found" alike.
    pub fn job(&self, user: &User, id: ImportJobId, now: OffsetDateTime) -> AppResult<ImportJob> {
        let mut jobs = self.lock();
        forget_expired(&mut jobs, now);
        match jobs.get(&id) {
            Some(job)
                if job.organisation == user.organisation
                    && (job.started_by == user.id || user.role.kind() == RoleKind::Admin) =>
            {
                Ok(job.clone())
            }
            _ => Err(AppError::NotFound("import job")),
        }
    }

    fn set(&self, id: ImportJobId, state: ImportJobState, finished_at: Option<OffsetDateTime>) {
        if let Some(job) = self.lock().get_mut(&id) {
            job.state = state;
            job.finished_at = finished_at;
        }
    }

    /// Whether a job of this process is still writing the import `import` (an undo waits
    /// for it: `UndoRefused::StillRunning`).
    pub fn is_writing(&self, import: ImportId) -> bool {
        self.lock()
            .values()
            .any(|job| job.import == import && job.is_running())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ImportJobId, ImportJob>> {
        // A panic while holding the lock leaves the map whole (every write is one insert
        // or one field set), so a poisoned lock is still good to use.
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The writing of a started job: run it to its end (in the background).
pub struct ImportJobRun {
    registry: ImportJobs,
    cube: Cube,
    user: User,
    id: ImportJobId,
    work: Work,
}

/// What a job writes: a plan held in memory, or a file read again.
enum Work {
    Planned(Box<ImportPlan>),
    Streamed {
        opened: Box<OpenedImport>,
        /// The rejected rows the first pass listed, for the report.
        rejected: Arc<[RejectedRow]>,
        source: Box<dyn ImportSource>,
        chunk_rows: usize,
        rows_total: usize,
        cancel: Arc<AtomicBool>,
    },
}

impl fmt::Debug for ImportJobRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportJobRun")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl ImportJobRun {
    /// The job's id.
    pub fn id(&self) -> ImportJobId {
        self.id
    }

    /// Writes the rows chunk by chunk, keeping the job's progress, and ends the job with
    /// its report or the reason it stopped (also returned, for the caller's log).
    pub async fn run(self) -> ImportJobState {
        let ImportJobRun {
            registry,
            cube,
            user,
            id,
            work,
        } = self;
        let mut progress = |p: ImportProgress| registry.set(id, ImportJobState::Running(p), None);
        let result = match work {
            Work::Planned(plan) => cube.write_import(&user, *plan, &mut progress).await,
            Work::Streamed {
                opened,
                rejected,
                mut source,
                chunk_rows,
                rows_total,
                cancel,
            } => {
                let written = cube
                    .write_streamed(
                        &user,
                        &opened,
                        source.as_mut(),
                        chunk_rows,
                        rows_total,
                        &mut progress,
                        &cancel,
                    )
                    .await;
                // The source (and the file it reads) goes when the job ends.
                drop(source);
                registry.cancels_lock().remove(&id);
                written.map(|mut report| {
                    // The first pass's rejected rows, and any the store refused since.
                    let refused = std::mem::take(&mut report.rejected);
                    report.rejected = rejected.to_vec();
                    crate::customers::merge_rejected(&mut report.rejected, refused);
                    report
                })
            }
        };
        let state = match result {
            Ok(report) => ImportJobState::Done(Arc::new(report)),
            Err(error) => ImportJobState::Failed(error),
        };
        registry.set(id, state.clone(), Some(cube.now()));
        state
    }
}

/// Drops every organisation's finished jobs past [`FINISHED_KEPT_FOR`], with their reports
/// (see the module doc).
fn forget_expired(jobs: &mut HashMap<ImportJobId, ImportJob>, now: OffsetDateTime) {
    jobs.retain(|_, job| {
        job.finished_at
            .is_none_or(|at| now - at < FINISHED_KEPT_FOR)
    });
}

/// Drops the organisation's finished jobs but the newest [`MAX_FINISHED_PER_ORGANISATION`].
fn forget_old(jobs: &mut HashMap<ImportJobId, ImportJob>, organisation: OrganisationId) {
    let mut finished: Vec<(OffsetDateTime, ImportJobId)> = jobs
        .values()
        .filter(|j| j.organisation == organisation)
        .filter_map(|j| j.finished_at.map(|at| (at, j.id)))
        .collect();
    if finished.len() > MAX_FINISHED_PER_ORGANISATION {
        finished.sort_unstable();
        let excess = finished.len() - MAX_FINISHED_PER_ORGANISATION;
        for (_, id) in finished.into_iter().take(excess) {
            jobs.remove(&id);
        }
    }
}
