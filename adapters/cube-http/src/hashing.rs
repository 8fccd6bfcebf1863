//! Where the argon2id work of requests runs, and why its memory stays bounded.
//!
//! Every login verifies a password, and argon2id takes about 19 MiB for each hash by design.
//! Bounding the hashes *running at once* is not enough: on the blocking pool each hash
//! allocated its 19 MiB on whichever thread ran it, glibc gives threads their own malloc
//! arenas (up to 8 per core), and after the first freed 19 MiB block it raises its mmap
//! threshold, so later blocks came from the arenas and were kept. A flood of wrong passwords
//! left the server at 600–800 MB for good.
//!
//! So the [`HashGate`] owns a fixed set of dedicated OS threads, one per permit, fed through
//! a channel. Each thread owns one argon2 memory buffer, allocated once at its first hash
//! (sized by the gate's [`Params`]) and reused for every later hash and verification; argon2
//! itself allocates nothing else of note. The memory hashing can hold is therefore
//! `size × block_count × 1 KiB`, whatever the callers and the allocator do, and
//! [`HashGate::memory_bytes`] says how much is held now.
//!
//! - Hashing a new password: argon2id, version 19, the gate's parameters, 16 random bytes of
//!   salt, written as the PHC string the argon2 crate writes (so either can verify the other's).
//! - Verifying: the stored PHC string is parsed (algorithm, version, parameters, salt), the
//!   hash is recomputed into the thread's buffer and compared in constant time. A malformed
//!   string never matches; a stored hash that needs more memory than the buffer is refused
//!   ([`HashError::MemoryCost`]) rather than allocated for.
//! - A caller waits at most `wait` for a permit ([`GateError::Busy`], answered 503 with
//!   `Retry-After`). The permit travels with the job and is given back when the hash ends, also
//!   when the request was dropped meanwhile.

use argon2::password_hash::Error as PhcError;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// Why the gate did not run a job.
#[derive(Debug, Error)]
pub enum GateError {
    /// Every permit stayed taken for the whole wait.
    #[error("every password hashing slot stayed busy for {0:?}")]
    Busy(Duration),
    /// No hashing thread is left to run the job (none could be started).
    #[error("no password hashing thread is running")]
    Stopped,
    /// The job panicked on its hashing thread (the thread goes on with the next job).
    #[error("the password hashing job panicked")]
    Panicked,
}

/// Why a password could not be hashed or checked.
#[derive(Debug, Error)]
pub enum HashError {
    /// The gate did not run the work.
    #[error(transparent)]
    Gate(#[from] GateError),
    /// The OS gave no random bytes for the salt.
    #[error("the random source failed: {0}")]
    Random(getrandom::Error),
    /// argon2 or the PHC format refused the input (not expected with the gate's parameters).
    #[error("hashing a password failed: {0}")]
    Hashing(PhcError),
    /// A stored hash asks for more memory than a hashing thread holds: it was made with a
    /// larger `m` than this server's parameters. Rehash it with the current parameters (set
    /// the password again).
    #[error(
        "the stored password hash needs {needed_kib} KiB of memory; password hashing is bounded to {available_kib} KiB a thread"
    )]
    MemoryCost {
        /// What the stored hash asks for.
        needed_kib: usize,
        /// What a hashing thread holds.
        available_kib: usize,
    },
}

/// A job for a hashing thread: it gets the thread's reusable memory.
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// One hashing thread's argon2 memory: allocated whole at its first use, never grown, never
/// freed while the thread lives.
struct Memory {
    blocks: Vec<Block>,
    capacity: usize,
    held: Arc<AtomicUsize>,
}

impl Memory {
    /// The first `needed` blocks, or [`HashError::MemoryCost`] when that is more than the
    /// capacity.
    fn blocks(&mut self, needed: usize) -> Result<&mut [Block], HashError> {
        let too_much = HashError::MemoryCost {
            needed_kib: needed.saturating_mul(Block::SIZE) / 1024,
            available_kib: self.capacity.saturating_mul(Block::SIZE) / 1024,
        };
        if needed > self.capacity {
            return Err(too_much);
        }
        if self.blocks.is_empty() {
            self.blocks = vec![Block::new(); self.capacity];
            self.held
                .fetch_add(self.capacity * Block::SIZE, Ordering::SeqCst);
        }
        self.blocks.get_mut(..needed).ok_or(too_much)
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        let held = self.blocks.len() * Block::SIZE;
        self.held.fetch_sub(held, Ordering::SeqCst);
    }
}

