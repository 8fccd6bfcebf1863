//! A customer's standing with the contact policy, and the gate "next customer" passes every
//! customer through.
//!
//! What is kept, and where:
//! - on the customer ([`ContactStatus`]): the business's own do-not-call list (a customer
//!   asked not to be called, or an outcome put them there), the last check against the
//!   national reservation register (Reservasjonsregisteret: when, and whether a phone number
//!   was reserved) and an exemption from it (an existing customer relationship for similar
//!   products, or the person asked to be called);
//! - on the data owner ([`ContactRules`], [`Wash`]): whether consumers are held to the call
//!   windows and the register, and when the register was last washed against its customers.
//!
//! Per request, [`ContactGate::of`] folds the rules, the data owner's last wash, the
//! organisation's time zone and the instant into one small value; [`ContactGate::barred`]
//! then decides each customer from [`ContactFacts`] — three facts a store keeps in columns
//! beside the customer (the dataset, [`ContactBlock`], the date of the register check), so
//! its SQL applies the same rule as this function (the contract suite holds it to that).

use super::{Closed, ContactPolicy, Verdict};
use crate::data_owner::Dataset;
use crate::ids::UserId;
use crate::time_zone::TimeZone;
use crate::values::{InvalidInput, Lines, ValueError, clean_text};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// A customer on the business's own do-not-call list (markedsføringsloven § 12: a consumer
/// who reserved themselves directly with the business). Holds for every assignment of the
/// data owner and for companies too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoNotCall {
    /// Since when.
    pub since: OffsetDateTime,
    /// Who put them there (the seller who registered the outcome, or a manager); `None` for
    /// an SMS reply or an integration.
    pub by: Option<UserId>,
    /// Why, in a few words ("asked on the phone", the outcome's name).
    pub reason: String,
}

impl DoNotCall {
    /// The longest reason, in characters.
    pub const MAX_REASON: usize = 200;

    /// An entry with its reason cleaned (`clean_text`, one line, not empty, at most
    /// [`Self::MAX_REASON`]).
    pub fn new(
        since: OffsetDateTime,
        by: Option<UserId>,
        reason: &str,
    ) -> Result<Self, InvalidInput> {
        let reason = clean_text("reason", reason, Self::MAX_REASON, Lines::One)
            .map_err(|e| e.at("reason"))?;
        if reason.is_empty() {
            return Err(ValueError::Empty { what: "reason" }.at("reason"));
        }
        Ok(Self { since, by, reason })
    }
}

/// The last check of a customer's phone numbers against the reservation register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterCheck {
    /// The day of the check, in the organisation's time zone.
    pub checked_on: Date,
    /// Whether one of the customer's numbers was reserved then.
    pub reserved: bool,
}

/// Why a consumer reserved in the register may still be called (markedsføringsloven § 12
/// third paragraph).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exemption {
    /// An existing customer relationship, for products of the same kind.
    ExistingCustomer {
        /// Since when the customer relationship exists.
        since: Date,
        /// The products it is about ("strøm", "mobilabonnement").
        product_area: String,
    },
    /// The person asked to be called.
    AskedToBeCalled {
        /// When they asked.
        at: OffsetDateTime,
        /// Where the request is documented ("web form 2026-11-02", "e-mail to support").
        source: String,
    },
}

impl Exemption {
    /// The longest product area or source, in characters.
    pub const MAX_TEXT: usize = 200;

    /// The exemption with its text cleaned (`clean_text`, one line, not empty) and its time
    /// checked: not after `now` (a relationship or a request that has not happened yet
    /// exempts nobody), not before 1900.
    pub fn checked(self, now: OffsetDateTime) -> Result<Self, InvalidInput> {
        let earliest = time::macros::datetime!(1900-01-01 00:00 UTC);
        let (field, at) = match &self {
            Exemption::ExistingCustomer { since, .. } => ("since", since.midnight().assume_utc()),
            Exemption::AskedToBeCalled { at, .. } => ("at", *at),
        };
        if at > now || at < earliest {
            return Err(ValueError::NotNow { what: field }.at(field));
        }
        self.cleaned()
    }

