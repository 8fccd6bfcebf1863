//! The set-up pages for admins and managers: the data owners they manage (with a banner
//! while the GDPR details are missing), each owner's customer flows — an editor for states
//! and outcomes that shows every problem next to its row, the flow drawn as a graph,
//! publish — its products, and assignments: start one on a published flow and set up what
//! sellers work with (products, calendars, customer view, reservation and retry times).
//!
//! Every read and write is a use case with its own access rule; a page a user may not use
//! answers 404, like an id that does not exist (a client user or a seller sees no set-up
//! page at all).

use crate::WebState;
use crate::flow_form::{CATEGORIES, FlowForm};
use crate::flow_graph::FlowGraph;
use crate::forms::{FormError, Pairs};
use crate::i18n::{Lang, M};
use crate::session::{Viewer, WebError};
use crate::views::{Chrome, html};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cube_app::AppError;
use cube_app::setup::{FlowContent, NewProduct};
use cube_domain::access::Role;
use cube_domain::assignment::setup::{
    ActivityLimit, AnalysisField, Direction, FixedField, FollowUpOwnership, LimitMetric, LimitMode,
    PriorityRule, ViewField,
};
use cube_domain::data_owner::DataOwner;
use cube_domain::data_owner::Dataset;
use cube_domain::fields::FieldKey;
use cube_domain::flow::seeds::{MeetingFlow, SalesFlow};
use cube_domain::flow::{FlowDraft, FlowProblem, FlowVersion, StateCategory};
use cube_domain::ids::{AssignmentId, CalendarId, DataOwnerId, FlowId, OutcomeId, ProductId};
use cube_domain::values::Name;
use rust_decimal::Decimal;
use time::Duration;

type PageResult = Result<Response, WebError>;

fn not_found(viewer: &Viewer) -> WebError {
    WebError::app(AppError::NotFound("page"), viewer)
}

fn form_error(viewer: &Viewer) -> impl Fn(FormError) -> WebError + '_ {
    move |e| WebError::Form {
        detail: e.0,
        lang: viewer.lang,
    }
}

fn category_text(category: StateCategory, lang: Lang) -> &'static str {
    lang.t(match category {
        StateCategory::Available => M::CatAvailable,
        StateCategory::Open => M::CatOpen,
        StateCategory::Yes => M::CatYes,
        StateCategory::No => M::CatNo,
        StateCategory::Excluded => M::CatExcluded,
    })
}

/// A flow problem in the viewer's language.
pub fn problem_text(problem: &FlowProblem, lang: Lang) -> String {
    if lang == Lang::En {
        return problem.to_string();
    }
    match problem {
        FlowProblem::NoStates => "kundeflyten har ingen tilstander".to_owned(),
        FlowProblem::UnknownInitialState => {
            "starttilstanden er ikke en av kundeflytens tilstander".to_owned()
        }
        FlowProblem::InitialNotAvailable(n) => {
            format!("starttilstanden «{n}» må ha kategorien Tilgjengelig")
        }
        FlowProblem::DuplicateState(n) => format!("to tilstander heter «{n}»"),
        FlowProblem::DuplicateOutcome(n) => format!("to utfall heter «{n}»"),
        FlowProblem::UnknownFromState(n) => {
            format!("utfallet «{n}» kan velges fra en tilstand som ikke finnes")
        }
        FlowProblem::NoFromStates(n) => format!("utfallet «{n}» kan ikke velges fra noen tilstand"),
        FlowProblem::UnknownTarget(n) => {
            format!("utfallet «{n}» fører til en tilstand som ikke finnes")
        }
        FlowProblem::AttemptWithEffects(n) => {
            format!("forsøket «{n}» kan ikke ha produkter eller møte")
        }
        FlowProblem::NoAnswerWithFollowUp(n) => {
            format!("«ikke svar»-utfallet «{n}» kan ikke planlegge oppfølging")
        }
        FlowProblem::Unreachable(n) => {
            format!("tilstanden «{n}» kan ikke nås fra starttilstanden")
        }
    }
}

// ---------------------------------------------------------------- the index

#[derive(Template)]
#[template(path = "setup_index.html")]
struct IndexPage {
    page: Chrome,
    owners: Vec<OwnerView>,
}

struct OwnerView {
    id: String,
    name: String,
    gaps: Vec<String>,
    assignments: Vec<crate::views::Link>,
}

