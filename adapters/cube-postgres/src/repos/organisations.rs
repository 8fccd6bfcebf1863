//! Organisations: their columns (the registered caller ids an array of E.164 texts).

use crate::PgUnitOfWork;
use crate::codec::get;
use async_trait::async_trait;
use cube_domain::access::Organisation;
use cube_domain::ids::OrganisationId;
use cube_domain::ports::OrganisationWrites;
use cube_domain::ports::{OrganisationRepository, StoreError};
use cube_domain::time_zone::TimeZone;
use cube_domain::values::{Name, PhoneNumber};
use uuid::Uuid;

/// An organisation from its row.
fn organisation_from(row: &sqlx::postgres::PgRow) -> Result<Organisation, StoreError> {
    let name: String = get(row, "name")?;
    let zone: String = get(row, "time_zone")?;
    let caller_ids: Vec<String> = get(row, "caller_ids")?;
    let caller_ids = caller_ids
        .iter()
        .map(|n| PhoneNumber::parse(n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| crate::error::corrupt("organisation caller id", e))?;
    Ok(Organisation {
        caller_ids,
        id: OrganisationId::from_uuid(get::<Uuid>(row, "id")?),
        name: Name::parse(&name).map_err(|e| crate::error::corrupt("organisation name", e))?,
        time_zone: TimeZone::parse(&zone)
            .map_err(|e| crate::error::corrupt("organisation time zone", e))?,
    })
}

#[async_trait]
impl OrganisationRepository for PgUnitOfWork {
    async fn organisation(
        &mut self,
        id: OrganisationId,
    ) -> Result<Option<Organisation>, StoreError> {
        let query =
            sqlx::query("SELECT id, name, time_zone, caller_ids FROM organisations WHERE id = $1")
                .bind(id.as_uuid());
        let Some(row) = self.fetch_optional(query).await? else {
            return Ok(None);
        };
        Ok(Some(organisation_from(&row)?))
    }

    async fn organisations(&mut self) -> Result<Vec<Organisation>, StoreError> {
        let query =
            sqlx::query("SELECT id, name, time_zone, caller_ids FROM organisations ORDER BY id");
        let rows = self.fetch_all(query).await?;
        rows.iter().map(organisation_from).collect()
    }
}

#[async_trait]
impl OrganisationWrites for PgUnitOfWork {
    async fn save_organisation(&mut self, organisation: &Organisation) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO organisations (id, name, time_zone, caller_ids) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone,
                 caller_ids = EXCLUDED.caller_ids",
        )
        .bind(organisation.id.as_uuid())
        .bind(organisation.name.as_str())
        .bind(organisation.time_zone.name())
        .bind(
            organisation
                .caller_ids
                .iter()
                .map(|n| n.as_str().to_owned())
                .collect::<Vec<String>>(),
        );
        self.execute(query).await?;
        Ok(())
    }
}