    /// The exemption with its text cleaned (`clean_text`, one line, not empty).
    pub fn cleaned(self) -> Result<Self, InvalidInput> {
        let clean = |field: &'static str, text: &str| {
            let text =
                clean_text(field, text, Self::MAX_TEXT, Lines::One).map_err(|e| e.at(field))?;
            if text.is_empty() {
                return Err(ValueError::Empty { what: field }.at(field));
            }
            Ok(text)
        };
        Ok(match self {
            Exemption::ExistingCustomer {
                since,
                product_area,
            } => Exemption::ExistingCustomer {
                since,
                product_area: clean("product_area", &product_area)?,
            },
            Exemption::AskedToBeCalled { at, source } => Exemption::AskedToBeCalled {
                at,
                source: clean("source", &source)?,
            },
        })
    }
}

/// A customer's standing with the contact policy, kept on the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactStatus {
    /// On the business's own do-not-call list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_not_call: Option<DoNotCall>,
    /// The last check against the reservation register.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<RegisterCheck>,
    /// Why a reservation does not stop calling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption: Option<Exemption>,
}

impl ContactStatus {
    /// Whether nothing is recorded (how a customer without a standing is stored).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// What stops calling a customer whatever the time, if anything: the do-not-call list;
    /// for a consumer (`consumer`), a reservation in the register without an exemption.
    pub fn block(&self, consumer: bool) -> Option<ContactBlock> {
        if self.do_not_call.is_some() {
            return Some(ContactBlock::DoNotCall);
        }
        let reserved = self.register.is_some_and(|check| check.reserved);
        (consumer && reserved && self.exemption.is_none()).then_some(ContactBlock::Reserved)
    }
}

/// What stops calling a customer whatever the time (kept in a column by SQL stores).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactBlock {
    /// On the business's own do-not-call list.
    DoNotCall,
    /// A consumer reserved in the register, without an exemption.
    Reserved,
}

impl ContactBlock {
    /// The text SQL stores keep in their `contact_block` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactBlock::DoNotCall => "do_not_call",
            ContactBlock::Reserved => "reserved",
        }
    }
}

/// The facts of a customer the gate decides on: three kept with the customer, and how often
/// they were called today (counted from the outcome log when the gate has a daily cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactFacts {
    /// A consumer (B2C): bound by the call windows and the register.
    pub consumer: bool,
    /// The do-not-call list or a reservation.
    pub block: Option<ContactBlock>,
    /// The day of the last register check.
    pub register_checked: Option<Date>,
    /// Outcomes registered by a person on the customer since the gate's `daily_cap.since`,
    /// in every assignment (0 when the gate has no daily cap).
    pub calls_today: u32,
}

impl ContactFacts {
    /// A customer nothing stops (a company never checked, on no list, not called today).
    pub const FREE: ContactFacts = ContactFacts {
        consumer: false,
        block: None,
        register_checked: None,
        calls_today: 0,
    };

    /// The facts of a customer of `dataset` with `status`, not called today.
    pub fn of(dataset: Dataset, status: &ContactStatus) -> Self {
        let consumer = dataset == Dataset::B2c;
        Self {
            consumer,
            block: status.block(consumer),
            register_checked: status.register.map(|check| check.checked_on),
            calls_today: 0,
        }
    }

    /// What bars this customer whatever the time: the do-not-call list; a reservation while
    /// the data owner uses the register (`register_used`).
    pub fn lasting_bar(&self, register_used: bool) -> Option<Barred> {
        match self.block {
            Some(ContactBlock::DoNotCall) => Some(Barred::DoNotCall),
            Some(ContactBlock::Reserved) if register_used => Some(Barred::Reserved),
            Some(ContactBlock::Reserved) | None => None,
        }
    }

    /// These facts, called `calls` times today.
    pub fn called(self, calls: u32) -> Self {
        Self {
            calls_today: calls,
            ..self
        }
    }
}

