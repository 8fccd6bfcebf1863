//! The outcome form as the browser posts it, read into the domain's [`RegisterOutcome`].
//! Pure and unit tested: the handler only passes the pairs in and the command on.
//!
//! Only what the chosen outcome takes is read (a follow-up time for an outcome that
//! schedules one, product lines for one that carries products, a meeting for one that books
//! one), so a field left filled in a hidden part of the form changes nothing. Every value the
//! seller typed is checked here or by the use case, and a wrong one is named in the answer.

use cube_domain::fields::FieldDefinition;
use cube_domain::flow::Outcome;
use cube_domain::ids::{CalendarId, OutcomeId, ProductId};
use cube_domain::meeting::{MeetingKind, MeetingRequest};
use cube_domain::outcome::{ProductLineRequest, RegisterOutcome};
use cube_domain::time_zone::TimeZone;
use rust_decimal::Decimal;
use time::{Date, OffsetDateTime, Time};

/// What is wrong with a posted outcome form: said to the seller as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError(pub String);

fn bad(text: impl Into<String>) -> FormError {
    FormError(text.into())
}

/// The posted pairs, in order (a key may repeat).
#[derive(Debug, Clone, Default)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// Every value of `key`, trimmed, in order (empty ones too: positions matter).
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// The first non-empty value of `key`, trimmed.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }
}

/// The outcome chosen in the form: its id, or an error saying to choose one.
pub fn chosen_outcome(pairs: &Pairs) -> Result<OutcomeId, FormError> {
    let raw = pairs
        .get("outcome")
        .ok_or_else(|| bad("choose an outcome first (keys 1–9)"))?;
    raw.parse::<uuid::Uuid>()
        .map(OutcomeId::from_uuid)
        .map_err(|_| bad("the chosen outcome is not one of this form's; reload the page"))
}

/// Reads the form for `outcome` (the flow's, already chosen) into the command. `fields` are
/// the assignment's outcome fields for it, `zone` the organisation's (the times the seller
/// types are local).
pub fn register_command(
    pairs: &Pairs,
    outcome: &Outcome,
    fields: &[FieldDefinition],
    zone: &TimeZone,
) -> Result<RegisterOutcome, FormError> {
    let mut command = RegisterOutcome::new(outcome.id);
    command.option = pairs.get("option").map(str::to_owned);
    command.note = pairs.get("note").map(str::to_owned);
    for definition in fields {
        let name = format!("field.{}", definition.key().as_str());
        if let Some(raw) = pairs.get(&name) {
            let value = definition
                .parse_text(raw)
                .map_err(|e| bad(format!("{}: {e}", definition.label())))?;
            command.fields.insert(definition.key().clone(), value);
        }
    }
    if let Some(raw) = pairs.get("follow_up_at")
        && outcome.schedules_follow_up
    {
        command.follow_up_at = Some(local_time(raw, zone)?);
    }
    if outcome.carries_products {
        // Line N is the Nth product, quantity and unit price; a line without a product is
        // not a line.
        let (products, quantities, prices) = (
            pairs.all("product"),
            pairs.all("quantity"),
            pairs.all("unit_price"),
        );
        for (line, product) in products.iter().enumerate() {
            if product.is_empty() {
                continue;
            }
            let quantity = quantities.get(line).copied().unwrap_or_default();
            let price = prices.get(line).copied().unwrap_or_default();
            command
                .products
                .push(product_line(product, quantity, price)?);
        }
    }
    if let Some(slot) = pairs.get("meeting_slot")
        && outcome.books_meeting
    {
        command.meeting = Some(meeting(pairs, slot)?);
    }
    Ok(command)
}

fn product_line(
    product: &str,
    quantity: &str,
    price: &str,
) -> Result<ProductLineRequest, FormError> {
    let product = product
        .parse::<uuid::Uuid>()
        .map(ProductId::from_uuid)
        .map_err(|_| bad("the chosen product is not one of this form's; reload the page"))?;
    let quantity = match quantity {
        "" => 1,
        raw => raw.parse::<u32>().ok().filter(|q| *q >= 1).ok_or_else(|| {
            bad(format!(
                "the quantity must be a whole number of at least 1, not '{raw}'"
            ))
        })?,
    };
    let unit_price = match price {
        "" => None,
        raw => Some(
            raw.replace(' ', "")
                .replace(',', ".")
                .parse::<Decimal>()
                .map_err(|_| {
                    bad(format!(
                        "the unit price must be a number such as 499,00, not '{raw}'"
                    ))
                })?,
        ),
    };
    Ok(ProductLineRequest {
        product,
        quantity,
        unit_price,
    })
}

