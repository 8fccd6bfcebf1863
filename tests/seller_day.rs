//! A seller's whole day against the real `cube-server` binary over real HTTP, once on the
//! embedded SQLite default and once on PostgreSQL, each with the demo organisation the
//! server loads into an empty store: log in, take the next customer, register No answer
//! (and retry it with the same idempotency key), Call back later, a Sale with a product,
//! book a meeting in the meeting-booking assignment, find the call-back in My Work, and read
//! the status, activity, outcome and sales reports agreeing with what was done.

mod support;

use serde_json::{Value, json};
use support::{DEMO_PASSWORD, Server, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const SALES: &str = "Strøm vår 2025";
const MEETINGS: &str = "Møtebooking høst 2025";

/// A logged-in client of one server.
struct Seller {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Seller {
    async fn log_in(server: &Server, email: &str) -> Self {
        let client = reqwest::Client::new();
        let login = json!({ "email": email, "password": DEMO_PASSWORD });
        let (status, body) = json(
            client
                .post(format!("{}/api/login", server.base))
                .json(&login)
                .send()
                .await
                .expect("login"),
        )
        .await;
        assert_eq!(status, 200, "login: {body}");
        Self {
            client,
            base: server.base.clone(),
            token: body["token"].as_str().expect("a token").to_owned(),
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let request = self.client.get(format!("{}{path}", self.base));
        json(request.bearer_auth(&self.token).send().await.expect("GET")).await
    }

    async fn post(&self, path: &str, body: Option<Value>, key: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        json(request.send().await.expect("POST")).await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        let request = self.client.put(format!("{}{path}", self.base));
        json(
            request
                .bearer_auth(&self.token)
                .json(&body)
                .send()
                .await
                .expect("PUT"),
        )
        .await
    }

    /// The next customer of an assignment: its enrollment id.
    async fn next(&self, assignment: &str) -> String {
        let (status, item) = self
            .post(&format!("/api/assignments/{assignment}/next"), None, None)
            .await;
        assert_eq!(status, 200, "next customer: {item}");
        item["enrollment"]["id"]
            .as_str()
            .expect("an enrollment")
            .to_owned()
    }

    async fn register(&self, enrollment: &str, body: Value, key: &str) -> Value {
        let (status, registered) = self
            .post(
                &format!("/api/enrollments/{enrollment}/outcomes"),
                Some(body),
                Some(key),
            )
            .await;
        assert_eq!(status, 200, "register outcome: {registered}");
        registered
    }
}

fn by_name<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|items| items.iter().find(|item| item["name"] == name))
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("formats")
}

async fn a_sellers_whole_day(mut server: Server) {
    let client = reqwest::Client::new();
    server.wait_until_healthy(&client).await;
    let (status, ready) = json(
        client
            .get(format!("{}/readyz", server.base))
            .send()
            .await
            .expect("ready"),
    )
    .await;
    assert_eq!(status, 200, "{ready}");

    let kari = Seller::log_in(&server, "seller1@demo.example.com").await;
    let (status, assignments) = kari.get("/api/assignments").await;
    assert_eq!(status, 200, "{assignments}");
    let sales = id(by_name(&assignments, SALES));
    let meetings = id(by_name(&assignments, MEETINGS));
    let (_, overview) = kari.get(&format!("/api/assignments/{sales}")).await;
    let no_answer = id(by_name(&overview["outcomes"], "No answer"));
    let call_back = id(by_name(&overview["outcomes"], "Call back later"));
    let sale = id(by_name(&overview["outcomes"], "Sale"));
    let product = &overview["products"][0];
    let price: f64 = product["unit_price"]
        .as_str()
        .map(|p| p.parse().expect("a decimal"))
        .or_else(|| product["unit_price"].as_f64())
        .expect("a unit price");

    // No answer, and the same request again: one event, answered twice.
    let first = kari.next(&sales).await;
    let body = json!({ "outcome": no_answer });
    let registered = kari.register(&first, body.clone(), "day-1").await;
    assert_eq!(registered["enrollment"]["attempts"], 1);
    assert_eq!(registered["replayed"], false);
    let again = kari.register(&first, body, "day-1").await;
    assert_eq!(again["replayed"], true);
    assert_eq!(again["event"]["id"], registered["event"]["id"]);

    // Call back later, in a little while today: a personal follow-up.
    let second = kari.next(&sales).await;
    assert_ne!(second, first);
    let now = OffsetDateTime::now_utc();
    // "Today" is the organisation's local day (the demo's is Europe/Oslo): a call-back due
    // later today must fall before its midnight, not UTC's.
    let (_, organisation) = kari.get("/api/organisation").await;
    let zone = cube_domain::time_zone::TimeZone::parse(
        organisation["time_zone"]
            .as_str()
            .expect("the organisation's time zone"),
    )
    .expect("a known zone");
    let end_of_today = zone.today(now).1;
    let due = (now + Duration::minutes(30)).min(end_of_today - Duration::seconds(1));
    let registered = kari
        .register(
            &second,
            json!({ "outcome": call_back, "follow_up_at": rfc3339(due) }),
            "day-2",
        )
        .await;
    assert_eq!(registered["enrollment"]["attempts"], 1);

    // A sale of two units of a product.
    let third = kari.next(&sales).await;
    let registered = kari
        .register(
            &third,
            json!({ "outcome": sale, "products": [{ "product": id(product), "quantity": 2 }] }),
            "day-3",
        )
        .await;
    assert_eq!(registered["enrollment"]["category"], "yes");

    // A meeting booked in the meeting-booking assignment, tomorrow at ten.
    let (_, booking) = kari.get(&format!("/api/assignments/{meetings}")).await;
    let book = booking["outcomes"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["books_meeting"] == true))
        .map(id)
        .expect("the meeting flow books meetings");
    let calendar = id(&booking["calendars"][0]);
    let fourth = kari.next(&meetings).await;
    let start = end_of_today + Duration::hours(10);
    let registered = kari
        .register(
            &fourth,
            json!({
                "outcome": book,
                "meeting": {
                    "calendar": calendar,
                    "start": rfc3339(start),
                    "end": rfc3339(start + Duration::hours(1)),
                    "kind": "video",
                },
            }),
            "day-4",
        )
        .await;
    assert_eq!(registered["meeting"]["calendar"], calendar.as_str());
    let meeting = id(&registered["meeting"]);
    let booked_customer = registered["enrollment"]["customer"]
        .as_str()
        .expect("a customer")
        .to_owned();

    // The calendar's day for the next booking: the meeting takes its hour; then it is moved
    // an hour later, which the customer's history records.
    let tomorrow = zone.date_of(start);
    let (status, day) = kari
        .get(&format!(
            "/api/calendars/{calendar}/day?date={tomorrow}&minutes=30"
        ))
        .await;
    assert_eq!(status, 200, "{day}");
    let busy: Vec<(String, String)> = day["busy"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["start"].as_str().unwrap_or_default().to_owned(),
                s["end"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let booked_at = (rfc3339(start), rfc3339(start + Duration::hours(1)));
    assert!(busy.contains(&booked_at), "{day}");
    let (status, moved) = kari
        .put(
            &format!("/api/meetings/{meeting}"),
            json!({
                "start": rfc3339(start + Duration::hours(1)),
                "end": rfc3339(start + Duration::hours(2)),
            }),
        )
        .await;
    assert_eq!(status, 200, "{moved}");

    // Search and take: a customer of the sales assignment found by hand, taken, and its card
    // edited while working it.
    let (status, found) = kari
        .get(&format!("/api/assignments/{sales}/customers?limit=20"))
        .await;
    assert_eq!(status, 200, "{found}");
    let pick = found["customers"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["may_take"] == true))
        .unwrap_or_else(|| panic!("a customer to take: {found}"));
    let picked = id(&pick["enrollment"]);
    let (status, taken) = kari
        .post(&format!("/api/enrollments/{picked}/take"), None, None)
        .await;
    assert_eq!(status, 200, "{taken}");
    let (status, card) = kari
        .get(&format!("/api/enrollments/{picked}/customer"))
        .await;
    assert_eq!(status, 200, "{card}");
    let mut edited = card["customer"].clone();
    for key in ["id", "data_owner", "dataset"] {
        edited.as_object_mut().map(|o| o.remove(key));
    }
    edited["email"] = json!("innkjop@kunde.example.no");
    let (status, card) = kari
        .put(&format!("/api/enrollments/{picked}/customer"), edited)
        .await;
    assert_eq!(status, 200, "{card}");
    // The demo's assignments share their customers: this one may be the meeting's too, so
    // its history may also hold the moved meeting.
    let of_kind = |changes: &Value, kind: &str| -> Vec<Value> {
        changes
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["kind"] == kind)
            .cloned()
            .collect()
    };
    let edits = of_kind(&card["changes"], "card");
    assert_eq!(edits.len(), 1, "{card}");
    assert_eq!(edits[0]["fields"], json!(["email"]), "{card}");
    let edited_customer = id(&card["customer"]);
    let (status, released) = kari
        .post(&format!("/api/enrollments/{picked}/release"), None, None)
        .await;
    assert_eq!(status, 200, "{released}");

    // My Work has the call-back: Kari's own, or shared with every seller of the assignment,
    // as its setup says.
    let listed = |work: &Value| -> Vec<Value> {
        let mut all = work["personal"].as_array().expect("a list").clone();
        all.extend(work["shared"].as_array().expect("a list").iter().cloned());
        all
    };
    let (status, work) = kari.get("/api/my-work").await;
    assert_eq!(status, 200, "{work}");
    let mine = listed(&work);
    assert_eq!(mine.len(), 1, "{work}");
    assert_eq!(mine[0]["enrollment"], second.as_str());
    let shared = mine[0]["follow_up"]["owner"].is_null();
    let ola = Seller::log_in(&server, "seller2@demo.example.com").await;
    let (_, theirs) = ola.get("/api/my-work").await;
    assert_eq!(listed(&theirs).len(), usize::from(shared), "{theirs}");

    // The reports agree with the day, read by the demo admin.
    let admin = Seller::log_in(&server, "admin@demo.example.com").await;
    let (status, report) = admin
        .get(&format!("/api/assignments/{sales}/reports/status"))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["total"], 1000);
    assert_eq!(by_name(&report["per_state"], "Sale")["customers"], 1);
    assert_eq!(by_name(&report["per_state"], "To Call")["customers"], 999);
    // Attempts are counted among customers with no progress yet: the sold one is not.
    assert_eq!(report["attempts_one"], 2);
    assert_eq!(report["attempts_zero"], 997);

    let (status, activity) = admin
        .get(&format!("/api/assignments/{sales}/reports/activity"))
        .await;
    assert_eq!(status, 200, "{activity}");
    assert_eq!(activity["yes"], 1);
    assert_eq!(activity["conclusions"], 1);
    assert_eq!(activity["attempts"], 2);

    let (status, outcomes) = admin
        .get(&format!("/api/assignments/{sales}/reports/outcomes"))
        .await;
    assert_eq!(status, 200, "{outcomes}");
    assert_eq!(outcomes["total"], 3, "the retried No answer counts once");
    for name in ["No answer", "Call back later", "Sale"] {
        assert_eq!(by_name(&outcomes["rows"], name)["events"], 1, "{name}");
    }

    let (status, sold) = admin
        .get(&format!("/api/assignments/{sales}/reports/sales"))
        .await;
    assert_eq!(status, 200, "{sold}");
    assert_eq!(sold["total_units"], 2);
    let line = &sold["products"][0];
    assert_eq!(line["product"], id(product).as_str());
    let value: f64 = line["value"]
        .as_str()
        .map(|v| v.parse().expect("a decimal"))
        .or_else(|| line["value"].as_f64())
        .expect("a value");
    assert!((value - 2.0 * price).abs() < 1e-9, "{sold}");
    // Money keeps its currency's scale on every store: two decimals for NOK.
    assert_eq!(line["value"], format!("{:.2}", 2.0 * price), "{sold}");
    assert_eq!(sold["sales"], 1, "{sold}");
    let (status, lines) = admin
        .get(&format!("/api/assignments/{sales}/reports/sales/lines"))
        .await;
    assert_eq!(status, 200, "{lines}");
    assert_eq!(lines["lines"].as_array().map(Vec::len), Some(1), "{lines}");
    assert_eq!(lines["lines"][0]["quantity"], 2);
    assert_eq!(lines["lines"][0]["unit_price"], product["unit_price"]);

    // The histories across assignments: the card edit, and the moved meeting.
    let (status, history) = admin
        .get(&format!("/api/customers/{edited_customer}/history"))
        .await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(of_kind(&history["changes"], "card").len(), 1, "{history}");
    let (status, history) = admin
        .get(&format!("/api/customers/{booked_customer}/history"))
        .await;
    assert_eq!(status, 200, "{history}");
    let moves = of_kind(&history["changes"], "meeting_moved");
    assert_eq!(moves.len(), 1, "{history}");
    assert_eq!(
        moves[0]["meeting"]["to_start"],
        rfc3339(start + Duration::hours(1))
    );
    assert!(
        history["outcomes"]
            .as_array()
            .is_some_and(|o| o.iter().any(|e| e["outcome"] == book.as_str())),
        "the booking is in the history: {history}"
    );

    let (status, activity) = admin
        .get(&format!("/api/assignments/{meetings}/reports/activity"))
        .await;
    assert_eq!(status, 200, "{activity}");
    assert_eq!(activity["meetings"], 1);
}

#[tokio::test]
async fn a_sellers_whole_day_on_sqlite() {
    a_sellers_whole_day(support::on_sqlite()).await;
}

#[tokio::test]
async fn a_sellers_whole_day_on_postgres() {
    a_sellers_whole_day(support::on_postgres().await).await;
}