/// What a data owner's consumers are held to. Both rules are the law in Norway, and on
/// unless a data owner turns one off (a data owner whose consumers all consented, or who
/// calls from outside Norway's law).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRules {
    /// Consumers are called only inside the call windows (weekdays 09:00–21:00, not on
    /// public holidays).
    #[serde(default = "yes")]
    pub consumer_call_windows: bool,
    /// Consumers are called only after the reservation register was washed against them
    /// in the month of calling, and never when reserved without an exemption.
    #[serde(default = "yes")]
    pub reservation_register: bool,
    /// The most calls to one customer in a day, across all the data owner's assignments (an
    /// outcome registered by a person is a call). `None`: no cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_calls_per_day: Option<u32>,
}

impl ContactRules {
    /// The largest daily cap accepted.
    pub const MAX_CALLS_PER_DAY: u32 = 100;

    /// The rules if valid: a daily cap between 1 and [`Self::MAX_CALLS_PER_DAY`].
    pub fn checked(self) -> Result<Self, InvalidInput> {
        match self.max_calls_per_day {
            Some(cap) if cap == 0 || cap > Self::MAX_CALLS_PER_DAY => Err(ValueError::OutOfRange {
                what: "max_calls_per_day",
                min: 1,
                max: u64::from(Self::MAX_CALLS_PER_DAY),
                got: u64::from(cap),
            }
            .at("max_calls_per_day")),
            _ => Ok(self),
        }
    }
}

fn yes() -> bool {
    true
}

impl Default for ContactRules {
    fn default() -> Self {
        Self {
            consumer_call_windows: true,
            reservation_register: true,
            max_calls_per_day: None,
        }
    }
}

/// A wash: the data owner's consumers checked against the reservation register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wash {
    /// When it ran.
    pub at: OffsetDateTime,
    /// Who ran it.
    pub by: UserId,
    /// How many reserved numbers the register's export held.
    pub register_numbers: u64,
    /// How many consumers were checked.
    pub checked: u64,
    /// How many of them were reserved.
    pub reserved: u64,
    /// How many of those an exemption lets through.
    pub exempted: u64,
}

/// Why a customer may not be called now. [`Barred::is_lasting`] tells the bars that last
/// (the do-not-call list, a reservation) from those that pass with time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Barred {
    /// On the business's own do-not-call list.
    DoNotCall,
    /// A consumer reserved in the register, without an exemption.
    Reserved,
    /// A consumer, outside the call windows.
    CallWindow {
        /// Why closed (a holiday, a weekend day, the hour).
        closed: Closed,
        /// When calling consumers opens again (`None`: not within a year).
        opens: Option<OffsetDateTime>,
    },
    /// A consumer of a data owner whose last wash is older than the current month.
    RegisterStale {
        /// The day of the last wash, if there was one.
        last_wash: Option<Date>,
    },
    /// A consumer not checked against the register this month (imported, or given a new
    /// number, after the last wash).
    NotChecked,
    /// Called as often today as the data owner allows a customer to be called in a day.
    DailyCap {
        /// The cap.
        calls: u32,
        /// When the next day starts.
        until: OffsetDateTime,
    },
}

impl Barred {
    /// Whether it lasts until someone acts (the do-not-call list, a reservation), rather than
    /// passing with time (a window, a wash, a check, the day's cap).
    pub fn is_lasting(self) -> bool {
        matches!(self, Barred::DoNotCall | Barred::Reserved)
    }
}

impl std::fmt::Display for Barred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Barred::DoNotCall => {
                f.write_str("the customer is on the data owner's do-not-call list")
            }
            Barred::Reserved => f.write_str(
                "the customer is reserved against telemarketing in the reservation register \
                 (Reservasjonsregisteret) and has no exemption",
            ),
            Barred::CallWindow { closed, opens } => {
                write!(f, "consumers may not be called now ({closed})")?;
                match opens.and_then(|at| {
                    at.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                }) {
                    Some(at) => write!(f, "; calling opens at {at}"),
                    None => f.write_str("; no call window opens within a year"),
                }
            }
            Barred::RegisterStale { .. } => f.write_str(
                "the data owner's consumers have not been washed against the reservation \
                 register this month; run a wash before calling them",
            ),
            Barred::NotChecked => f.write_str(
                "the customer has not been checked against the reservation register this month \
                 (imported, or given a new number, after the last wash); run a wash",
            ),
            Barred::DailyCap { calls, .. } => write!(
                f,
                "the customer has been called {calls} time(s) today, as often as the data \
                 owner allows in a day; try again tomorrow"
            ),
        }
    }
}