/// `/app/setup`: the data owners the user manages and their assignments.
pub async fn index(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    if !matches!(viewer.user.role, Role::Admin | Role::Manager { .. }) {
        return Err(not_found(&viewer));
    }
    let owners = state
        .cube
        .data_owners(&viewer.user)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let assignments = state
        .cube
        .assignments(&viewer.user)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let owners = owners
        .iter()
        .map(|owner: &DataOwner| OwnerView {
            id: owner.id().as_uuid().to_string(),
            name: owner.name().to_string(),
            gaps: owner.gdpr_gaps().iter().map(|g| format!("{g:?}")).collect(),
            assignments: assignments
                .iter()
                .filter(|a| a.data_owner() == owner.id())
                .map(|a| crate::views::Link {
                    href: format!("/app/setup/assignments/{}", a.id().as_uuid()),
                    text: a.name().to_string(),
                })
                .collect(),
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &IndexPage {
            page: Chrome::of(&viewer, viewer.lang.t(M::Setup), "/app/setup"),
            owners,
        },
    ))
}

// ---------------------------------------------------------------- flows of an owner

#[derive(Template)]
#[template(path = "setup_flows.html")]
struct FlowsPage {
    page: Chrome,
    owner_id: String,
    owner: String,
    published: Vec<(String, String, u32)>,
    drafts: Vec<(String, String, u32)>,
}

