//! The slow-moving part of the store: organisations, users, data owners, customers,
//! products, flows, assignments, calendars and meetings. Small tables are scanned; customers
//! and meetings, which grow with the work, are indexed.

use super::{LookupKey, MAX, MIN, MemoryUnit, distinct, earliest, sorted_by};
use async_trait::async_trait;
use cube_domain::access::{Organisation, User};
use cube_domain::assignment::Assignment;
use cube_domain::customer::{Customer, CustomerFilter};
use cube_domain::data_owner::DataOwner;
use cube_domain::flow::{FlowDraft, FlowVersion, PublishedFlow};
use cube_domain::ids::{
    AssignmentId, CalendarId, CustomerId, DataOwnerId, FlowId, MeetingId, OrganisationId,
    ProductId, UserId,
};
use cube_domain::meeting::{Calendar, Meeting};
use cube_domain::ports::{
    AssignmentRepository, CalendarRepository, CustomerKey, CustomerRepository, DataOwnerRepository,
    FlowRepository, OrganisationRepository, Page, ProductRepository, StoreError, UserRepository,
};
use cube_domain::product::Product;
use cube_domain::values::Email;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The lookup keys a customer can be found by.
fn lookup_keys(customer: &Customer) -> Vec<LookupKey> {
    let details = customer.details();
    details
        .external_id
        .iter()
        .map(|id| LookupKey::External(id.clone()))
        .chain(
            details
                .phones
                .iter()
                .map(|p| LookupKey::Phone(p.as_str().to_owned())),
        )
        .collect()
}

#[async_trait]
impl OrganisationRepository for MemoryUnit {
    async fn organisation(
        &mut self,
        id: OrganisationId,
    ) -> Result<Option<Organisation>, StoreError> {
        Ok(self.data.organisations.get(&id).cloned())
    }

    async fn save_organisation(&mut self, organisation: &Organisation) -> Result<(), StoreError> {
        self.put(
            |d| &mut d.organisations,
            organisation.id,
            organisation.clone(),
        );
        Ok(())
    }
}

#[async_trait]
impl UserRepository for MemoryUnit {
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.data.users.get(&id).cloned())
    }

    async fn users_by_email(&mut self, email: &Email) -> Result<Vec<User>, StoreError> {
        let mut users: Vec<User> = self
            .data
            .users
            .values()
            .filter(|u| u.email.login_key() == email.login_key())
            .cloned()
            .collect();
        users.sort_by_key(|u| u.organisation);
        Ok(users)
    }

    async fn save_user(&mut self, user: &User) -> Result<(), StoreError> {
        if self.data.users.values().any(|other| {
            other.organisation == user.organisation
                && other.email.login_key() == user.email.login_key()
                && other.id != user.id
        }) {
            return Err(StoreError::Duplicate(format!(
                "a user with e-mail {}",
                user.email
            )));
        }
        self.put(|d| &mut d.users, user.id, user.clone());
        Ok(())
    }

    async fn users(&mut self, organisation: OrganisationId) -> Result<Vec<User>, StoreError> {
        let users = self
            .data
            .users
            .values()
            .filter(|u| u.organisation == organisation)
            .cloned()
            .collect();
        Ok(sorted_by(users, |u| (u.name.clone(), u.id)))
    }
}

#[async_trait]
impl DataOwnerRepository for MemoryUnit {
    async fn data_owner(&mut self, id: DataOwnerId) -> Result<Option<DataOwner>, StoreError> {
        Ok(self.data.data_owners.get(&id).cloned())
    }

    async fn save_data_owner(&mut self, owner: &DataOwner) -> Result<(), StoreError> {
        self.put(|d| &mut d.data_owners, owner.id(), owner.clone());
        Ok(())
    }

    async fn data_owners(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<DataOwner>, StoreError> {
        let owners = self
            .data
            .data_owners
            .values()
            .filter(|o| o.organisation() == organisation)
            .cloned()
            .collect();
        Ok(sorted_by(owners, |o| (o.name().clone(), o.id())))
    }
}

#[async_trait]
impl CustomerRepository for MemoryUnit {
    async fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, StoreError> {
        Ok(self.data.customers.get(&id).cloned())
    }

    async fn customers_by_id(&mut self, ids: &[CustomerId]) -> Result<Vec<Customer>, StoreError> {
        Ok(ids
            .iter()
            .filter_map(|id| self.data.customers.get(id))
            .cloned()
            .collect())
    }

