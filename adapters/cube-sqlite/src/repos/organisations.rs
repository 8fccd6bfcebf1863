//! Organisations: a small aggregate stored as a JSON document, with the columns its lookups
//! need.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{id_text, to_doc};
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::access::Organisation;
use cube_domain::ids::OrganisationId;
use cube_domain::ports::OrganisationWrites;
use cube_domain::ports::{OrganisationRepository, StoreError};

#[async_trait]
impl OrganisationRepository for SqliteUnit {
    async fn organisation(
        &mut self,
        id: OrganisationId,
    ) -> Result<Option<Organisation>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM organisations WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "organisation").await
    }

    async fn organisations(&mut self) -> Result<Vec<Organisation>, StoreError> {
        let query = sqlx::query("SELECT doc FROM organisations ORDER BY id");
        fetch_docs(self.conn(), query, "organisation").await
    }
}

#[async_trait]
impl OrganisationWrites for SqliteUnit {
    async fn save_organisation(&mut self, organisation: &Organisation) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO organisations (id, name, doc) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET name = ?2, doc = ?3",
        )
        .bind(id_text(organisation.id.as_uuid()))
        .bind(organisation.name.as_str().to_owned())
        .bind(to_doc("organisation", organisation)?);
        execute(self.conn(), query).await.map(drop)
    }
}