/// A free slot as the form offers it: `calendar|start|end`, the times in Unix seconds.
pub fn slot_value(calendar: CalendarId, start: OffsetDateTime, end: OffsetDateTime) -> String {
    format!(
        "{}|{}|{}",
        calendar.as_uuid(),
        start.unix_timestamp(),
        end.unix_timestamp()
    )
}

fn meeting(pairs: &Pairs, slot: &str) -> Result<MeetingRequest, FormError> {
    let wrong = || bad("the chosen meeting time is not one of this form's; reload the page");
    let mut parts = slot.split('|');
    let (Some(calendar), Some(start), Some(end), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(wrong());
    };
    let calendar = calendar.parse::<uuid::Uuid>().map_err(|_| wrong())?;
    let instant = |raw: &str| {
        raw.parse::<i64>()
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .ok_or_else(wrong)
    };
    let kind = match pairs.get("meeting_kind") {
        None | Some("physical") => MeetingKind::Physical,
        Some("video") => MeetingKind::Video,
        Some(other) => {
            return Err(bad(format!(
                "a meeting is physical or video, not '{other}'"
            )));
        }
    };
    Ok(MeetingRequest {
        calendar: CalendarId::from_uuid(calendar),
        start: instant(start)?,
        end: instant(end)?,
        kind,
        place: pairs.get("meeting_place").map(str::to_owned),
    })
}

/// A local date and time as `<input type="datetime-local">` sends it (`2026-12-07T10:00`,
/// seconds allowed), in `zone`. A time that does not exist locally (the hour skipped in
/// spring) is taken as `TimeZone::at` takes it.
pub fn local_time(raw: &str, zone: &TimeZone) -> Result<OffsetDateTime, FormError> {
    let wrong = || {
        bad(format!(
            "the time must be a date and time such as 2026-12-07T10:00, not '{raw}'"
        ))
    };
    let (date, clock) = raw.split_once('T').ok_or_else(wrong)?;
    let date = Date::parse(
        date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| wrong())?;
    let clock = Time::parse(clock, time::macros::format_description!("[hour]:[minute]"))
        .or_else(|_| {
            Time::parse(
                clock,
                time::macros::format_description!("[hour]:[minute]:[second]"),
            )
        })
        .map_err(|_| wrong())?;
    let minute = u16::from(clock.hour()) * 60 + u16::from(clock.minute());
    Ok(zone.at(date, minute))
}

