//! Times over HTTP (issue 21): hours that overlap the user's other hours are a 409 naming
//! the entry, times are kept to the microsecond, the external state change reports every
//! assignment and is safe to retry, and a calendar's meetings are read across assignments.

mod common;

use axum::http::{Method, StatusCode};
use common::{App, Tokens};
use serde_json::{Value, json};

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

/// Issue 21: 14:05–16:05 and 14:05–15:05 were both accepted (3 hours). The second is a
/// 409 problem naming the first; a time finer than a microsecond is kept truncated.
#[tokio::test]
async fn overlapping_hours_are_a_conflict_naming_the_entry() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let manual = format!("/api/assignments/{}/time", app.assignment());
    let (status, first) = app
        .call(
            Method::POST,
            &manual,
            Some(&t.seller),
            Some(json!({ "start": "2025-03-03T05:05:00.0000009Z", "end": "2025-03-03T07:05:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        first["start"], "2025-03-03T05:05:00Z",
        "kept to the microsecond"
    );
    assert_eq!(first["hours"], "2");
    let (status, problem) = app
        .call(
            Method::POST,
            &manual,
            Some(&t.seller),
            Some(json!({ "start": "2025-03-03T05:05:00Z", "end": "2025-03-03T06:05:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let id = first["id"].as_str().unwrap_or_default();
    assert!(detail(&problem).contains(id), "names the entry: {problem}");
}

/// Issue 21 (seed 003's trigger): the answer lists every assignment of the customer —
/// moved, or no such state there (the customer stays callable) — and a retry of the same
/// change is a 200 that changes nothing, not a 422.
#[tokio::test]
async fn an_external_state_change_answers_for_every_assignment_and_may_be_retried() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let w = &app.world;
    let (status, meetings) = app
        .call(
            Method::POST,
            "/api/assignments",
            Some(&t.admin),
            Some(json!({
                "data_owner": w.data_owner.id().to_string(),
                "name": "Møtebooking",
                "flow": w.meeting_flow.id().to_string(),
                "flow_version": 1,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meetings}");
    let meetings = meetings["id"].as_str().unwrap_or_default().to_owned();
    let customer = w.customers[0].id().to_string();
    let (status, enrolled) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{meetings}/enrollments"),
            Some(&t.admin),
            Some(json!({ "customers": [customer] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolled}");

    let uri = format!("/api/customers/{customer}/external-state");
    let change = || {
        app.call(
            Method::POST,
            &uri,
            Some(&t.admin),
            Some(json!({ "state": "Lead" })),
        )
    };
    let (status, first) = change().await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let result_in = |answer: &Value, assignment: &str| {
        answer
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["assignment"] == assignment)
            .map(|c| c["result"].clone())
    };
    assert_eq!(first.as_array().map(Vec::len), Some(2), "{first}");
    assert_eq!(result_in(&first, &app.assignment()), Some(json!("moved")));
    assert_eq!(result_in(&first, &meetings), Some(json!("no_such_state")));

    let (status, retried) = change().await;
    assert_eq!(status, StatusCode::OK, "a retry is a success: {retried}");
    assert_eq!(
        result_in(&retried, &app.assignment()),
        Some(json!("already_there"))
    );
    assert_eq!(result_in(&retried, &meetings), Some(json!("no_such_state")));
    let sales = retried
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["assignment"] == app.assignment().as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(sales["event"], Value::Null, "nothing was logged: {sales}");
    assert_eq!(sales["to_state"], first_to_state(&first, &app.assignment()));

    let (status, problem) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.admin),
            Some(json!({ "state": "Teleported" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("Teleported"), "{problem}");
}

fn first_to_state(answer: &Value, assignment: &str) -> Value {
    answer
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["assignment"] == assignment)
        .map(|c| c["to_state"].clone())
        .unwrap_or_default()
}

/// Issue 21: no endpoint showed one calendar's meetings across assignments, and the
/// meetings report ignored an unknown `?calendar=`. The calendar view lists the meetings
/// of a week (or window) from every assignment booking in it; unknown parameters are
/// refused on both.
#[tokio::test]
async fn the_calendar_view_shows_a_weeks_meetings_across_assignments() {
    use cube_domain::ids::{AssignmentId, CustomerId, EnrollmentId, MeetingId};
    use cube_domain::meeting::{Meeting, MeetingKind};
    use time::macros::datetime;
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let w = &app.world;
    let meeting = |n: u128, assignment: AssignmentId, start: time::OffsetDateTime| Meeting {
        id: MeetingId::from_uuid(uuid::Uuid::from_u128(0xCA1E_0000 + n)),
        calendar: w.calendar.id,
        assignment,
        enrollment: EnrollmentId::from_uuid(uuid::Uuid::from_u128(0xCA1E_1000 + n)),
        customer: CustomerId::from_uuid(uuid::Uuid::from_u128(0xCA1E_2000 + n)),
        booked_by: Some(w.sellers[0].id),
        start,
        end: start + time::Duration::hours(1),
        kind: MeetingKind::Physical,
        place: Some("Storgata 1".into()),
    };
    let elsewhere = AssignmentId::from_uuid(uuid::Uuid::from_u128(0xCA1E_3000));
    // Week 10 of 2025 is Monday 3 March to Sunday 9 March.
    let monday = meeting(1, w.assignment.id(), datetime!(2025-03-03 09:00 UTC));
    let sunday = meeting(2, elsewhere, datetime!(2025-03-09 22:30 UTC));
    let next_week = meeting(3, w.assignment.id(), datetime!(2025-03-10 00:00 UTC));
    let mut uow = app.store.begin().await.expect("begin");
    for m in [&next_week, &sunday, &monday] {
        uow.insert_meeting(m).await.expect("book");
    }
    uow.commit().await.expect("commit");

    let view = format!("/api/calendars/{}/meetings", w.calendar.id);
    for token in [&t.admin, &t.manager, &t.seller] {
        let (status, week) = app
            .call(
                Method::GET,
                &format!("{view}?week=2025-W10"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{week}");
        let ids: Vec<_> = week
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| m["id"].clone())
            .collect();
        assert_eq!(
            ids,
            [json!(monday.id.to_string()), json!(sunday.id.to_string())],
            "both assignments' meetings of the week, by start"
        );
    }
    let (status, window) = app
        .call(
            Method::GET,
            &format!("{view}?from=2025-03-09T23:00:00Z&to=2025-03-10T00:30:00Z"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{window}");
    assert_eq!(
        window.as_array().map(Vec::len),
        Some(2),
        "overlapping the window"
    );

    let (status, _) = app
        .call(
            Method::GET,
            &format!("{view}?week=2025-W10"),
            Some(&t.client),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (query, named) in [
        ("week=2025-W54", "week"),
        ("week=next", "week"),
        ("week=2025-W10&from=2025-03-03T00:00:00Z", "week"),
        ("calendar=x", "calendar"),
    ] {
        let (status, problem) = app
            .call(
                Method::GET,
                &format!("{view}?{query}"),
                Some(&t.admin),
                None,
            )
            .await;
        assert!(status.is_client_error(), "{query}: {status} {problem}");
        assert!(detail(&problem).contains(named), "{query}: {problem}");
    }
    let report = format!(
        "/api/assignments/{}/reports/meetings?calendar={}",
        app.assignment(),
        w.calendar.id
    );
    let (status, problem) = app.call(Method::GET, &report, Some(&t.admin), None).await;
    assert!(status.is_client_error(), "{status} {problem}");
    assert!(detail(&problem).contains("calendar"), "{problem}");
}

/// Seed 000 item 6 and seed 001 "Møter": a manager gives the calendar opening hours; a seller
/// reads a day's free slots (opening hours without the meetings); the seller who booked a
/// meeting moves it (inside the opening hours, not onto another meeting) and cancels it, and
/// the customer's history keeps both changes; another seller may not; bad hours are 422.
#[tokio::test]
async fn a_calendar_has_opening_hours_free_slots_and_meetings_that_move_and_cancel() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let w = &app.world;
    let ola = app.login(&w.sellers[1].email.to_string()).await;
    let calendar = format!("/api/calendars/{}", w.calendar.id);
    // Wednesday 5 March 2025 (T0 is Monday 3 March, 09:00 Oslo).
    let hours = json!({
        "name": "Salgsmøter",
        "allows_overlap": false,
        "opening_hours": [
            { "day": "wednesday", "opens": "12:00", "closes": "16:00" },
            { "day": "wednesday", "opens": "08:00", "closes": "11:30" },
        ],
    });
    let (status, edited) = app
        .call(
            Method::PUT,
            &calendar,
            Some(&t.manager),
            Some(hours.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        edited["opening_hours"][0]["opens"], "08:00",
        "sorted: {edited}"
    );
    assert_eq!(edited["active"], true);
    for (bad, field) in [
        (
            json!([{ "day": "wednesday", "opens": "25:00", "closes": "26:00" }]),
            "opening_hours[0].opens",
        ),
        (
            json!([{ "day": "wednesday", "opens": "12:00", "closes": "08:00" }]),
            "closes at 08:00",
        ),
        (
            json!([{ "day": "someday", "opens": "08:00", "closes": "09:00" }]),
            "someday",
        ),
        (
            json!([
                { "day": "friday", "opens": "08:00", "closes": "12:00" },
                { "day": "friday", "opens": "11:00", "closes": "13:00" },
            ]),
            "overlap",
        ),
    ] {
        let mut body = hours.clone();
        body["opening_hours"] = bad;
        let (status, problem) = app
            .call(Method::PUT, &calendar, Some(&t.manager), Some(body))
            .await;
        assert!(status.is_client_error(), "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{field}: {problem}"
        );
    }
    let (status, _) = app
        .call(Method::PUT, &calendar, Some(&t.seller), Some(hours.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Kari's meeting at 09:00–09:45 Oslo on Wednesday, Ola's at 13:00–14:00 (08:00 and 12:00
    // UTC).
    let meeting = common::sellers_meeting(&app).await;
    let mut uow = app.store.begin().await.expect("begin");
    let theirs = cube_domain::meeting::Meeting {
        id: cube_domain::ids::MeetingId::from_uuid(uuid::Uuid::from_u128(0x01a)),
        booked_by: Some(w.sellers[1].id),
        start: time::macros::datetime!(2025-03-05 12:00 UTC),
        end: time::macros::datetime!(2025-03-05 13:00 UTC),
        ..uow
            .meeting(
                meeting
                    .parse::<uuid::Uuid>()
                    .map(Into::into)
                    .expect("an id"),
            )
            .await
            .expect("read")
            .expect("the meeting")
    };
    uow.insert_meeting(&theirs).await.expect("book");
    uow.commit().await.expect("commit");

    let day = format!("{calendar}/day?date=2025-03-05&minutes=60");
    let (status, plan) = app.call(Method::GET, &day, Some(&t.seller), None).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let spans = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|s| (text(&s["start"]), text(&s["end"])))
            .collect()
    };
    let span = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        spans(&plan["free"]),
        [
            span("2025-03-05T07:00:00Z", "2025-03-05T08:00:00Z"),
            span("2025-03-05T08:45:00Z", "2025-03-05T10:30:00Z"),
            span("2025-03-05T11:00:00Z", "2025-03-05T12:00:00Z"),
            span("2025-03-05T13:00:00Z", "2025-03-05T15:00:00Z"),
        ],
        "free hours of at least 60 minutes between 08:00–11:30 and 12:00–16:00 Oslo: {plan}"
    );
    assert_eq!(spans(&plan["busy"]).len(), 2);
    let (status, _) = app.call(Method::GET, &day, Some(&t.client), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (query, status) in [
        ("date=5.3.2025", StatusCode::BAD_REQUEST),
        // Found from outside: a year the domain keeps no times in was a 500, and a huge
        // slot length took the server down.
        ("date=-0001-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("date=9999-12-31", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "minutes=1000000000000000000",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("minutes=-1", StatusCode::UNPROCESSABLE_ENTITY),
        ("minutes=1441", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (got, problem) = app
            .call(
                Method::GET,
                &format!("{calendar}/day?{query}"),
                Some(&t.seller),
                None,
            )
            .await;
        assert_eq!(got, status, "{query}: {problem}");
    }

    // Moves: onto Ola's meeting (409), after closing (422), by Ola (403), then fine.
    let uri = format!("/api/meetings/{meeting}");
    let to = |start: &str, end: &str| json!({ "start": start, "end": end });
    for (token, body, status) in [
        (
            &t.seller,
            to("2025-03-05T12:30:00Z", "2025-03-05T13:15:00Z"),
            StatusCode::CONFLICT,
        ),
        (
            &t.seller,
            to("2025-03-05T14:30:00Z", "2025-03-05T15:15:00Z"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &ola,
            to("2025-03-05T13:00:00Z", "2025-03-05T13:45:00Z"),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (got, problem) = app.call(Method::PUT, &uri, Some(token), Some(body)).await;
        assert_eq!(got, status, "{problem}");
    }
    let (status, moved) = app
        .call(
            Method::PUT,
            &uri,
            Some(&t.seller),
            Some(to("2025-03-05T13:00:00Z", "2025-03-05T13:45:00Z")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["start"], "2025-03-05T13:00:00Z");
    // The same time again (written in another offset): nothing moves, nothing is recorded;
    // times are answered in UTC whatever offset they came in.
    let (status, same) = app
        .call(
            Method::PUT,
            &uri,
            Some(&t.seller),
            Some(to("2025-03-06T03:00:00+14:00", "2025-03-06T03:45:00+14:00")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["start"], "2025-03-05T13:00:00Z", "{same}");
    let (status, cancelled) = app
        .call(
            Method::POST,
            &format!("{uri}/cancel"),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let (status, _) = app
        .call(
            Method::POST,
            &format!("{uri}/cancel"),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "cancelled once");
    let (_, plan) = app.call(Method::GET, &day, Some(&t.seller), None).await;
    assert_eq!(
        spans(&plan["busy"]).len(),
        1,
        "only Ola's meeting left: {plan}"
    );

    let (_, history) = app
        .call(
            Method::GET,
            &format!("/api/customers/{}/history", w.enrollments[0].customer()),
            Some(&t.manager),
            None,
        )
        .await;
    let kinds: Vec<String> = history["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| text(&c["kind"]))
        .collect();
    assert_eq!(kinds, ["meeting_moved", "meeting_cancelled"], "{history}");
    assert_eq!(
        history["changes"][0]["meeting"]["from_start"],
        "2025-03-05T08:00:00Z"
    );
    assert_eq!(
        history["changes"][0]["meeting"]["to_start"],
        "2025-03-05T13:00:00Z"
    );
    assert_eq!(history["changes"][1]["meeting"]["to_start"], Value::Null);

    // Closed: the calendar keeps its meetings but offers no free time.
    let mut closed = hours;
    closed["active"] = json!(false);
    let (status, _) = app
        .call(Method::PUT, &calendar, Some(&t.manager), Some(closed))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, plan) = app.call(Method::GET, &day, Some(&t.seller), None).await;
    assert_eq!(plan["free"], json!([]), "{plan}");
    assert_eq!(spans(&plan["busy"]).len(), 1);
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}
