//! Typed identifiers. Every entity has its own id type so a `CustomerId` can never be passed
//! where an `AssignmentId` is expected. Ids wrap a UUID (v7 in production, made by the
//! `IdGenerator` port so the domain never reads the clock or a random source).

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an existing UUID (from storage, the wire or the id generator).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

id_type!(
    /// An organisation (tenant): nobody ever sees another organisation's data.
    OrganisationId
);
id_type!(
    /// A user of the product (admin, manager, seller or client user).
    UserId
);
id_type!(
    /// A data owner: the GDPR controller that owns customers, products and assignments.
    DataOwnerId
);
id_type!(
    /// A commissioning client, with read-only access to reports of its assignments.
    ClientId
);
id_type!(
    /// A customer (CRM record).
    CustomerId
);
id_type!(
    /// A product in a data owner's catalogue.
    ProductId
);
id_type!(
    /// A flow (all of its versions share this id).
    FlowId
);
id_type!(
    /// A state of a flow.
    StateId
);
id_type!(
    /// An outcome of a flow.
    OutcomeId
);
id_type!(
    /// An assignment (campaign).
    AssignmentId
);
id_type!(
    /// A segment inside one assignment.
    SegmentId
);
id_type!(
    /// A customer enrolled in an assignment.
    EnrollmentId
);
id_type!(
    /// One entry of the append-only outcome log.
    OutcomeEventId
);
id_type!(
    /// A calendar in which meetings are booked.
    CalendarId
);
id_type!(
    /// A booked meeting.
    MeetingId
);
id_type!(
    /// A time entry (hours of one user on one assignment).
    TimeEntryId
);
id_type!(
    /// A message waiting in the outbox.
    OutboxMessageId
);
id_type!(
    /// A text message received from a customer (a reply to an SMS flow, or not).
    SmsReplyId
);
id_type!(
    /// A sale's written confirmation (angrerettloven § 10): the offer sent and its answer.
    SaleConfirmationId
);
id_type!(
    /// An entry of a data owner's privacy log: one exercise of a person's rights (an access
    /// export).
    PrivacyRequestId
);
id_type!(
    /// A customer import: the record of what one import created, so it can be undone.
    ImportId
);
id_type!(
    /// An organisation's outbound webhook endpoint.
    WebhookEndpointId
);
id_type!(
    /// A call a seller started from the customer card (click-to-call).
    CallId
);
