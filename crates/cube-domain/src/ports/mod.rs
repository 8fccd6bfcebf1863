//! The ports: traits the domain and the use cases need from the world, implemented by the
//! adapters (Postgres, SQLite, in-memory, SMS, e-mail, telephony). All async traits use
//! `#[async_trait]` so they stay object-safe (`Arc<dyn Store>`); with the `mocks` feature
//! mockall generates a `Mock*` for each.

mod calls;
mod clock;
mod credentials;
mod gateways;
mod register;
mod reports;
mod request_keys;
mod store;
mod webhooks;

pub use calls::{CallRepository, CallWrites};
pub use clock::{Clock, IdGenerator};
pub use credentials::{AccessToken, CredentialRepository, CredentialWrites, TokenKind};
pub use gateways::{
    ClaimedMessage, DeliveryReceipt, DeliveryState, EmailGateway, EmailMessage, FIRST_RETRY_DELAY,
    FailedMessage, GatewayError, MAX_DELIVERY_ATTEMPTS, NO_EMAIL_ADDRESS, NO_MOBILE_NUMBER,
    OutboxMessage, OutboxPayload, RECIPIENT_ERASED, SmsGateway, SmsMessage, StoredMessage,
    Telephony, retry_delay, retry_delay_from,
};
pub use register::ReservationRegister;
pub use reports::ReportRepository;
pub use request_keys::{RequestKeyRepository, RequestKeyWrites};
pub use store::{
    AssignmentRepository, AssignmentWrites, CalendarRepository, CalendarWrites, CustomerKey,
    CustomerRepository, CustomerWrites, DataOwnerRepository, DataOwnerWrites, EnrollmentRepository,
    EnrollmentWrites, FlowRepository, FlowWrites, Handout, ImportBatch, ImportCounts,
    ImportRepository, ImportRow, ImportedRow, LoggedEvent, NextCustomerRequest, OnMatch,
    OrganisationRepository, OrganisationWrites, OutboxRepository, OutboxWrites, OutcomeLog,
    OutcomeLogWrites, Page, ProductRepository, ProductWrites, ReadUnit, RecordKind, RefusedRow,
    RowCustomer, SmsReplyRepository, SmsReplyWrites, Store, StoreError, TimeEntryRepository,
    TimeEntryWrites, UniqueRule, UnitOfWork, UserRepository, UserWrites,
};
pub use webhooks::{WebhookGateway, WebhookRepository, WebhookWrites};