    async fn find_customer(
        &mut self,
        owner: DataOwnerId,
        key: &CustomerKey,
        except: Option<CustomerId>,
    ) -> Result<Option<Customer>, StoreError> {
        let key = match key {
            CustomerKey::ExternalId(id) => LookupKey::External(id.clone()),
            CustomerKey::Phone(phone) => LookupKey::Phone(phone.as_str().to_owned()),
        };
        let from = (owner, key.clone(), 0, CustomerId::from_uuid(MIN));
        let to = (owner, key, u64::MAX, CustomerId::from_uuid(MAX));
        Ok(self
            .data
            .customer_lookup
            .range(from..=to)
            .find(|(_, _, _, id)| Some(*id) != except)
            .and_then(|(_, _, _, id)| self.data.customers.get(id))
            .cloned())
    }

    async fn save_customer(&mut self, customer: &Customer) -> Result<(), StoreError> {
        let id = customer.id();
        let rank = match self.data.customer_rank.get(&id).copied() {
            Some(rank) => {
                // An update: take the old index entries out before writing the new ones.
                if let Some(old) = self.data.customers.get(&id) {
                    let (owner, keys) = (old.data_owner(), lookup_keys(old));
                    self.take(|d| &mut d.owner_customers, (owner, rank, id));
                    for key in keys {
                        self.take(|d| &mut d.customer_lookup, (owner, key, rank, id));
                    }
                }
                rank
            }
            None => {
                let rank = self.bump(|d| &mut d.customer_counter);
                self.put(|d| &mut d.customer_rank, id, rank);
                rank
            }
        };
        let owner = customer.data_owner();
        self.put(|d| &mut d.owner_customers, (owner, rank, id), ());
        for key in lookup_keys(customer) {
            self.put(|d| &mut d.customer_lookup, (owner, key, rank, id), ());
        }
        self.put(|d| &mut d.customers, id, customer.clone());
        Ok(())
    }