/// A hashing thread: takes jobs until the gate is gone.
fn serve(jobs: &Mutex<mpsc::Receiver<Job>>, mut memory: Memory) {
    loop {
        // One idle thread waits on the channel at a time; the lock is released before the job
        // runs, so the others take the next jobs meanwhile.
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut memory),
            Err(mpsc::RecvError) => return,
        }
    }
}

/// Counts a running job from its start to its end, wherever it ends.
struct Running {
    running: Arc<AtomicUsize>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A bound on the password hashes running at once and on the memory they hold (see the
/// module doc).
#[derive(Debug)]
pub struct HashGate {
    jobs: mpsc::Sender<Job>,
    permits: Arc<Semaphore>,
    size: usize,
    wait: Duration,
    params: Params,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    held: Arc<AtomicUsize>,
}

/// How long a login waits for a hashing permit before it is answered 503.
const GATE_WAIT: Duration = Duration::from_secs(3);

impl Default for HashGate {
    /// One thread per core (as the OS reports them; 1 if it cannot say), 3 seconds' wait,
    /// argon2's default parameters.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cores, GATE_WAIT)
    }
}

impl HashGate {
    /// At most `size` (at least 1) hashes at once with argon2's default parameters (19 MiB,
    /// 2 passes); a caller waits up to `wait` for a permit.
    pub fn new(size: usize, wait: Duration) -> Self {
        Self::with_params(size, wait, Params::DEFAULT)
    }

    /// [`new`](Self::new) with these argon2 parameters for new hashes; they also size each
    /// thread's memory, so a stored hash may ask for at most `params.m_cost()` KiB.
    pub fn with_params(size: usize, wait: Duration, params: Params) -> Self {
        let (jobs, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let held = Arc::new(AtomicUsize::new(0));
        let mut started = 0;
        for n in 0..size.max(1) {
            let receiver = receiver.clone();
            let memory = Memory {
                blocks: Vec::new(),
                capacity: params.block_count(),
                held: held.clone(),
            };
            let thread = std::thread::Builder::new()
                .name(format!("cube-hash-{n}"))
                .spawn(move || serve(&receiver, memory));
            match thread {
                Ok(_) => started += 1,
                Err(error) => tracing::error!(%error, "a password hashing thread did not start"),
            }
        }
        Self {
            jobs,
            // With no thread started, one permit lets a caller learn `Stopped` at once.
            permits: Arc::new(Semaphore::new(started.max(1))),
            size: started,
            wait,
            params,
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
            held,
        }
    }

    /// The most hashes that may run at once: the number of hashing threads.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The most hashes that have run at once since the gate was made (for tests and
    /// operators: it never exceeds [`size`](Self::size)).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// The bytes of argon2 memory the hashing threads hold now: at most
    /// [`size`](Self::size) × the parameters' block count × 1 KiB, held from each thread's
    /// first hash on.
    pub fn memory_bytes(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// Hashes `password` into a new argon2id PHC string (random salt, the gate's parameters).
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let params = self.params.clone();
        self.run_with_memory(move |memory| hash_into(memory, &params, password.as_bytes()))
            .await?
    }

    /// Whether `password` matches the PHC string `hash` (algorithm, version, parameters and
    /// salt come from the string). A malformed string never matches.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, HashError> {
        self.run_with_memory(move |memory| verify_into(memory, password.as_bytes(), &hash))
            .await?
    }

    /// Runs `work` on a hashing thread once a permit is free (for tests that hold a slot).
    pub async fn run<T, F>(&self, work: F) -> Result<T, GateError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.run_with_memory(move |_| work()).await
    }

