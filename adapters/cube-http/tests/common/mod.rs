//! The test harness shared by the API tests: the router over the in-memory store with two
//! organisations' demo worlds, every user's password set, and helpers that send a request
//! and read the JSON (or problem) back.
#![allow(dead_code)]

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Params, Version};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use cube_app::Cube;
use cube_domain::ports::Store;
use cube_http::{AppState, router};
use cube_testkit::fixtures::{T0, World};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery staple";

/// The app over one store with two organisations' worlds; every user's password is
/// [`PASSWORD`], hashed with cheap argon2id parameters (verification reads them from the
/// hash, so the tests stay fast while the code path is the production one).
pub struct App {
    pub router: Router,
    pub world: World,
    pub other: World,
    /// The store behind the router, for arranging what no endpoint writes.
    pub store: Arc<dyn Store>,
    /// The state the router was made with (its throttles and hashing gate are shared).
    pub state: AppState,
}

impl App {
    pub async fn new() -> Self {
        Self::configured(|_| {}).await
    }

    /// The app with its state changed by `configure` before the router is made.
    pub async fn configured(configure: impl FnOnce(&mut AppState)) -> Self {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let clock = Arc::new(FixedClock::new(T0));
        let ids = Arc::new(SequentialIds::new());
        let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 20)
            .await
            .expect("the first world builds");
        let other = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 5)
            .await
            .expect("the second world builds");
        let cube = Cube::new(store.clone(), clock, ids);
        let params = Params::new(8, 1, 1, None).expect("valid argon2 parameters");
        let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(PASSWORD.as_bytes())
            .expect("hashing works")
            .to_string();
        for user in world.users().chain(other.users()) {
            cube.set_initial_password(user.id, &hash)
                .await
                .expect("the password is set");
        }
        let mut state = AppState::new(cube);
        configure(&mut state);
        Self {
            router: router(state.clone()),
            world,
            other,
            store,
            state,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("the body is read")
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, headers, body)
    }

    /// A GET with `token`, answered as raw bytes (a file), with the status and headers.
    pub async fn download(&self, uri: &str, token: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        let request = Request::builder()
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("a valid request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("the body is read")
            .to_bytes();
        (status, headers, bytes.to_vec())
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("a valid request");
        let (status, _, body) = self.send(request).await;
        (status, body)
    }

    pub async fn login(&self, email: &str) -> String {
        self.login_with(email, PASSWORD).await
    }

    pub async fn login_with(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/login",
                None,
                Some(json!({ "email": email, "password": password })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().expect("a token").to_owned()
    }

    pub fn assignment(&self) -> String {
        self.world.assignment.id().to_string()
    }
}

/// The id of `world`'s resource for a path parameter, by the collection it follows in the
/// path (`/api/assignments/{id}` → the assignment); `None` for collections whose id depends
/// on the test (users, tokens).
pub fn world_id(world: &World, collection: &str) -> Option<String> {
    Some(match collection {
        "assignments" => world.assignment.id().to_string(),
        "enrollments" => world.enrollments[0].id().to_string(),
        "customers" => world.customers[0].id().to_string(),
        "data-owners" => world.data_owner.id().to_string(),
        "flows" => world.sales_flow.id().to_string(),
        "versions" => "1".to_owned(),
        "products" => world.products[0].id().to_string(),
        "calendars" => world.calendar.id.to_string(),
        _ => return None,
    })
}

pub fn is_problem(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/problem+json")
}

/// Bearer tokens of the first organisation's roles and of the second organisation's admin
/// and manager, logged in once per test.
pub struct Tokens {
    pub admin: String,
    pub manager: String,
    pub seller: String,
    pub client: String,
    pub other_admin: String,
    pub other_manager: String,
}

impl Tokens {
    pub async fn of(app: &App) -> Self {
        Self {
            admin: app.login(&app.world.admin.email.to_string()).await,
            manager: app.login(&app.world.manager.email.to_string()).await,
            seller: app.login(&app.world.sellers[0].email.to_string()).await,
            client: app.login(&app.world.client_user.email.to_string()).await,
            other_admin: app.login(&app.other.admin.email.to_string()).await,
            other_manager: app.login(&app.other.manager.email.to_string()).await,
        }
    }
}

/// An import job of one row, started by the first organisation's manager and run to its end.
pub async fn managers_import_job(app: &App) -> String {
    use cube_app::customers::{CustomerInput, ImportCommand};
    let command = ImportCommand {
        assignment: app.world.assignment.id(),
        dataset: cube_domain::data_owner::Dataset::B2b,
        segment: None,
        rows: vec![CustomerInput {
            name: "Matrix Job AS".into(),
            phones: vec!["+4791234399".into()],
            ..CustomerInput::default()
        }],
        on_match: cube_domain::ports::OnMatch::Update,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        row_numbers: Vec::new(),
    };
    let (job, run) = app
        .state
        .import_jobs
        .start(&app.state.cube, &app.world.manager, command)
        .await
        .expect("the manager starts an import job");
    run.run().await;
    job.id.to_string()
}

/// An import the first organisation's manager ran (one new customer, enrolled in the
/// assignment, nobody working it): what undoing an import acts on. Its id.
pub async fn managers_import(app: &App) -> String {
    use cube_app::customers::{CustomerInput, ImportCommand};
    let command = ImportCommand {
        assignment: app.world.assignment.id(),
        dataset: cube_domain::data_owner::Dataset::B2b,
        segment: None,
        rows: vec![CustomerInput {
            name: "Matrix Import AS".into(),
            phones: vec!["+4791234388".into()],
            ..CustomerInput::default()
        }],
        on_match: cube_domain::ports::OnMatch::Update,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        row_numbers: Vec::new(),
    };
    let report = app
        .state
        .cube
        .import_customers(&app.world.manager, command)
        .await
        .expect("the manager imports");
    report.import.expect("the import is recorded").to_string()
}

/// A meeting the first organisation's first seller booked with its first customer, two days
/// after `T0` (in the world's calendar, which has no opening hours): what the meeting
/// endpoints act on. Written to the store directly, as a booking would leave it.
pub async fn sellers_meeting(app: &App) -> String {
    use cube_domain::meeting::{Meeting, MeetingKind};
    let w = &app.world;
    let start = T0 + time::Duration::days(2);
    let meeting = Meeting {
        id: cube_domain::ids::MeetingId::from_uuid(uuid::Uuid::from_u128(0x03ee_71a9)),
        calendar: w.calendar.id,
        assignment: w.assignment.id(),
        enrollment: w.enrollments[0].id(),
        customer: w.enrollments[0].customer(),
        booked_by: Some(w.sellers[0].id),
        start,
        end: start + time::Duration::minutes(45),
        kind: MeetingKind::Physical,
        place: Some("Storgata 1".into()),
    };
    let mut uow = app.store.begin().await.expect("begin");
    uow.insert_meeting(&meeting).await.expect("a meeting");
    uow.commit().await.expect("commit");
    meeting.id.to_string()
}