/// `/app/setup/owners/{owner}/flows`: published flows and drafts, and a new flow.
pub async fn flows(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> PageResult {
    let owner_id = WebError::path_id(&raw, &viewer, DataOwnerId::from_uuid)?;
    let owner = state
        .cube
        .data_owner(&viewer.user, owner_id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let published = state
        .cube
        .flows(&viewer.user, owner_id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let drafts = state
        .cube
        .flow_drafts(&viewer.user, owner_id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let title = format!("{}: {}", viewer.lang.t(M::Flows), owner.name());
    Ok(html(
        StatusCode::OK,
        &FlowsPage {
            page: Chrome::of(&viewer, &title, &format!("/app/setup/owners/{raw}/flows")),
            owner_id: raw.clone(),
            owner: owner.name().to_string(),
            published: published
                .iter()
                .map(|f| {
                    (
                        f.id().as_uuid().to_string(),
                        f.name().to_string(),
                        f.version().version,
                    )
                })
                .collect(),
            drafts: drafts
                .iter()
                .map(|d| (d.id.as_uuid().to_string(), d.name.to_string(), d.version))
                .collect(),
        },
    ))
}

/// Creates a flow from a template (seed 003's sales flow, seed 000's meeting booking) or
/// empty, and opens its editor.
pub async fn create_flow(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let owner_id = WebError::path_id(&raw, &viewer, DataOwnerId::from_uuid)?;
    let pairs = Pairs(pairs);
    let name = pairs.get("name").unwrap_or_default();
    // A template's ids are fresh for every flow made from it.
    let template = match pairs.get("template") {
        Some("sales") => Some(SalesFlow::draft(SalesFlow::FLOW, owner_id)),
        Some("meeting") => Some(MeetingFlow::draft(MeetingFlow::FLOW, owner_id)),
        _ => None,
    };
    let content = match template {
        Some(draft) => {
            let mut form = FlowForm::of(&fresh_ids(draft));
            form.name = name.to_owned();
            form.content().map_err(form_error(&viewer))?
        }
        None => FlowContent {
            name: name.to_owned(),
            initial: cube_domain::ids::StateId::from_uuid(uuid::Uuid::nil()),
            states: Vec::new(),
            outcomes: Vec::new(),
        },
    };
    let draft = state
        .cube
        .create_flow(&viewer.user, owner_id, content)
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(crate::views::redirect(&format!(
        "/app/setup/flows/{}",
        draft.id.as_uuid()
    )))
}

/// The draft with new ids for its states and outcomes (references kept).
fn fresh_ids(mut draft: FlowDraft) -> FlowDraft {
    use cube_domain::ids::{OutcomeId, StateId};
    use std::collections::BTreeMap;
    let states: BTreeMap<StateId, StateId> = draft
        .states
        .iter()
        .map(|s| (s.id, StateId::from_uuid(uuid::Uuid::now_v7())))
        .collect();
    let map = |id: &StateId| states.get(id).copied().unwrap_or(*id);
    draft.initial = map(&draft.initial);
    for state in &mut draft.states {
        state.id = map(&state.id);
    }
    for outcome in &mut draft.outcomes {
        outcome.id = OutcomeId::from_uuid(uuid::Uuid::now_v7());
        outcome.from = outcome.from.iter().map(map).collect();
        if let cube_domain::flow::OutcomeKind::Progress { target } = &mut outcome.kind {
            *target = map(target);
        }
    }
    draft
}

// ---------------------------------------------------------------- the flow editor

#[derive(Template)]
#[template(path = "setup_flow.html")]
struct FlowPage {
    page: Chrome,
    editor: FlowEditor,
}

/// The editor alone, as the editor's buttons answer it.
#[derive(Template)]
#[template(path = "setup_flow_editor.html")]
struct FlowEditorPartial {
    page: Chrome,
    editor: FlowEditor,
}

struct FlowEditor {
    flow_id: String,
    owner_id: String,
    version: u32,
    form: FlowForm,
    categories: Vec<(String, String)>,
    graph: FlowGraph,
    message: String,
    published_version: Option<u32>,
}

fn editor(
    viewer: &Viewer,
    draft: &FlowDraft,
    form: FlowForm,
    message: String,
    published_version: Option<u32>,
) -> FlowEditor {
    FlowEditor {
        flow_id: draft.id.as_uuid().to_string(),
        owner_id: draft.data_owner.as_uuid().to_string(),
        version: draft.version,
        form,
        categories: CATEGORIES
            .iter()
            .map(|c| {
                (
                    c.as_str().to_owned(),
                    category_text(*c, viewer.lang).to_owned(),
                )
            })
            .collect(),
        graph: FlowGraph::of(draft),
        message,
        published_version,
    }
}

/// `/app/setup/flows/{flow}`: the editor on the flow's draft (a published flow without one
/// starts its next version).
pub async fn flow(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> PageResult {
    let flow_id = WebError::path_id(&raw, &viewer, FlowId::from_uuid)?;
    let draft = state
        .cube
        .flow_draft(&viewer.user, flow_id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let mut form = FlowForm::of(&draft);
    let lang = viewer.lang;
    form.show_problems(&draft.problems(), |p| problem_text(p, lang));
    let title = format!("{}: {}", lang.t(M::Flows), draft.name);
    let editor = editor(&viewer, &draft, form, String::new(), None);
    Ok(html(
        StatusCode::OK,
        &FlowPage {
            page: Chrome::of(&viewer, &title, &format!("/app/setup/flows/{raw}")),
            editor,
        },
    ))
}

/// The editor's buttons: add a row (nothing saved), save the draft, or save and publish.
/// Answers the editor again, with every problem next to its row.
pub async fn edit_flow(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let flow_id = WebError::path_id(&raw, &viewer, FlowId::from_uuid)?;
    let lang = viewer.lang;
    let pairs = Pairs(pairs);
    let mut form = FlowForm::posted(&pairs);
    let action = pairs.get("action").unwrap_or("save");
    if action == "add-state" || action == "add-outcome" {
        let draft = state
            .cube
            .flow_draft(&viewer.user, flow_id)
            .await
            .map_err(WebError::hidden(&viewer))?;
        if action == "add-state" {
            form.add_state();
        } else {
            form.add_outcome();
        }
        let view = editor(&viewer, &draft, form, String::new(), None);
        return Ok(partial(&viewer, view));
    }
    let content = form.content().map_err(form_error(&viewer))?;
    let draft = state
        .cube
        .update_flow_draft(&viewer.user, flow_id, content, None)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let problems = draft.problems();
    let mut form = FlowForm::of(&draft);
    form.show_problems(&problems, |p| problem_text(p, lang));
    if action == "publish" && problems.is_empty() {
        let published = state
            .cube
            .publish_flow(&viewer.user, flow_id)
            .await
            .map_err(WebError::hidden(&viewer))?;
        let version = published.version().version;
        let message = format!("{} {version}.", lang.t(M::PublishedVersion));
        let view = editor(&viewer, &draft, form, message, Some(version));
        return Ok(partial(&viewer, view));
    }
    let message = if problems.is_empty() {
        lang.t(M::Saved).to_owned()
    } else {
        String::new()
    };
    let view = editor(&viewer, &draft, form, message, None);
    Ok(partial(&viewer, view))
}

fn partial(viewer: &Viewer, editor: FlowEditor) -> Response {
    html(
        StatusCode::OK,
        &FlowEditorPartial {
            page: Chrome::of(viewer, "", ""),
            editor,
        },
    )
}

/// Copies a published flow into a new, independent draft and opens its editor.
pub async fn copy_flow(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let flow = WebError::path_id(&raw, &viewer, FlowId::from_uuid)?;
    let pairs = Pairs(pairs);
    let version = pairs
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| not_found(&viewer))?;
    let copy = state
        .cube
        .copy_flow(
            &viewer.user,
            FlowVersion { flow, version },
            pairs.get("name").unwrap_or_default(),
        )
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(crate::views::redirect(&format!(
        "/app/setup/flows/{}",
        copy.id.as_uuid()
    )))
}

// ---------------------------------------------------------------- assignments

#[derive(Template)]
#[template(path = "setup_new_assignment.html")]
struct NewAssignmentPage {
    page: Chrome,
    owner_id: String,
    owner: String,
    flows: Vec<(String, String)>,
    chosen: String,
}

/// `/app/setup/owners/{owner}/assignments/new?flow=…`: start an assignment on a published
/// flow.
pub async fn new_assignment(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::BTreeMap<String, String>>,
) -> PageResult {
    let owner_id = WebError::path_id(&raw, &viewer, DataOwnerId::from_uuid)?;
    let owner = state
        .cube
        .data_owner(&viewer.user, owner_id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let flows = state
        .cube
        .flows(&viewer.user, owner_id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let title = viewer.lang.t(M::NewAssignment);
    Ok(html(
        StatusCode::OK,
        &NewAssignmentPage {
            page: Chrome::of(
                &viewer,
                title,
                &format!("/app/setup/owners/{raw}/assignments/new"),
            ),
            owner_id: raw.clone(),
            owner: owner.name().to_string(),
            flows: flows
                .iter()
                .map(|f| {
                    (
                        format!("{}|{}", f.id().as_uuid(), f.version().version),
                        format!("{} (v{})", f.name(), f.version().version),
                    )
                })
                .collect(),
            chosen: query.get("flow").cloned().unwrap_or_default(),
        },
    ))
}

/// Creates the assignment and opens its set-up.
pub async fn create_assignment(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let owner_id = WebError::path_id(&raw, &viewer, DataOwnerId::from_uuid)?;
    let pairs = Pairs(pairs);
    let bad = |text: &str| WebError::Form {
        detail: text.to_owned(),
        lang: viewer.lang,
    };
    let (flow, version) = pairs
        .get("flow")
        .and_then(|v| v.split_once('|'))
        .ok_or_else(|| bad("choose a published customer flow"))?;
    let version = FlowVersion {
        flow: FlowId::from_uuid(
            flow.parse()
                .map_err(|_| bad("choose a published customer flow"))?,
        ),
        version: version
            .parse()
            .map_err(|_| bad("choose a published customer flow"))?,
    };
    let assignment = state
        .cube
        .create_assignment(
            &viewer.user,
            owner_id,
            pairs.get("name").unwrap_or_default(),
            version,
            None,
        )
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(crate::views::redirect(&format!(
        "/app/setup/assignments/{}",
        assignment.id().as_uuid()
    )))
}

#[derive(Template)]
#[template(path = "setup_assignment.html")]
struct AssignmentPage {
    page: Chrome,
    id: String,
    name: String,
    owner_id: String,
    editor: AssignmentEditor,
}

/// The assignment's form alone, as saving answers it.
#[derive(Template)]
#[template(path = "setup_assignment_editor.html")]
struct AssignmentEditorPartial {
    page: Chrome,
    editor: AssignmentEditor,
}

struct AssignmentEditor {
    id: String,
    products: Vec<(String, String, bool)>,
    price_editable: bool,
    calendars: Vec<(String, String, bool)>,
    view: Vec<(String, String, bool)>,
    lease: i64,
    retry: i64,
    /// `(outcome id, name, options joined by ", ", ownership if it schedules follow-ups,
    /// the e-mail template it sends)`.
    outcomes: Vec<(String, String, String, Option<&'static str>, String)>,
    /// The assignment's e-mail templates, by name.
    email_templates: Vec<String>,
    visible_from: String,
    visible_to: String,
    segments: Vec<String>,
    /// The rules offered, `(value, text)`, and the chosen ones in order.
    rules: Vec<(String, String)>,
    chosen_rules: Vec<String>,
    /// Targets per hour: `(key, label, value)`.
    performance: Vec<(&'static str, &'static str, String)>,
    /// Activity limits, one row per metric: `(key, label, limit, hard stop)`.
    limits: Vec<(&'static str, &'static str, String, bool)>,
    /// Analysis fields and CRM fields of the customer view: `(key, label, analysed, shown)`.
    crm: Vec<(String, String, bool, bool)>,
    analyses_attempts: bool,
    /// Each outcome's own fields: `(outcome id, outcome name, rows)`.
    outcome_fields: Vec<(String, String, Vec<crate::owners::FieldRow>)>,
    types: Vec<(&'static str, &'static str)>,
    message: String,
}

impl AssignmentEditor {
    /// Whether the rule `value` is the one chosen in priority slot `slot`.
    fn rule_at(&self, slot: &usize, value: &str) -> bool {
        self.chosen_rules
            .get(*slot)
            .is_some_and(|chosen| chosen == value)
    }
}

/// A priority rule as the form names it.
fn rule_value(rule: &PriorityRule) -> String {
    match rule {
        PriorityRule::SegmentOrder => "segment-order".into(),
        PriorityRule::FewestAttempts => "fewest-attempts".into(),
        PriorityRule::LongestSinceLastContact => "longest-since-last-contact".into(),
        PriorityRule::ImportOrder => "import-order".into(),
        PriorityRule::Field(key, Direction::Ascending) => format!("field:{}:asc", key.as_str()),
        PriorityRule::Field(key, Direction::Descending) => format!("field:{}:desc", key.as_str()),
    }
}

/// The rule a form value names.
fn rule_of(value: &str) -> Option<PriorityRule> {
    Some(match value {
        "segment-order" => PriorityRule::SegmentOrder,
        "fewest-attempts" => PriorityRule::FewestAttempts,
        "longest-since-last-contact" => PriorityRule::LongestSinceLastContact,
        "import-order" => PriorityRule::ImportOrder,
        other => {
            let rest = other.strip_prefix("field:")?;
            let (key, direction) = rest.rsplit_once(':')?;
            let direction = match direction {
                "asc" => Direction::Ascending,
                "desc" => Direction::Descending,
                _ => return None,
            };
            PriorityRule::Field(FieldKey::parse(key).ok()?, direction)
        }
    })
}

/// The performance criteria the form edits: `(key, label)`.
const PERFORMANCE: [(&str, M); 4] = [
    ("meetings", M::MeetingsPerHour),
    ("yes", M::YesPerHour),
    ("products", M::ProductsPerHour),
    ("conclusions", M::ConclusionsPerHour),
];

/// The activity limits the form edits, one per metric.
const LIMITS: [(LimitMetric, &str); 5] = [
    (LimitMetric::Hours, "hours"),
    (LimitMetric::Yes, "yes"),
    (LimitMetric::Conclusions, "conclusions"),
    (LimitMetric::ProductsSold, "products-sold"),
    (LimitMetric::Meetings, "meetings"),
];

const VIEW_FIELDS: [(FixedField, &str, M); 6] = [
    (FixedField::Name, "name", M::FieldName),
    (FixedField::Phones, "phones", M::FieldPhones),
    (FixedField::Email, "email", M::FieldEmail),
    (FixedField::Address, "address", M::FieldAddress),
    (
        FixedField::RegistryNumber,
        "registry-number",
        M::FieldRegistryNumber,
    ),
    (FixedField::ExternalId, "external-id", M::FieldExternalId),
];

async fn assignment_editor(
    state: &WebState,
    viewer: &Viewer,
    id: AssignmentId,
    message: String,
) -> Result<(AssignmentEditor, String, DataOwnerId), WebError> {
    let assignment = state
        .cube
        .assignment(&viewer.user, id)
        .await
        .map_err(WebError::hidden(viewer))?;
    let setup = state
        .cube
        .assignment_setup(&viewer.user, id)
        .await
        .map_err(WebError::hidden(viewer))?;
    let owner = assignment.data_owner();
    let products = state
        .cube
        .products(&viewer.user, owner)
        .await
        .map_err(WebError::hidden(viewer))?;
    let calendars = state
        .cube
        .calendars(&viewer.user, owner)
        .await
        .map_err(WebError::hidden(viewer))?;
    let lang = viewer.lang;
    let flow = state
        .cube
        .assignment_overview(&viewer.user, id)
        .await
        .map_err(WebError::hidden(viewer))?
        .flow;
    let data_owner = state
        .cube
        .data_owner(&viewer.user, owner)
        .await
        .map_err(WebError::hidden(viewer))?;
    let mut rules: Vec<(String, String)> = [
        (PriorityRule::SegmentOrder, M::RuleSegmentOrder),
        (PriorityRule::FewestAttempts, M::RuleFewestAttempts),
        (
            PriorityRule::LongestSinceLastContact,
            M::RuleLongestSinceLastContact,
        ),
        (PriorityRule::ImportOrder, M::RuleImportOrder),
    ]
    .into_iter()
    .map(|(rule, m)| (rule_value(&rule), lang.t(m).to_owned()))
    .collect();
    for dataset in [Dataset::B2b, Dataset::B2c] {
        for field in data_owner.fields(dataset) {
            for (direction, m) in [
                (Direction::Ascending, M::Ascending),
                (Direction::Descending, M::Descending),
            ] {
                let value = rule_value(&PriorityRule::Field(field.key().clone(), direction));
                if !rules.iter().any(|(v, _)| *v == value) {
                    rules.push((value, format!("{} ({})", field.label(), lang.t(m))));
                }
            }
        }
    }
    let editor = AssignmentEditor {
        id: id.as_uuid().to_string(),
        products: products
            .iter()
            .map(|p| {
                (
                    p.id().as_uuid().to_string(),
                    format!(
                        "{} ({} {})",
                        p.name(),
                        lang.number(p.unit_price()),
                        p.currency().as_str()
                    ),
                    setup.products.available.contains(&p.id()),
                )
            })
            .collect(),
        price_editable: setup.products.price_editable,
        calendars: calendars
            .iter()
            .map(|c| {
                (
                    c.id.as_uuid().to_string(),
                    c.name.to_string(),
                    setup.calendars.contains(&c.id),
                )
            })
            .collect(),
        view: VIEW_FIELDS
            .iter()
            .map(|(field, key, m)| {
                (
                    (*key).to_owned(),
                    lang.t(*m).to_owned(),
                    setup.customer_view.contains(&ViewField::Fixed(*field)),
                )
            })
            .collect(),
        lease: setup.lease.whole_minutes(),
        retry: setup.retry_delay.whole_minutes(),
        outcomes: flow
            .outcomes()
            .iter()
            .map(|o| {
                let options = setup
                    .outcome_options
                    .get(&o.id)
                    .map(|list| {
                        list.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let progress = matches!(o.kind, cube_domain::flow::OutcomeKind::Progress { .. });
                let ownership = (progress && o.schedules_follow_up).then(|| {
                    match setup
                        .follow_up_ownership
                        .get(&o.id)
                        .copied()
                        .unwrap_or_default()
                    {
                        FollowUpOwnership::Personal => "personal",
                        FollowUpOwnership::Shared => "shared",
                    }
                });
                let email = setup
                    .email_on_outcome
                    .get(&o.id)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                (
                    o.id.as_uuid().to_string(),
                    o.name.to_string(),
                    options,
                    ownership,
                    email,
                )
            })
            .collect(),
        email_templates: setup
            .communication
            .email_templates
            .iter()
            .map(|t| t.name.to_string())
            .collect(),
        visible_from: setup
            .visibility
            .from
            .map(|d| d.to_string())
            .unwrap_or_default(),
        visible_to: setup
            .visibility
            .to
            .map(|d| d.to_string())
            .unwrap_or_default(),
        segments: setup.segments.iter().map(|s| s.name.to_string()).collect(),
        rules,
        chosen_rules: setup.priority.iter().map(rule_value).collect(),
        performance: PERFORMANCE
            .iter()
            .map(|(key, m)| {
                let criteria = &setup.performance;
                let value = match *key {
                    "meetings" => criteria.meetings_per_hour,
                    "yes" => criteria.yes_per_hour,
                    "products" => criteria.products_per_hour,
                    _ => criteria.conclusions_per_hour,
                };
                (
                    *key,
                    lang.t(*m),
                    value.map(|v| lang.number(v)).unwrap_or_default(),
                )
            })
            .collect(),
        limits: LIMITS
            .iter()
            .map(|(metric, key)| {
                let limit = setup.activity_limits.iter().find(|l| l.metric == *metric);
                (
                    *key,
                    lang.metric(*metric),
                    limit.map(|l| lang.number(l.limit)).unwrap_or_default(),
                    limit.is_some_and(|l| l.mode == LimitMode::HardStop),
                )
            })
            .collect(),
        crm: {
            let mut crm: Vec<(String, String, bool, bool)> = Vec::new();
            for dataset in [Dataset::B2b, Dataset::B2c] {
                for field in data_owner.fields(dataset) {
                    if crm.iter().any(|(k, ..)| k == field.key().as_str()) {
                        continue;
                    }
                    crm.push((
                        field.key().as_str().to_owned(),
                        field.label().to_owned(),
                        setup
                            .analysis_fields
                            .contains(&AnalysisField::Crm(field.key().clone())),
                        setup
                            .customer_view
                            .contains(&ViewField::Custom(field.key().clone())),
                    ));
                }
            }
            crm
        },
        analyses_attempts: setup.analysis_fields.contains(&AnalysisField::Attempts),
        outcome_fields: flow
            .outcomes()
            .iter()
            .map(|o| {
                let rows = setup
                    .outcome_fields
                    .get(&o.id)
                    .map(|fields| fields.iter().map(crate::owners::FieldRow::of).collect())
                    .unwrap_or_default();
                (o.id.as_uuid().to_string(), o.name.to_string(), rows)
            })
            .collect(),
        types: crate::owners::TYPES
            .iter()
            .map(|(key, m)| (*key, lang.t(*m)))
            .collect(),
        message,
    };
    Ok((editor, assignment.name().to_string(), owner))
}

/// `/app/setup/assignments/{id}`: what sellers work with.
pub async fn assignment(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> PageResult {
    let id = WebError::path_id(&raw, &viewer, AssignmentId::from_uuid)?;
    let (editor, name, owner) = assignment_editor(&state, &viewer, id, String::new()).await?;
    Ok(html(
        StatusCode::OK,
        &AssignmentPage {
            page: Chrome::of(&viewer, &name, &format!("/app/setup/assignments/{raw}")),
            id: raw.clone(),
            name,
            owner_id: owner.as_uuid().to_string(),
            editor,
        },
    ))
}

/// Saves the assignment's set-up (the parts this page edits; the rest stays as it is).
pub async fn save_assignment(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = WebError::path_id(&raw, &viewer, AssignmentId::from_uuid)?;
    let pairs = Pairs(pairs);
    let lang = viewer.lang;
    let bad = |text: String| WebError::Form { detail: text, lang };
    let mut setup = state
        .cube
        .assignment_setup(&viewer.user, id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let all = |key: &str| -> Vec<&str> {
        pairs
            .0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let mut products = std::collections::BTreeSet::new();
    for raw in all("product") {
        products
            .insert(ProductId::from_uuid(raw.parse().map_err(|_| {
                bad("a product lost its id; reload the page".into())
            })?));
    }
    setup.products.available = products;
    setup.products.price_editable = pairs.get("price_editable").is_some();
    let mut calendars = Vec::new();
    for raw in all("calendar") {
        calendars
            .push(CalendarId::from_uuid(raw.parse().map_err(|_| {
                bad("a calendar lost its id; reload the page".into())
            })?));
    }
    setup.calendars = calendars;
    let chosen = all("view");
    // Fixed fields in the page's order, CRM fields kept as they were.
    let mut view: Vec<ViewField> = VIEW_FIELDS
        .iter()
        .filter(|(_, key, _)| chosen.contains(key))
        .map(|(field, _, _)| ViewField::Fixed(*field))
        .collect();
    view.extend(
        setup
            .customer_view
            .iter()
            .filter(|f| matches!(f, ViewField::Custom(_)))
            .cloned(),
    );
    setup.customer_view = view;
    let minutes = |key: &str| -> Result<Duration, WebError> {
        let raw = pairs.get(key).unwrap_or_default();
        raw.parse::<i64>()
            .map(Duration::minutes)
            .map_err(|_| bad(format!("'{raw}' is not a whole number of minutes")))
    };
    setup.lease = minutes("lease")?;
    setup.retry_delay = minutes("retry")?;
    // Options and follow-up ownership per outcome, for the outcomes the form shows.
    let mut options = std::collections::BTreeMap::new();
    let mut ownership = std::collections::BTreeMap::new();
    for (key, value) in &pairs.0 {
        if let Some(outcome) = key.strip_prefix("options.") {
            let outcome = OutcomeId::from_uuid(
                outcome
                    .parse()
                    .map_err(|_| bad("an outcome lost its id; reload the page".into()))?,
            );
            let mut list = Vec::new();
            for option in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                list.push(Name::parse(option).map_err(|e| bad(format!("option '{option}': {e}")))?);
            }
            if !list.is_empty() {
                options.insert(outcome, list);
            }
        } else if let Some(outcome) = key.strip_prefix("ownership.") {
            let outcome = OutcomeId::from_uuid(
                outcome
                    .parse()
                    .map_err(|_| bad("an outcome lost its id; reload the page".into()))?,
            );
            let owner = if value == "shared" {
                FollowUpOwnership::Shared
            } else {
                FollowUpOwnership::Personal
            };
            ownership.insert(outcome, owner);
        }
    }
    setup.outcome_options = options;
    setup.follow_up_ownership = ownership;
    let mut emails = std::collections::BTreeMap::new();
    for (key, value) in &pairs.0 {
        if let Some(outcome) = key.strip_prefix("email.")
            && !value.is_empty()
        {
            let outcome = OutcomeId::from_uuid(
                outcome
                    .parse()
                    .map_err(|_| bad("an outcome lost its id; reload the page".into()))?,
            );
            emails.insert(outcome, Name::parse(value).map_err(|e| bad(e.to_string()))?);
        }
    }
    setup.email_on_outcome = emails;
    let date = |key: &str| -> Result<Option<time::Date>, WebError> {
        pairs
            .get(key)
            .map(|raw| {
                time::Date::parse(
                    raw,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|_| bad(format!("'{raw}' is not a date such as 2026-12-01")))
            })
            .transpose()
    };
    setup.visibility.from = date("visible_from")?;
    setup.visibility.to = date("visible_to")?;
    let mut priority = Vec::new();
    for (key, value) in &pairs.0 {
        if key == "priority" && !value.is_empty() {
            let rule = rule_of(value).ok_or_else(|| bad(format!("no priority rule '{value}'")))?;
            if !priority.contains(&rule) {
                priority.push(rule);
            }
        }
    }
    setup.priority = priority;
    let decimal = |key: &str| -> Result<Option<Decimal>, WebError> {
        pairs
            .get(key)
            .map(|raw| {
                raw.replace(' ', "")
                    .replace(',', ".")
                    .parse::<Decimal>()
                    .map_err(|_| bad(format!("'{raw}' is not a number such as 1,5")))
            })
            .transpose()
    };
    setup.performance.meetings_per_hour = decimal("perf.meetings")?;
    setup.performance.yes_per_hour = decimal("perf.yes")?;
    setup.performance.products_per_hour = decimal("perf.products")?;
    setup.performance.conclusions_per_hour = decimal("perf.conclusions")?;
    let mut limits = Vec::new();
    for (metric, key) in LIMITS {
        if let Some(limit) = decimal(&format!("limit.{key}"))? {
            let mode = if pairs.get(&format!("hard_stop.{key}")).is_some() {
                LimitMode::HardStop
            } else {
                LimitMode::Indicator
            };
            limits.push(ActivityLimit {
                metric,
                limit,
                mode,
            });
        }
    }
    setup.activity_limits = limits;
    let mut analysis = Vec::new();
    if pairs.get("analyse.attempts").is_some() {
        analysis.push(AnalysisField::Attempts);
    }
    let mut custom_view = Vec::new();
    for (key, value) in &pairs.0 {
        let field = || FieldKey::parse(value).map_err(|e| bad(e.to_string()));
        match key.as_str() {
            "analyse" => analysis.push(AnalysisField::Crm(field()?)),
            "view_crm" => custom_view.push(ViewField::Custom(field()?)),
            _ => {}
        }
    }
    setup.analysis_fields = analysis;
    setup
        .customer_view
        .retain(|f| matches!(f, ViewField::Fixed(_)));
    setup.customer_view.extend(custom_view);
    let mut outcome_fields = std::collections::BTreeMap::new();
    let outcomes: std::collections::BTreeSet<&str> = pairs
        .0
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("ofield.")?.split('.').next())
        .collect();
    for outcome in outcomes {
        let id = OutcomeId::from_uuid(
            outcome
                .parse()
                .map_err(|_| bad("an outcome lost its id; reload the page".into()))?,
        );
        let fields =
            crate::owners::fields_of(&pairs, &format!("ofield.{outcome}")).map_err(|e| bad(e.0))?;
        if !fields.is_empty() {
            outcome_fields.insert(id, fields);
        }
    }
    setup.outcome_fields = outcome_fields;
    state
        .cube
        .update_assignment_setup(&viewer.user, id, setup, None)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let (editor, _, _) =
        assignment_editor(&state, &viewer, id, lang.t(M::SetupSaved).to_owned()).await?;
    Ok(html(
        StatusCode::OK,
        &AssignmentEditorPartial {
            page: Chrome::of(&viewer, "", ""),
            editor,
        },
    ))
}

/// Adds a segment (last in the segment order) and shows the set-up again.
pub async fn add_segment(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = WebError::path_id(&raw, &viewer, AssignmentId::from_uuid)?;
    let pairs = Pairs(pairs);
    state
        .cube
        .add_segment(&viewer.user, id, pairs.get("name").unwrap_or_default())
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(crate::views::redirect(&format!(
        "/app/setup/assignments/{raw}"
    )))
}

// ---------------------------------------------------------------- products

#[derive(Template)]
#[template(path = "setup_products.html")]
struct ProductsPage {
    page: Chrome,
    owner_id: String,
    owner: String,
    products: Vec<ProductRow>,
}

struct ProductRow {
    id: String,
    name: String,
    code: String,
    price: String,
    active: bool,
}

/// `/app/setup/owners/{owner}/products`: the catalogue, a new product, stop and resume.
pub async fn products(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> PageResult {
    let owner_id = WebError::path_id(&raw, &viewer, DataOwnerId::from_uuid)?;
    let owner = state
        .cube
        .data_owner(&viewer.user, owner_id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let products = state
        .cube
        .products(&viewer.user, owner_id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let lang = viewer.lang;
    let title = format!("{}: {}", lang.t(M::Products), owner.name());
    Ok(html(
        StatusCode::OK,
        &ProductsPage {
            page: Chrome::of(
                &viewer,
                &title,
                &format!("/app/setup/owners/{raw}/products"),
            ),
            owner_id: raw.clone(),
            owner: owner.name().to_string(),
            products: products
                .iter()
                .map(|p| ProductRow {
                    id: p.id().as_uuid().to_string(),
                    name: p.name().to_string(),
                    code: p.code().to_owned(),
                    price: format!("{} {}", lang.number(p.unit_price()), p.currency().as_str()),
                    active: p.active(),
                })
                .collect(),
        },
    ))
}

/// Adds a product (price with a comma or a point).
pub async fn create_product(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let owner_id = WebError::path_id(&raw, &viewer, DataOwnerId::from_uuid)?;
    let pairs = Pairs(pairs);
    let price_raw = pairs.get("price").unwrap_or_default();
    let unit_price = price_raw
        .replace(' ', "")
        .replace(',', ".")
        .parse::<Decimal>()
        .map_err(|_| WebError::Form {
            detail: format!("the price must be a number such as 499,00, not '{price_raw}'"),
            lang: viewer.lang,
        })?;
    let new = NewProduct {
        name: pairs.get("name").unwrap_or_default().to_owned(),
        code: pairs.get("code").unwrap_or_default().to_owned(),
        unit_price,
        currency: pairs.get("currency").unwrap_or("NOK").to_owned(),
    };
    state
        .cube
        .create_product(&viewer.user, owner_id, new)
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(crate::views::redirect(&format!(
        "/app/setup/owners/{raw}/products"
    )))
}

/// Stops or resumes selling a product.
pub async fn product_active(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let product = WebError::path_id(&raw, &viewer, ProductId::from_uuid)?;
    let pairs = Pairs(pairs);
    let active = pairs.get("active") == Some("true");
    let product = state
        .cube
        .set_product_active(&viewer.user, product, active)
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(crate::views::redirect(&format!(
        "/app/setup/owners/{}/products",
        product.data_owner().as_uuid()
    )))
}
