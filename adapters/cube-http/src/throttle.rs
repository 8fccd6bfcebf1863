//! What a stranger can make the server do through `POST /api/login`, and whom they can keep
//! out. Anyone may ask for a login, and every login costs an argon2id hash (about 19 MiB and
//! tens of milliseconds of a core, by design), so without bounds a flood of wrong passwords
//! takes the memory and the cores; and a hard lock per e-mail would let anyone who knows an
//! address keep its owner out.
//!
//! - [`HashGate`] (in [`crate::hashing`], re-exported here): at most `size` password hashes
//!   run at a time, on as many dedicated threads with one reused argon2 buffer each. A login
//!   that cannot get a permit within a short wait is answered 503 with `Retry-After`: the
//!   memory of hashing is `size` × argon2's memory cost, whatever the number of callers.
//! - [`LoginThrottle`]: failed logins are counted three ways, all before any hash is made:
//!   per (e-mail, client address) with an exponential back-off after a few free failures
//!   (so a stranger slows down only their own guesses; the owner, from an address that has
//!   not been failing, still logs in), per client address with a budget per window (one
//!   address cannot spray many e-mails), and across the server with a global budget (when a
//!   distributed flood spends it, only addresses without a failure in the window may try).
//!   IPv6 addresses count by their /64, which one host usually owns whole.
//! - Memory: each table holds at most `max_entries` entries of fixed size (the pair key is a
//!   keyed 64-bit hash, never the e-mail text); expired entries are swept when a table is
//!   full, and a failure that finds its table full of live entries is counted by the global
//!   budget only. Kept per server process, forgotten on restart.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::hashing::{GateError, HashGate};

/// The limits of the [`LoginThrottle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures per (e-mail, address) before the back-off starts.
    pub free_failures: u32,
    /// The first back-off; each further failure doubles it.
    pub first_delay: Duration,
    /// The longest back-off.
    pub max_delay: Duration,
    /// Failed logins one client address may make per window.
    pub address_budget: u32,
    /// Failed logins the whole server accepts per window before it lets only addresses
    /// without a failure try.
    pub global_budget: u32,
    /// The window of the budgets, and how long a pair's failures are remembered.
    pub window: Duration,
    /// The most entries per table.
    pub max_entries: usize,
}

impl Default for ThrottleConfig {
    /// 3 free failures per (e-mail, address), then 1 s doubling up to 15 minutes; 50
    /// failures per address and 1,000 per server per 15 minutes; 50,000 entries a table
    /// (a few MiB).
    fn default() -> Self {
        Self {
            free_failures: 3,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            address_budget: 50,
            global_budget: 1_000,
            window: Duration::from_secs(15 * 60),
            max_entries: 50_000,
        }
    }
}

/// Which throttle refused a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// This e-mail failed too often from this address: back off.
    Pair,
    /// This address failed too often, whatever the e-mails.
    Address,
    /// The server has seen too many failures; this address failed during it.
    Global,
}

impl Throttled {
    /// What the caller reads.
    pub fn detail(self) -> &'static str {
        match self {
            Throttled::Pair => "too many failed logins for this e-mail from your address",
            Throttled::Address => "too many failed logins from your address",
            Throttled::Global => {
                "the server is receiving too many failed logins; addresses that failed recently must wait"
            }
        }
    }
}

/// A refused attempt: why, and the seconds to wait (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Which throttle.
    pub why: Throttled,
    /// Seconds until an attempt is accepted again.
    pub retry_after_secs: u64,
}

#[derive(Debug, Clone, Copy)]
struct Pair {
    failures: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

impl Window {
    fn live(&self, now: Instant, window: Duration) -> bool {
        now.saturating_duration_since(self.started) < window
    }

    fn ends(&self, window: Duration) -> Instant {
        self.started + window
    }
}

#[derive(Debug)]
struct Tables {
    pairs: HashMap<u64, Pair>,
    addresses: HashMap<IpAddr, Window>,
    global: Window,
    last_sweep: Option<Instant>,
}

/// Failed logins per (e-mail, address), per address and per server (see the module doc).
#[derive(Debug)]
pub struct LoginThrottle {
    tables: Mutex<Tables>,
    config: ThrottleConfig,
    keys: RandomState,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(ThrottleConfig::default())
    }
}

/// The seconds from `now` to `until`, at least 1.
fn secs_until(now: Instant, until: Instant) -> u64 {
    let wait = until.saturating_duration_since(now);
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// What an address counts as: itself, an IPv6 address its /64 (an IPv4-mapped one its IPv4).
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1_u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        },
    }
}