    /// Runs `work` with a hashing thread's memory once a permit is free. The permit goes
    /// with the job, so a caller dropped meanwhile does not free it before the work ends.
    async fn run_with_memory<T, F>(&self, work: F) -> Result<T, GateError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Memory) -> T + Send + 'static,
    {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| GateError::Busy(self.wait))?
            .map_err(|_| GateError::Stopped)?;
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let running = Running {
            running: self.running.clone(),
            _permit: permit,
        };
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let outcome = catch_unwind(AssertUnwindSafe(|| work(memory)));
            drop(running);
            // The caller may be gone (a dropped request); the work was done all the same.
            let _ = reply.send(outcome.map_err(|_| GateError::Panicked));
        });
        self.jobs.send(job).map_err(|_| GateError::Stopped)?;
        answer.await.map_err(|_| GateError::Stopped)?
    }
}

/// A new argon2id PHC string for `password`, computed in `memory`.
fn hash_into(memory: &mut Memory, params: &Params, password: &[u8]) -> Result<String, HashError> {
    let mut salt = [0_u8; Salt::RECOMMENDED_LENGTH];
    getrandom::fill(&mut salt).map_err(HashError::Random)?;
    let salt = Salt::new(&salt).map_err(|e| HashError::Hashing(e.into()))?;
    let mut output = [0_u8; Output::MAX_LENGTH];
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = output
        .get_mut(..output_len)
        .ok_or(HashError::Hashing(PhcError::OutputSize))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let blocks = memory.blocks(params.block_count())?;
    argon2
        .hash_password_into_with_memory(password, &salt, output, blocks)
        .map_err(|e| HashError::Hashing(e.into()))?;
    let hash = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(HashError::Hashing)?,
        salt: Some(salt),
        hash: Some(Output::new(output).map_err(|e| HashError::Hashing(e.into()))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `phc`, recomputed in `memory`.
fn verify_into(memory: &mut Memory, password: &[u8], phc: &str) -> Result<bool, HashError> {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return Ok(false);
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Ok(false);
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return Ok(false);
    };
    // As the argon2 crate reads it: no version field means the current one (19).
    let Ok(version) = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return Ok(false);
    };
    // Carries the stored output's length, so the recomputed one has the same.
    let Ok(params) = Params::try_from(&parsed) else {
        return Ok(false);
    };
    let mut computed = [0_u8; Output::MAX_LENGTH];
    let Some(computed) = computed.get_mut(..expected.len()) else {
        return Ok(false);
    };
    let blocks = memory.blocks(params.block_count())?;
    let argon2 = Argon2::new(algorithm, version, params);
    if argon2
        .hash_password_into_with_memory(password, salt, computed, blocks)
        .is_err()
    {
        return Ok(false);
    }
    // `Output`'s equality is constant-time.
    Ok(Output::new(computed).is_ok_and(|computed| computed == *expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    /// Cheap parameters for the tests that are not about compatibility with stored hashes.
    fn small_params(m_cost: u32) -> Params {
        Params::new(m_cost, 1, 1, None).expect("valid parameters")
    }

    #[tokio::test]
    async fn a_hash_from_the_gate_verifies_with_the_argon2_crate_and_only_its_password() {
        let gate = HashGate::new(1, Duration::from_secs(60));
        let hash = gate.hash("correct horse".into()).await.expect("hashes");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let parsed = PasswordHash::new(&hash).expect("a PHC string");
        let argon2 = Argon2::default();
        assert!(argon2.verify_password(b"correct horse", &parsed).is_ok());
        assert!(argon2.verify_password(b"correct horsf", &parsed).is_err());
        assert!(
            gate.verify("correct horse".into(), hash.clone())
                .await
                .expect("verifies")
        );
        assert!(
            !gate
                .verify("Correct horse".into(), hash)
                .await
                .expect("verifies")
        );
        // Two hashes of one password differ by their salt.
        let again = gate.hash("correct horse".into()).await.expect("hashes");
        let other = PasswordHash::new(&again).expect("a PHC string");
        assert_ne!(parsed.salt, other.salt);
    }

    #[tokio::test]
    async fn hashes_stored_by_the_argon2_crate_still_verify() {
        let gate = HashGate::new(1, Duration::from_secs(60));
        let stored = Argon2::default()
            .hash_password(b"s3cret!")
            .expect("hashes")
            .to_string();
        assert!(
            gate.verify("s3cret!".into(), stored.clone())
                .await
                .expect("verifies")
        );
        assert!(
            !gate
                .verify("s3cret".into(), stored)
                .await
                .expect("verifies")
        );
        // Other algorithms, versions and output lengths are read from the string.
        for (algorithm, version) in [
            (Algorithm::Argon2i, Version::V0x13),
            (Algorithm::Argon2d, Version::V0x10),
        ] {
            let params = Params::new(64, 2, 2, Some(48)).expect("valid parameters");
            let stored = Argon2::new(algorithm, version, params)
                .hash_password(b"pw")
                .expect("hashes")
                .to_string();
            assert!(
                gate.verify("pw".into(), stored.clone())
                    .await
                    .expect("verifies")
            );
            assert!(!gate.verify("pX".into(), stored).await.expect("verifies"));
        }
    }

    #[tokio::test]
    async fn malformed_hashes_never_match() {
        let gate = HashGate::with_params(1, Duration::from_secs(60), small_params(64));
        let good = gate.hash("pw".into()).await.expect("hashes");
        let no_output = good.rsplit_once('$').map(|(head, _)| head).expect("a $");
        for phc in [
            "",
            "not a hash",
            "$argon2id$v=19$m=64,t=1,p=1",
            no_output,
            &good.replace("argon2id", "scrypt"),
            &good.replace("v=19", "v=7"),
            &good.replace("m=64", "m=1"),
        ] {
            assert!(
                !gate
                    .verify("pw".into(), phc.into())
                    .await
                    .expect("verifies"),
                "{phc}"
            );
        }
    }

    #[tokio::test]
    async fn a_stored_hash_that_needs_more_memory_than_a_thread_holds_is_refused() {
        let gate = HashGate::with_params(1, Duration::from_secs(60), small_params(64));
        let stored = Argon2::from(small_params(128))
            .hash_password(b"pw")
            .expect("hashes")
            .to_string();
        let refused = gate.verify("pw".into(), stored).await;
        assert!(
            matches!(
                refused,
                Err(HashError::MemoryCost {
                    needed_kib: 128,
                    available_kib: 64
                })
            ),
            "{refused:?}"
        );
        // A smaller one fits in the buffer.
        let smaller = Argon2::from(small_params(32))
            .hash_password(b"pw")
            .expect("hashes")
            .to_string();
        assert!(gate.verify("pw".into(), smaller).await.expect("verifies"));
    }

    /// The bound by construction: however many hashes run, the gate's threads hold one
    /// buffer each, allocated once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_hashes_hold_one_buffer_a_thread() {
        let params = small_params(256);
        let gate = Arc::new(HashGate::with_params(
            2,
            Duration::from_secs(60),
            params.clone(),
        ));
        assert_eq!(gate.memory_bytes(), 0);
        let tasks: Vec<_> = (0..24)
            .map(|n| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    let hash = gate.hash(format!("pw{n}")).await.expect("hashes");
                    gate.verify(format!("pw{n}"), hash).await.expect("verifies")
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.expect("joins"));
        }
        let one = params.block_count() * Block::SIZE;
        let held = gate.memory_bytes();
        assert!(held == one || held == 2 * one, "{held} bytes held");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_gate_never_runs_more_hashes_than_its_size() {
        let gate = Arc::new(HashGate::new(2, Duration::from_secs(60)));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.run(|| std::thread::sleep(Duration::from_millis(20)))
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("joins").expect("runs");
        }
        assert_eq!(gate.peak(), 2);
    }

    #[tokio::test]
    async fn a_caller_that_waits_too_long_is_told_busy() {
        let gate = Arc::new(HashGate::new(1, Duration::from_millis(10)));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let holder = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(move || hold.recv()).await })
        };
        while gate.peak() == 0 {
            tokio::task::yield_now().await;
        }
        let busy = gate.run(|| ()).await;
        assert!(matches!(busy, Err(GateError::Busy(_))), "{busy:?}");
        release.send(()).expect("the holder listens");
        holder
            .await
            .expect("joins")
            .expect("runs")
            .expect("released");
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_its_thread_goes_on() {
        let gate = HashGate::with_params(1, Duration::from_secs(60), small_params(64));
        let panicked = gate.run(|| panic!("a bug in a job")).await;
        assert!(matches!(panicked, Err(GateError::Panicked)), "{panicked:?}");
        let hash = gate
            .hash("pw".into())
            .await
            .expect("the thread still hashes");
        assert!(gate.verify("pw".into(), hash).await.expect("verifies"));
    }
}