    async fn customers(
        &mut self,
        owner: DataOwnerId,
        filter: &CustomerFilter,
        page: Page,
    ) -> Result<Vec<Customer>, StoreError> {
        let from = (owner, 0, CustomerId::from_uuid(MIN));
        let to = (owner, u64::MAX, CustomerId::from_uuid(MAX));
        let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .owner_customers
            .range(from..=to)
            .filter_map(|(_, _, id)| self.data.customers.get(id))
            .filter(|customer| filter.matches(customer))
            .skip(offset)
            .take(limit)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl ProductRepository for MemoryUnit {
    async fn product(&mut self, id: ProductId) -> Result<Option<Product>, StoreError> {
        Ok(self.data.products.get(&id).cloned())
    }

    async fn save_product(&mut self, product: &Product) -> Result<(), StoreError> {
        if self.data.products.values().any(|other| {
            other.id() != product.id()
                && other.data_owner() == product.data_owner()
                && other.code() == product.code()
        }) {
            return Err(StoreError::Duplicate(format!(
                "a product with code '{}' in this data owner",
                product.code()
            )));
        }
        self.put(|d| &mut d.products, product.id(), product.clone());
        Ok(())
    }

    async fn products(&mut self, owner: DataOwnerId) -> Result<Vec<Product>, StoreError> {
        let products = self
            .data
            .products
            .values()
            .filter(|p| p.data_owner() == owner)
            .cloned()
            .collect();
        Ok(sorted_by(products, |p| (p.name().clone(), p.id())))
    }
}

#[async_trait]
impl FlowRepository for MemoryUnit {
    async fn flow_draft(&mut self, id: FlowId) -> Result<Option<FlowDraft>, StoreError> {
        Ok(self.data.flow_drafts.get(&id).cloned())
    }

    async fn save_flow_draft(&mut self, draft: &FlowDraft) -> Result<(), StoreError> {
        self.put(|d| &mut d.flow_drafts, draft.id, draft.clone());
        Ok(())
    }

    async fn delete_flow_draft(&mut self, id: FlowId) -> Result<(), StoreError> {
        self.take(|d| &mut d.flow_drafts, id);
        Ok(())
    }

    async fn published_flow(
        &mut self,
        version: FlowVersion,
    ) -> Result<Option<PublishedFlow>, StoreError> {
        Ok(self.data.published_flows.get(&version).cloned())
    }

    async fn latest_published_flow(
        &mut self,
        id: FlowId,
    ) -> Result<Option<PublishedFlow>, StoreError> {
        let from = FlowVersion {
            flow: id,
            version: 0,
        };
        let to = FlowVersion {
            flow: id,
            version: u32::MAX,
        };
        Ok(self
            .data
            .published_flows
            .range(from..=to)
            .next_back()
            .map(|(_, flow)| flow.clone()))
    }

    async fn save_published_flow(&mut self, flow: &PublishedFlow) -> Result<(), StoreError> {
        if self.data.published_flows.contains_key(&flow.version()) {
            return Err(StoreError::Duplicate(format!(
                "published flow version {}",
                flow.version()
            )));
        }
        self.put(|d| &mut d.published_flows, flow.version(), flow.clone());
        Ok(())
    }

    async fn published_flows(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<PublishedFlow>, StoreError> {
        // Versions of one flow are adjacent and ascending, so the last one per id wins.
        let mut newest: BTreeMap<FlowId, &PublishedFlow> = BTreeMap::new();
        for flow in self.data.published_flows.values() {
            if flow.data_owner() == owner {
                newest.insert(flow.id(), flow);
            }
        }
        let flows = newest.into_values().cloned().collect();
        Ok(sorted_by(flows, |f: &PublishedFlow| {
            (f.name().clone(), f.id())
        }))
    }
}

#[async_trait]
impl AssignmentRepository for MemoryUnit {
    async fn assignment(&mut self, id: AssignmentId) -> Result<Option<Assignment>, StoreError> {
        Ok(self.data.assignments.get(&id).cloned())
    }

    async fn save_assignment(&mut self, assignment: &Assignment) -> Result<(), StoreError> {
        self.put(|d| &mut d.assignments, assignment.id(), assignment.clone());
        Ok(())
    }

    async fn assignments(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Assignment>, StoreError> {
        let assignments = self
            .data
            .assignments
            .values()
            .filter(|a| a.organisation() == organisation)
            .cloned()
            .collect();
        Ok(sorted_by(assignments, |a| (a.name().clone(), a.id())))
    }
}

#[async_trait]
impl CalendarRepository for MemoryUnit {
    async fn calendar(&mut self, id: CalendarId) -> Result<Option<Calendar>, StoreError> {
        Ok(self.data.calendars.get(&id).cloned())
    }

    async fn save_calendar(&mut self, calendar: &Calendar) -> Result<(), StoreError> {
        self.put(|d| &mut d.calendars, calendar.id, calendar.clone());
        Ok(())
    }

    async fn calendars(&mut self, owner: DataOwnerId) -> Result<Vec<Calendar>, StoreError> {
        let calendars = self
            .data
            .calendars
            .values()
            .filter(|c| c.data_owner == owner)
            .cloned()
            .collect();
        Ok(sorted_by(calendars, |c| (c.name.clone(), c.id)))
    }

    async fn meetings_in_calendar(
        &mut self,
        calendar: CalendarId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError> {
        // Every meeting starting before `to`, kept if it ends after `from`.
        let lower = (calendar, earliest(), MeetingId::from_uuid(MIN));
        let upper = (calendar, to, MeetingId::from_uuid(MIN));
        Ok(self
            .data
            .calendar_meetings
            .range(lower..upper)
            .filter_map(|(_, _, id)| self.data.meetings.get(id))
            .filter(|m| m.overlaps(from, to))
            .cloned()
            .collect())
    }

    async fn meetings(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError> {
        let mut found: Vec<&Meeting> = Vec::new();
        for assignment in distinct(assignments) {
            let lower = (assignment, from, MeetingId::from_uuid(MIN));
            let upper = (assignment, to, MeetingId::from_uuid(MIN));
            found.extend(
                self.data
                    .assignment_meetings
                    .range(lower..upper)
                    .filter_map(|(_, _, id)| self.data.meetings.get(id)),
            );
        }
        found.sort_by_key(|m| (m.start, m.id));
        Ok(found.into_iter().cloned().collect())
    }

    async fn insert_meeting(&mut self, meeting: &Meeting) -> Result<(), StoreError> {
        if self.data.meetings.contains_key(&meeting.id) {
            return Err(StoreError::Duplicate(format!("meeting {}", meeting.id)));
        }
        self.put(
            |d| &mut d.calendar_meetings,
            (meeting.calendar, meeting.start, meeting.id),
            (),
        );
        self.put(
            |d| &mut d.assignment_meetings,
            (meeting.assignment, meeting.start, meeting.id),
            (),
        );
        self.put(|d| &mut d.meetings, meeting.id, meeting.clone());
        Ok(())
    }

    async fn meeting(&mut self, id: MeetingId) -> Result<Option<Meeting>, StoreError> {
        Ok(self.data.meetings.get(&id).cloned())
    }
}
