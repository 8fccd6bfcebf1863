//! Users and roles (admins): who is in the organisation, their role and scope, active or
//! not. A new user's password is hashed where every password is — the API's bounded hashing
//! — so the form posts to `POST /api/users` (the page's script sends it as JSON with the
//! CSRF header), as the login form posts to `/api/login`.

use crate::WebState;
use crate::forms::Pairs;
use crate::i18n::{Lang, M};
use crate::session::{Viewer, WebError};
use crate::views::{Chrome, html};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cube_domain::access::RoleKind;
use cube_domain::ids::{ClientId, DataOwnerId, UserId};
use std::collections::BTreeSet;

#[derive(Template)]
#[template(path = "setup_users.html")]
struct UsersPage {
    page: Chrome,
    users: Vec<UserRow>,
    owners: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
}

struct UserRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    role_text: &'static str,
    owners: BTreeSet<String>,
    client: String,
    active: bool,
    me: bool,
}

impl UserRow {
    fn manages(&self, owner: &str) -> bool {
        self.owners.contains(owner)
    }
}

const ROLES: [(RoleKind, &str, M); 4] = [
    (RoleKind::Admin, "admin", M::RoleAdmin),
    (RoleKind::Manager, "manager", M::RoleManager),
    (RoleKind::Seller, "seller", M::RoleSeller),
    (RoleKind::Client, "client", M::RoleClient),
];

fn role_texts(lang: Lang) -> Vec<(&'static str, &'static str)> {
    ROLES.iter().map(|(_, key, m)| (*key, lang.t(*m))).collect()
}

/// `/app/setup/users`: every user of the organisation (admins).
pub async fn list(State(state): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let mut users = state
        .cube
        .users(&viewer.user)
        .await
        .map_err(WebError::hidden(&viewer))?;
    users.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
    let owners = state
        .cube
        .data_owners(&viewer.user)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let rows = users
        .iter()
        .map(|u| {
            let kind = u.role.kind();
            let (_, key, m) = ROLES
                .iter()
                .find(|(k, _, _)| *k == kind)
                .copied()
                .unwrap_or(ROLES[2]);
            UserRow {
                id: u.id.as_uuid().to_string(),
                name: u.name.to_string(),
                email: u.email.as_str().to_owned(),
                role: key,
                role_text: lang.t(m),
                owners: u
                    .role
                    .data_owners()
                    .map(|set| set.iter().map(|o| o.as_uuid().to_string()).collect())
                    .unwrap_or_default(),
                client: u
                    .role
                    .client()
                    .map(|c| c.as_uuid().to_string())
                    .unwrap_or_default(),
                active: u.active,
                me: u.id == viewer.user.id,
            }
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &UsersPage {
            page: Chrome::of(&viewer, lang.t(M::Users), "/app/setup/users"),
            users: rows,
            owners: owners
                .iter()
                .map(|o| (o.id().as_uuid().to_string(), o.name().to_string()))
                .collect(),
            roles: role_texts(lang),
        },
    ))
}

fn reload() -> Response {
    crate::views::redirect("/app/setup/users")
}

/// Deactivates or reactivates a user.
pub async fn active(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = WebError::path_id(&raw, &viewer, UserId::from_uuid)?;
    let active = Pairs(pairs).get("active") == Some("true");
    state
        .cube
        .set_user_active(&viewer.user, id, active)
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(reload())
}

/// Changes a user's role and its scope (a manager's data owners, a client user's client).
pub async fn role(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = WebError::path_id(&raw, &viewer, UserId::from_uuid)?;
    let pairs = Pairs(pairs);
    let bad = |text: &str| WebError::Form {
        detail: text.to_owned(),
        lang: viewer.lang,
    };
    let role = pairs
        .get("role")
        .and_then(|key| ROLES.iter().find(|(_, k, _)| *k == key))
        .map(|(kind, _, _)| *kind)
        .ok_or_else(|| bad("choose a role"))?;
    let mut owners = BTreeSet::new();
    for (key, value) in &pairs.0 {
        if key == "data_owner" {
            owners.insert(DataOwnerId::from_uuid(
                value
                    .parse()
                    .map_err(|_| bad("a data owner lost its id; reload the page"))?,
            ));
        }
    }
    let client = match pairs.get("client") {
        None => None,
        Some(raw) => Some(ClientId::from_uuid(raw.parse().map_err(|_| {
            bad("the client is a UUID (the id the assignments name as their client)")
        })?)),
    };
    let (owners, client) = match role {
        RoleKind::Manager => (owners, None),
        RoleKind::Client => (BTreeSet::new(), client),
        RoleKind::Admin | RoleKind::Seller => (BTreeSet::new(), None),
    };
    state
        .cube
        .set_user_role(&viewer.user, id, role, owners, client)
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(reload())
}
