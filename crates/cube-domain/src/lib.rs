//! # cube-domain
//!
//! The pure model of Cube, an outbound sales platform: sellers work through customers in
//! assignments, register outcomes, follow customers up, and managers and clients read
//! reports. This crate knows nothing of databases, HTTP, SMS vendors or the clock: it holds
//! the rules, and the port traits through which the world is reached.
//!
//! # Layout
//! - [`values`], [`fields`]: parsed small values (names, E.164 phones, e-mails) and typed
//!   fields (CRM fields, outcome fields).
//! - [`data_owner`], [`customer`], [`product`]: the CRM side of a data owner.
//!   [`customer_import`]: what an import created, kept so the import can be undone.
//!   [`import_match`]: which existing customer an import row is, or why it is refused.
//!   [`customer_view`]: the fields a seller sees while working a customer.
//! - [`flow`]: states, outcomes, validation, draft → published versions.
//! - [`assignment`]: the campaign and its whole setup.
//! - [`enrollment`], [`outcome`]: a customer in an assignment and outcome registration;
//!   [`idempotency`]: keys and request fingerprints of retried registrations.
//! - [`my_work`]: a seller's follow-ups of today, the side panel, and who may take a
//!   follow-up by hand.
//! - [`queue`]: the "next customer" order. [`bulk`]: selections and bulk actions.
//! - [`time_zone`]: the organisation's time zone and its calendar days ("today").
//! - [`meeting`], [`time_entry`]: calendars (opening hours, free slots), meetings (moved,
//!   cancelled), hours. [`instant`]: the time precision (whole microseconds, UTC) every time
//!   is truncated to at the edge. [`time_bounds`]: the years a time given by a user may
//!   fall in.
//! - [`contact_policy`]: when a customer may be called (Norway's call windows and public
//!   holidays for consumers).
//! - [`reports`]: historical and current reports, performance, activity limits.
//! - [`access`]: users, roles and the access policy. [`privacy`]: a person's rights under
//!   the GDPR (found by phone, e-mail or external id within a data owner; the privacy log).
//! - [`ports`]: storage, clock, ids, SMS, e-mail, telephony, outbox.
//! - [`webhooks`]: an organisation's outbound webhook endpoints and their signature.
//! - [`call`]: click-to-call: the caller id a call shows, the call kept, the PBX's events.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
pub mod assignment;
pub mod bulk;
pub mod call;
pub mod contact_policy;
pub mod customer;
pub mod customer_import;
pub mod customer_view;
pub mod data_owner;
pub mod enrollment;
pub mod fields;
pub mod flow;
pub mod idempotency;
pub mod ids;
pub mod import_match;
pub mod instant;
pub mod meeting;
pub mod my_work;
pub mod outcome;
pub mod ports;
pub mod privacy;
pub mod product;
pub mod queue;
pub mod reports;
pub mod sale_confirmation;
pub mod sms;
pub mod time_bounds;
pub mod time_entry;
pub mod time_zone;
pub mod values;
pub mod webhooks;