impl LoginThrottle {
    /// A throttle with these limits.
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            tables: Mutex::new(Tables {
                pairs: HashMap::new(),
                addresses: HashMap::new(),
                global: Window {
                    started: Instant::now(),
                    failures: 0,
                },
                last_sweep: None,
            }),
            config,
            keys: RandomState::new(),
        }
    }

    /// The limits.
    pub fn config(&self) -> ThrottleConfig {
        self.config
    }

    fn pair_key(&self, email: &str, address: IpAddr) -> u64 {
        let email = email.trim().to_lowercase();
        self.keys.hash_one((email, address_key(address)))
    }

    fn pair_expired(&self, pair: &Pair, now: Instant) -> bool {
        let remembered = pair.last + self.config.window;
        let until = pair.blocked_until.map_or(remembered, |b| b.max(remembered));
        now >= until
    }

    /// `Err` while an attempt for `email` from `address` must wait.
    pub fn check(&self, email: &str, address: IpAddr) -> Result<(), Refusal> {
        self.check_at(email, address, Instant::now())
    }

    /// [`check`](Self::check) at `now`.
    pub fn check_at(&self, email: &str, address: IpAddr, now: Instant) -> Result<(), Refusal> {
        let key = self.pair_key(email, address);
        let Ok(tables) = self.tables.lock() else {
            return Ok(());
        };
        let window = self.config.window;
        if let Some(until) = tables
            .pairs
            .get(&key)
            .and_then(|pair| pair.blocked_until)
            .filter(|until| now < *until)
        {
            return Err(Refusal {
                why: Throttled::Pair,
                retry_after_secs: secs_until(now, until),
            });
        }
        let failing = tables
            .addresses
            .get(&address_key(address))
            .filter(|w| w.live(now, window));
        if let Some(w) = failing
            && w.failures >= self.config.address_budget
        {
            return Err(Refusal {
                why: Throttled::Address,
                retry_after_secs: secs_until(now, w.ends(window)),
            });
        }
        let global = tables.global;
        if failing.is_some()
            && global.live(now, window)
            && global.failures >= self.config.global_budget
        {
            return Err(Refusal {
                why: Throttled::Global,
                retry_after_secs: secs_until(now, global.ends(window)),
            });
        }
        Ok(())
    }

    /// Counts a failed login for `email` from `address`.
    pub fn failed(&self, email: &str, address: IpAddr) {
        self.failed_at(email, address, Instant::now());
    }

    /// [`failed`](Self::failed) at `now`.
    pub fn failed_at(&self, email: &str, address: IpAddr, now: Instant) {
        let key = self.pair_key(email, address);
        let Ok(mut tables) = self.tables.lock() else {
            return;
        };
        let config = self.config;
        let window = config.window;
        if !tables.global.live(now, window) {
            tables.global = Window {
                started: now,
                failures: 0,
            };
        }
        tables.global.failures = tables.global.failures.saturating_add(1);
        let full = tables.pairs.len() >= config.max_entries
            || tables.addresses.len() >= config.max_entries;
        if full
            && tables
                .last_sweep
                .is_none_or(|at| now >= at + Duration::from_secs(1))
        {
            tables.last_sweep = Some(now);
            tables.pairs.retain(|_, pair| !self.pair_expired(pair, now));
            tables.addresses.retain(|_, w| w.live(now, window));
        }
        let address = address_key(address);
        if tables.addresses.len() < config.max_entries || tables.addresses.contains_key(&address) {
            let entry = tables.addresses.entry(address).or_insert(Window {
                started: now,
                failures: 0,
            });
            if !entry.live(now, window) {
                *entry = Window {
                    started: now,
                    failures: 0,
                };
            }
            entry.failures = entry.failures.saturating_add(1);
        }
        if tables.pairs.len() < config.max_entries || tables.pairs.contains_key(&key) {
            let fresh = Pair {
                failures: 0,
                last: now,
                blocked_until: None,
            };
            let entry = tables.pairs.entry(key).or_insert(fresh);
            if self.pair_expired(entry, now) {
                *entry = fresh;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last = now;
            if let Some(over) = entry.failures.checked_sub(config.free_failures + 1) {
                let factor = 1_u32.checked_shl(over).unwrap_or(u32::MAX);
                let delay = config
                    .first_delay
                    .checked_mul(factor)
                    .unwrap_or(config.max_delay)
                    .min(config.max_delay);
                entry.blocked_until = Some(now + delay);
            }
        }
    }

    /// Forgets the failures of `email` from `address` after a successful login.
    pub fn succeeded(&self, email: &str, address: IpAddr) {
        let key = self.pair_key(email, address);
        if let Ok(mut tables) = self.tables.lock() {
            tables.pairs.remove(&key);
        }
    }

    /// How many entries the tables hold (pairs, addresses): bounded by `max_entries` each.
    pub fn entries(&self) -> (usize, usize) {
        self.tables
            .lock()
            .map_or((0, 0), |t| (t.pairs.len(), t.addresses.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    fn small() -> LoginThrottle {
        LoginThrottle::new(small_config())
    }

    fn small_config() -> ThrottleConfig {
        ThrottleConfig {
            free_failures: 3,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            address_budget: 10,
            global_budget: 20,
            window: Duration::from_secs(600),
            max_entries: 100,
        }
    }

    #[test]
    fn a_pair_backs_off_after_the_free_failures_doubling_up_to_the_cap() {
        let throttle = LoginThrottle::new(ThrottleConfig {
            address_budget: 100,
            ..small_config()
        });
        let t0 = Instant::now();
        let email = "kari@example.no";
        for _ in 0..3 {
            assert_eq!(throttle.check_at(email, ip(1), t0), Ok(()));
            throttle.failed_at(email, ip(1), t0);
        }
        assert_eq!(throttle.check_at(email, ip(1), t0), Ok(()));
        let mut waits = Vec::new();
        let mut now = t0;
        for _ in 0..8 {
            throttle.failed_at(email, ip(1), now);
            let refusal = throttle
                .check_at(email, ip(1), now)
                .expect_err("backing off");
            assert_eq!(refusal.why, Throttled::Pair);
            waits.push(refusal.retry_after_secs);
            now += Duration::from_secs(refusal.retry_after_secs);
            assert_eq!(throttle.check_at(email, ip(1), now), Ok(()));
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        // The same e-mail in another case is the same pair.
        throttle.failed_at("KARI@example.no", ip(1), now);
        assert!(throttle.check_at(email, ip(1), now).is_err());
    }

    #[test]
    fn the_owner_from_another_address_is_not_held_back_and_success_clears_the_pair() {
        let throttle = small();
        let now = Instant::now();
        let email = "kari@example.no";
        for _ in 0..6 {
            throttle.failed_at(email, ip(66), now);
        }
        assert!(throttle.check_at(email, ip(66), now).is_err());
        assert_eq!(throttle.check_at(email, ip(1), now), Ok(()));
        throttle.succeeded(email, ip(66));
        assert_eq!(throttle.check_at(email, ip(66), now), Ok(()));
    }

    #[test]
    fn an_address_spraying_many_emails_spends_its_budget() {
        let throttle = small();
        let now = Instant::now();
        for n in 0..10 {
            let email = format!("guess{n}@example.no");
            assert_eq!(throttle.check_at(&email, ip(7), now), Ok(()));
            throttle.failed_at(&email, ip(7), now);
        }
        let refusal = throttle
            .check_at("new@example.no", ip(7), now)
            .expect_err("out of budget");
        assert_eq!(refusal.why, Throttled::Address);
        assert_eq!(refusal.retry_after_secs, 600);
        assert_eq!(throttle.check_at("new@example.no", ip(8), now), Ok(()));
        let later = now + Duration::from_secs(600);
        assert_eq!(throttle.check_at("new@example.no", ip(7), later), Ok(()));
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_budget() {
        let throttle = small();
        let now = Instant::now();
        for n in 0..10_u16 {
            let address = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, n, n, n, n));
            throttle.failed_at(&format!("g{n}@example.no"), address, now);
        }
        let same_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 9, 9, 9, 99));
        let other_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 2, 0, 0, 0, 1));
        assert!(throttle.check_at("x@example.no", same_64, now).is_err());
        assert_eq!(throttle.check_at("x@example.no", other_64, now), Ok(()));
    }

    #[test]
    fn when_the_global_budget_is_spent_only_addresses_without_failures_may_try() {
        let throttle = small();
        let now = Instant::now();
        for n in 0..20_u8 {
            throttle.failed_at(&format!("g{n}@example.no"), ip(n), now);
        }
        let refusal = throttle
            .check_at("someone@example.no", ip(3), now)
            .expect_err("a failing address waits");
        assert_eq!(refusal.why, Throttled::Global);
        assert_eq!(
            throttle.check_at("someone@example.no", ip(200), now),
            Ok(())
        );
    }

    #[test]
    fn the_tables_never_hold_more_than_max_entries() {
        let throttle = small();
        let now = Instant::now();
        for n in 0..1_000_u32 {
            let address = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
            throttle.failed_at(&format!("g{n}@example.no"), address, now);
        }
        let (pairs, addresses) = throttle.entries();
        assert!(pairs <= 100 && addresses <= 100, "{pairs} {addresses}");
        // Once they expire, new failures are counted again.
        let later = now + Duration::from_secs(601);
        throttle.failed_at("late@example.no", ip(1), later);
        let (pairs, addresses) = throttle.entries();
        assert_eq!((pairs, addresses), (1, 1));
    }
}