/// `at` as `<input type="datetime-local">` shows it in `zone`.
pub fn local_input(at: OffsetDateTime, zone: &TimeZone) -> String {
    let local = at.to_offset(zone.offset_at(at));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::fields::{FieldKey, FieldType, FieldValue};
    use cube_domain::flow::seeds::SalesFlow;
    use cube_domain::ids::DataOwnerId;
    use time::macros::datetime;

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        Pairs(
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn outcome(id: OutcomeId) -> Outcome {
        let flow = SalesFlow::published(DataOwnerId::from_uuid(uuid::Uuid::nil()));
        flow.outcome(id).expect("seed outcome").clone()
    }

    fn oslo() -> TimeZone {
        TimeZone::parse("Europe/Oslo").expect("zone")
    }

    #[test]
    fn no_outcome_chosen_says_so() {
        assert_eq!(
            chosen_outcome(&pairs(&[("outcome", " ")])),
            Err(bad("choose an outcome first (keys 1–9)"))
        );
        assert!(chosen_outcome(&pairs(&[("outcome", "x")])).is_err());
    }

    #[test]
    fn a_call_back_reads_the_local_time_in_the_zone_across_summer_time() {
        let form = pairs(&[("follow_up_at", "2026-12-07T10:00"), ("product", "junk")]);
        let command = register_command(&form, &outcome(SalesFlow::O_CALL_BACK_LATER), &[], &oslo())
            .expect("valid");
        // Winter: Oslo is UTC+1. The product is ignored: a call-back carries none.
        assert_eq!(command.follow_up_at, Some(datetime!(2026-12-07 09:00 UTC)));
        assert!(command.products.is_empty());
        let summer = local_time("2026-07-01T10:00", &oslo()).expect("valid");
        assert_eq!(summer, datetime!(2026-07-01 08:00 UTC));
        assert_eq!(local_input(summer, &oslo()), "2026-07-01T10:00");
        assert!(local_time("2026-13-01T10:00", &oslo()).is_err());
        assert!(local_time("tomorrow", &oslo()).is_err());
    }

    #[test]
    fn a_sale_reads_one_product_line_with_a_comma_price() {
        let product = uuid::Uuid::now_v7();
        let form = pairs(&[
            ("product", &product.to_string()),
            ("quantity", "2"),
            ("unit_price", "1 499,50"),
            ("follow_up_at", "2026-12-07T10:00"),
        ]);
        let command =
            register_command(&form, &outcome(SalesFlow::O_SALE), &[], &oslo()).expect("valid");
        assert_eq!(command.products.len(), 1);
        assert_eq!(command.products[0].quantity, 2);
        assert_eq!(
            command.products[0].unit_price,
            Some(Decimal::new(149_950, 2))
        );
        let zero = pairs(&[("product", &product.to_string()), ("quantity", "0")]);
        let error = register_command(&zero, &outcome(SalesFlow::O_SALE), &[], &oslo())
            .expect_err("zero units");
        assert!(error.0.contains("at least 1"), "{error:?}");
        // Three lines as the form sends them: the second left empty, the third given.
        let other = uuid::Uuid::now_v7();
        let lines = pairs(&[
            ("product", &product.to_string()),
            ("quantity", "1"),
            ("product", ""),
            ("quantity", ""),
            ("product", &other.to_string()),
            ("quantity", "3"),
        ]);
        let command =
            register_command(&lines, &outcome(SalesFlow::O_SALE), &[], &oslo()).expect("valid");
        let got: Vec<(uuid::Uuid, u32)> = command
            .products
            .iter()
            .map(|l| (l.product.as_uuid(), l.quantity))
            .collect();
        assert_eq!(got, vec![(product, 1), (other, 3)]);
    }

    #[test]
    fn outcome_fields_are_parsed_by_their_type_and_a_wrong_one_is_named() {
        let definition = FieldDefinition::new(
            FieldKey::parse("budget").expect("key"),
            "Budget",
            FieldType::Number,
            false,
        )
        .expect("definition");
        let good = pairs(&[("field.budget", "12000")]);
        let command = register_command(
            &good,
            &outcome(SalesFlow::O_NO_SALE),
            std::slice::from_ref(&definition),
            &oslo(),
        )
        .expect("valid");
        assert_eq!(
            command.fields.get(&FieldKey::parse("budget").expect("key")),
            Some(&FieldValue::Number(12000))
        );
        let wrong = pairs(&[("field.budget", "lots")]);
        let error = register_command(
            &wrong,
            &outcome(SalesFlow::O_NO_SALE),
            &[definition],
            &oslo(),
        )
        .expect_err("not a number");
        assert!(error.0.starts_with("Budget: "), "{error:?}");
    }

    #[test]
    fn a_meeting_slot_round_trips_and_a_forged_one_is_refused() {
        let calendar = CalendarId::from_uuid(uuid::Uuid::now_v7());
        let (start, end) = (
            datetime!(2026-12-07 09:00 UTC),
            datetime!(2026-12-07 10:00 UTC),
        );
        let slot = slot_value(calendar, start, end);
        let meeting = meeting(&pairs(&[("meeting_kind", "video")]), &slot).expect("valid");
        assert_eq!(
            (meeting.calendar, meeting.start, meeting.end),
            (calendar, start, end)
        );
        assert_eq!(meeting.kind, MeetingKind::Video);
        assert!(super::meeting(&Pairs::default(), "x|1|2").is_err());
        assert!(super::meeting(&Pairs::default(), &format!("{slot}|9")).is_err());
    }
}