/// The daily cap of a gate: at most `calls` calls to a customer from `since` (the start of
/// today in the organisation's zone) to `until` (the start of tomorrow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyCap {
    /// The most calls a day.
    pub calls: u32,
    /// The start of today.
    pub since: OffsetDateTime,
    /// The start of tomorrow.
    pub until: OffsetDateTime,
}

impl DailyCap {
    /// Whether `event` counts as a call today: an outcome registered by a person (not an
    /// SMS reply or an integration) since the start of today.
    pub fn counts(&self, event: &crate::outcome::OutcomeEvent) -> bool {
        event.user().is_some() && event.occurred_at() >= self.since
    }
}

/// The policy for one data owner at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactGate {
    /// Why no consumer may be called now (the register not washed this month, or outside the
    /// call windows — the stale wash named first, as it needs someone to act); `None` when
    /// consumers may be.
    pub consumers: Option<Barred>,
    /// A consumer's register check must be on or after this day (the first of the month);
    /// `None` when the data owner does not use the register.
    pub checked_since: Option<Date>,
    /// The most calls a customer may have today, if the data owner caps them.
    pub daily_cap: Option<DailyCap>,
}

impl ContactGate {
    /// A gate that lets everyone through (nothing recorded, no rules).
    pub const OPEN: ContactGate = ContactGate {
        consumers: None,
        checked_since: None,
        daily_cap: None,
    };

    /// The gate of a data owner with `rules` and its last wash at `now`, in the
    /// organisation's `zone`: the call windows are `policy`'s, a month is the calendar
    /// month in `zone`.
    pub fn of(
        policy: &ContactPolicy,
        rules: ContactRules,
        last_wash: Option<&Wash>,
        now: OffsetDateTime,
        zone: &TimeZone,
    ) -> Self {
        let today = zone.date_of(now);
        let month_start = today.replace_day(1).unwrap_or(today);
        let window = match policy.decide(Dataset::B2c, now, zone) {
            Verdict::NotNow { closed, next } if rules.consumer_call_windows => {
                Some(Barred::CallWindow {
                    closed,
                    opens: next,
                })
            }
            _ => None,
        };
        let last_wash_day = last_wash.map(|wash| zone.date_of(wash.at));
        let stale = (rules.reservation_register && last_wash_day.is_none_or(|d| d < month_start))
            .then_some(Barred::RegisterStale {
                last_wash: last_wash_day,
            });
        let daily_cap = rules.max_calls_per_day.map(|calls| {
            let (since, until) = zone.day(today);
            DailyCap {
                calls,
                since,
                until,
            }
        });
        // A stale wash first: it needs someone to act (run a wash); the window opens by
        // itself, and would only hide that nobody is called when it does.
        Self {
            consumers: stale.or(window),
            checked_since: rules.reservation_register.then_some(month_start),
            daily_cap,
        }
    }

    /// Why the customer with `facts` may not be called now, or `None` when they may: the
    /// do-not-call list, a reservation (while the register is used), the daily cap, then (for
    /// consumers) the gate's stale wash or closed window, then a check older than this month.
    pub fn barred(&self, facts: &ContactFacts) -> Option<Barred> {
        // A reservation found by an earlier wash bars only while the data owner uses the
        // register.
        if let Some(lasting) = facts.lasting_bar(self.checked_since.is_some()) {
            return Some(lasting);
        }
        if let Some(cap) = self.daily_cap
            && facts.calls_today >= cap.calls
        {
            return Some(Barred::DailyCap {
                calls: cap.calls,
                until: cap.until,
            });
        }
        if !facts.consumer {
            return None;
        }
        if let Some(barred) = self.consumers {
            return Some(barred);
        }
        match self.checked_since {
            Some(since) if facts.register_checked.is_none_or(|day| day < since) => {
                Some(Barred::NotChecked)
            }
            _ => None,
        }
    }
}
