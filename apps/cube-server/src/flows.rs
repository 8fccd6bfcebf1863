//! The two seed flows of the demo, built from `cube-domain` types: meeting booking (seed
//! 000) and sales (seed 003). They mirror the testkit's fixtures, which the server cannot
//! use (the testkit is a dev-dependency only), with fresh ids for each demo.

use cube_app::setup::FlowContent;
use cube_domain::flow::{AttemptKind, Outcome, OutcomeKind, State, StateCategory};
use cube_domain::ids::{OutcomeId, StateId};
use cube_domain::ports::IdGenerator;
use cube_domain::values::{Name, ValueError};
use std::collections::BTreeSet;

fn state(ids: &dyn IdGenerator, name: &str, category: StateCategory) -> Result<State, ValueError> {
    Ok(State {
        id: StateId::from_uuid(ids.next_id()),
        name: Name::parse(name)?,
        category,
    })
}

/// An outcome from `from`, with no flags set.
fn outcome(
    ids: &dyn IdGenerator,
    name: &str,
    kind: OutcomeKind,
    from: &[StateId],
) -> Result<Outcome, ValueError> {
    Ok(Outcome {
        id: OutcomeId::from_uuid(ids.next_id()),
        name: Name::parse(name)?,
        kind,
        from: from.iter().copied().collect::<BTreeSet<_>>(),
        schedules_follow_up: false,
        carries_products: false,
        books_meeting: false,
    })
}

/// "Møtebooking": To call → Meeting booked (Yes), Not interested (No) or Excluded; No
/// answer and Call back later keep the customer in To call.
pub fn meeting_flow(ids: &dyn IdGenerator) -> Result<FlowContent, ValueError> {
    let to_call = state(ids, "To call", StateCategory::Available)?;
    let booked = state(ids, "Meeting booked", StateCategory::Yes)?;
    let not_interested = state(ids, "Not interested", StateCategory::No)?;
    let excluded = state(ids, "Excluded", StateCategory::Excluded)?;
    let from = &[to_call.id];
    let progress = |target: StateId| OutcomeKind::Progress { target };
    let mut call_back = outcome(
        ids,
        "Call back later",
        OutcomeKind::Attempt(AttemptKind::CallBackLater),
        from,
    )?;
    call_back.schedules_follow_up = true;
    let mut meeting = outcome(ids, "Meeting booked", progress(booked.id), from)?;
    meeting.books_meeting = true;
    let outcomes = vec![
        outcome(
            ids,
            "No answer",
            OutcomeKind::Attempt(AttemptKind::NoAnswer),
            from,
        )?,
        call_back,
        meeting,
        outcome(ids, "Not interested", progress(not_interested.id), from)?,
        outcome(ids, "Wrong number", progress(excluded.id), from)?,
    ];
    Ok(FlowContent {
        name: "Møtebooking".to_owned(),
        initial: to_call.id,
        states: vec![to_call, booked, not_interested, excluded],
        outcomes,
    })
}

/// "Salg": To Call → Lead → Offer → Sale to followup → Sale, or No sale / Excluded from any
/// state not closed; Sale may be registered again from Sale.
pub fn sales_flow(ids: &dyn IdGenerator) -> Result<FlowContent, ValueError> {
    let to_call = state(ids, "To Call", StateCategory::Available)?;
    let lead = state(ids, "Lead", StateCategory::Open)?;
    let offer = state(ids, "Offer", StateCategory::Open)?;
    let follow = state(ids, "Sale to followup", StateCategory::Open)?;
    let sale = state(ids, "Sale", StateCategory::Yes)?;
    let no_sale = state(ids, "No sale", StateCategory::No)?;
    let excluded = state(ids, "Excluded", StateCategory::Excluded)?;
    let open = [to_call.id, lead.id, offer.id, follow.id];
    let progress = |name: &str,
                    target: StateId,
                    from: &[StateId],
                    products: bool,
                    follow_up: bool|
     -> Result<Outcome, ValueError> {
        let mut o = outcome(ids, name, OutcomeKind::Progress { target }, from)?;
        o.carries_products = products;
        o.schedules_follow_up = follow_up;
        Ok(o)
    };
    let mut call_back = outcome(
        ids,
        "Call back later",
        OutcomeKind::Attempt(AttemptKind::CallBackLater),
        &open,
    )?;
    call_back.schedules_follow_up = true;
    let outcomes = vec![
        outcome(
            ids,
            "No answer",
            OutcomeKind::Attempt(AttemptKind::NoAnswer),
            &open,
        )?,
        call_back,
        progress("Lead", lead.id, &[to_call.id], false, true)?,
        progress("Offer", offer.id, &[to_call.id, lead.id], true, true)?,
        progress(
            "Sale to followup",
            follow.id,
            &[to_call.id, lead.id, offer.id],
            true,
            true,
        )?,
        progress(
            "Sale",
            sale.id,
            &[to_call.id, lead.id, offer.id, follow.id, sale.id],
            true,
            false,
        )?,
        progress("No sale", no_sale.id, &open, false, false)?,
        progress("Excluded", excluded.id, &open, false, false)?,
    ];
    Ok(FlowContent {
        name: "Salg".to_owned(),
        initial: to_call.id,
        states: vec![to_call, lead, offer, follow, sale, no_sale, excluded],
        outcomes,
    })
}
