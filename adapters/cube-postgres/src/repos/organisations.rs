//! Organisations: `jsonb` beside their lookup columns.

use crate::PgUnitOfWork;
use crate::codec::get;
use async_trait::async_trait;
use cube_domain::access::Organisation;
use cube_domain::ids::OrganisationId;
use cube_domain::ports::OrganisationWrites;
use cube_domain::ports::{OrganisationRepository, StoreError};
use cube_domain::values::Name;
use uuid::Uuid;

#[async_trait]
impl OrganisationRepository for PgUnitOfWork {
    async fn organisation(
        &mut self,
        id: OrganisationId,
    ) -> Result<Option<Organisation>, StoreError> {
        let query =
            sqlx::query("SELECT id, name FROM organisations WHERE id = $1").bind(id.as_uuid());
        let Some(row) = self.fetch_optional(query).await? else {
            return Ok(None);
        };
        let name: String = get(&row, "name")?;
        Ok(Some(Organisation {
            id: OrganisationId::from_uuid(get::<Uuid>(&row, "id")?),
            name: Name::parse(&name).map_err(|e| crate::error::corrupt("organisation name", e))?,
        }))
    }

    async fn organisations(&mut self) -> Result<Vec<Organisation>, StoreError> {
        let query = sqlx::query("SELECT id, name FROM organisations ORDER BY id");
        let rows = self.fetch_all(query).await?;
        rows.iter()
            .map(|row| {
                let name: String = get(row, "name")?;
                Ok(Organisation {
                    id: OrganisationId::from_uuid(get::<Uuid>(row, "id")?),
                    name: Name::parse(&name)
                        .map_err(|e| crate::error::corrupt("organisation name", e))?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl OrganisationWrites for PgUnitOfWork {
    async fn save_organisation(&mut self, organisation: &Organisation) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO organisations (id, name) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name",
        )
        .bind(organisation.id.as_uuid())
        .bind(organisation.name.as_str());
        self.execute(query).await?;
        Ok(())
    }
}
