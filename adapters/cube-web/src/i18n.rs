//! The pages' words in Norwegian bokmål and English: one catalogue ([`M`]), never strings in
//! templates. A message without both languages does not compile (the `match` in
//! [`M::text`] has no default arm). The seeds' own words are the bokmål ones: Oppdrag,
//! Kundeflyt, Tilstand, Utfall, Mitt Arbeid, Oppfølging.
//!
//! The language is the user's choice, kept in the `cube_lang` cookie of their browser; without
//! one, the browser's `Accept-Language` decides (bokmål for `nb`, `no` and `nn`, English
//! otherwise).

use cube_app::ErrorKind;

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Norwegian bokmål.
    Nb,
    /// English.
    En,
}

/// The cookie that keeps a browser's language.
pub const LANG_COOKIE: &str = "cube_lang";

impl Lang {
    /// The language's tag (`<html lang>`, the cookie's value).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::En => "en",
        }
    }

    /// The language of a tag as the cookie keeps it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        match tag {
            "nb" => Some(Lang::Nb),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language for a request: the cookie's, else the first of `Accept-Language` that
    /// the pages are written in (q-values ordered), else bokmål (Cube's first users are
    /// Norwegian call centres).
    pub fn choose(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = cookie.and_then(Lang::from_tag) {
            return lang;
        }
        let mut ranked: Vec<(f32, Lang)> = accept_language
            .unwrap_or("")
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                let primary = tag.split('-').next().unwrap_or("");
                let lang = match primary {
                    "nb" | "no" | "nn" => Lang::Nb,
                    "en" => Lang::En,
                    _ => return None,
                };
                (quality > 0.0).then_some((quality, lang))
            })
            .collect();
        // Stable: of equal weight, the first listed wins.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map_or(Lang::Nb, |(_, lang)| *lang)
    }

    /// The message `m` in this language.
    pub fn t(self, m: M) -> &'static str {
        m.text(self)
    }

    /// A decimal as this language writes it: a comma in bokmål, a point in English.
    pub fn number(self, value: impl std::fmt::Display) -> String {
        let text = value.to_string();
        match self {
            Lang::Nb => text.replace('.', ","),
            Lang::En => text,
        }
    }

    /// The name of an activity limit's metric.
    pub fn metric(self, metric: cube_domain::assignment::setup::LimitMetric) -> &'static str {
        use cube_domain::assignment::setup::LimitMetric;
        self.t(match metric {
            LimitMetric::Hours => M::Hours,
            LimitMetric::Yes => M::SplitYes,
            LimitMetric::Conclusions => M::Conclusions,
            LimitMetric::ProductsSold => M::ProductsSold,
            LimitMetric::Meetings => M::Meetings,
        })
    }

    /// The detail of an error as the seller reads it: in bokmål for the refusals a seller
    /// meets while working (a customer another seller holds, a reservation run out, a
    /// missing option or time, a meeting that does not fit, an activity limit reached),
    /// the use case's own English text otherwise.
    pub fn error_detail(self, error: &cube_app::AppError) -> String {
        use cube_app::AppError;
        use cube_domain::outcome::RegistrationError as R;
        if self == Lang::En {
            return error.to_string();
        }
        let time = |at: &time::OffsetDateTime| format!("{:02}:{:02} (UTC)", at.hour(), at.minute());
        match error {
            AppError::Registration(R::HeldByAnother(until)) => format!(
                "en annen selger jobber med denne kunden til {}; ta neste kunde",
                time(until)
            ),
            AppError::Registration(R::LeaseNotHeld) => "du har ikke lenger denne kunden (reservasjonen gikk ut, eller den ble aldri tatt); trykk n for neste kunde".to_owned(),
            AppError::Registration(R::NotAllowedFrom { outcome, state }) => format!(
                "utfallet «{outcome}» kan ikke velges fra tilstanden «{state}»; last inn kunden på nytt"
            ),
            AppError::Registration(R::OptionRequired { outcome, options }) => {
                format!("utfallet «{outcome}» trenger et valg: {options}")
            }
            AppError::Registration(R::FollowUpTimeRequired(outcome)) => {
                format!("utfallet «{outcome}» trenger et tidspunkt for oppfølging")
            }
            AppError::Registration(R::FollowUpInPast) => {
                "oppfølgingen må være fram i tid".to_owned()
            }
            AppError::Registration(R::MeetingRequired(outcome)) => {
                format!("utfallet «{outcome}» booker et møte: velg en ledig tid")
            }
            AppError::Registration(R::MeetingOverlaps(..)) => {
                "møtet overlapper et annet møte i kalenderen; velg en annen ledig tid".to_owned()
            }
            AppError::Registration(R::MeetingOutsideOpeningHours(calendar)) => format!(
                "møtet er utenfor åpningstidene til kalenderen «{calendar}»; velg en ledig tid"
            ),
            AppError::Registration(R::MeetingInPast(_)) => {
                "møtet må slutte fram i tid".to_owned()
            }
            AppError::Registration(R::CalendarClosed(calendar)) => format!(
                "kalenderen «{calendar}» tar ikke imot nye møter; velg en annen kalender"
            ),
            AppError::ContactBarred(barred) => {
                use cube_domain::contact_policy::standing::Barred;
                match barred {
                    Barred::DoNotCall => {
                        "kunden står på oppdragsgivers «ikke ring»-liste".to_owned()
                    }
                    Barred::Reserved => "kunden er reservert i Reservasjonsregisteret og har \
                                         ikke unntak"
                        .to_owned(),
                    Barred::CallWindow { .. } => "privatpersoner kan ikke ringes nå: lovlig \
                                                  ringetid er hverdager 09–21, ikke helligdager"
                        .to_owned(),
                    Barred::RegisterStale { .. } => "privatpersoner kan ikke ringes før \
                                                     oppdragsgiverens kunder er vasket mot \
                                                     Reservasjonsregisteret denne måneden"
                        .to_owned(),
                    Barred::NotChecked => "kunden er ikke sjekket mot Reservasjonsregisteret \
                                           denne måneden; kjør en ny vask"
                        .to_owned(),
                    Barred::DailyCap { calls, .. } => format!(
                        "kunden er allerede ringt {calls} gang(er) i dag, så mange som \
                         oppdragsgiver tillater; prøv igjen i morgen"
                    ),
                }
            }
            AppError::Call(refused) => {
                use cube_domain::call::CallRefused;
                match refused {
                    CallRefused::NoOwnNumber => "oppdraget viser hver selgers eget nummer, og du \
                                                 har ikke noe telefonnummer: en administrator \
                                                 setter det på brukeren din"
                        .to_owned(),
                    CallRefused::NoPhoneToRing => "samtalen ringer telefonen din først, og du har \
                                                   ikke noe telefonnummer: en administrator \
                                                   setter det på brukeren din"
                        .to_owned(),
                    CallRefused::NotRegistered(number) => format!(
                        "nummeret {} er ikke registrert som avsendernummer for organisasjonen: \
                         en administrator legger det til, eller oppdraget viser et annet",
                        number.as_str()
                    ),
                    CallRefused::NoCustomerNumber => {
                        "kunden har ikke noe telefonnummer: legg til et på kundekortet".to_owned()
                    }
                    CallRefused::TooManyCallerIds => error.to_string(),
                }
            }
            AppError::Telephony(reason) => {
                format!("sentralbordet satte ikke opp samtalen ({reason}); prøv igjen")
            }
            AppError::LimitReached(metric) => format!(
                "oppdragets aktivitetsgrense for {} er nådd; ingen flere kunder deles ut",
                self.metric(*metric).to_lowercase()
            ),
            AppError::DuplicateCustomer(duplicate) => {
                use cube_domain::ports::CustomerKey;
                let (key, another) = match &duplicate.key {
                    CustomerKey::ExternalId(id) => {
                        (format!("den eksterne id-en «{id}»"), "en annen ekstern id")
                    }
                    CustomerKey::Registry(number) => (
                        format!("organisasjonsnummeret {number}"),
                        "et annet organisasjonsnummer",
                    ),
                    CustomerKey::Phone(phone) => (
                        format!("telefonnummeret {}", phone.as_str()),
                        "et annet telefonnummer",
                    ),
                };
                format!(
                    "en annen kunde hos denne dataeieren ({}) har allerede {key}; bruk den \
                     kunden eller oppgi {another}",
                    duplicate.other
                )
            }
            other => other.to_string(),
        }
    }

    /// The name of a call's status, as the card lists it.
    pub fn call_status(self, status: cube_domain::call::CallStatus) -> &'static str {
        use cube_domain::call::CallStatus;
        self.t(match status {
            CallStatus::Dialled => M::CallDialled,
            CallStatus::Initiated => M::CallInitiated,
            CallStatus::Ringing => M::CallRingingStatus,
            CallStatus::InProgress => M::CallInProgress,
            CallStatus::Completed => M::CallCompleted,
            CallStatus::Busy => M::CallBusy,
            CallStatus::NoAnswer => M::CallNoAnswer,
            CallStatus::Failed => M::CallFailed,
            CallStatus::Canceled => M::CallCanceled,
        })
    }

    /// What to say for an error of `kind`, before its detail.
    pub fn error(self, kind: ErrorKind) -> &'static str {
        self.t(match kind {
            ErrorKind::NotFound => M::ErrNotFound,
            ErrorKind::Forbidden => M::ErrForbidden,
            ErrorKind::Unauthenticated => M::ErrUnauthenticated,
            ErrorKind::Invalid => M::ErrInvalid,
            ErrorKind::Conflict => M::ErrConflict,
            ErrorKind::Stale => M::ErrStale,
            ErrorKind::Unavailable => M::ErrUnavailable,
            ErrorKind::Internal => M::ErrInternal,
        })
    }
}

/// Every message on the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum M {
    Cube,
    LogIn,
    LoggingIn,
    Email,
    Password,
    BadLogin,
    LogOut,
    Assignments,
    NoAssignments,
    MyWork,
    NextCustomer,
    Release,
    Released,
    Register,
    Registered,
    Outcome,
    Option,
    NoOption,
    FollowUpAt,
    FollowUpPersonal,
    FollowUpShared,
    Product,
    Quantity,
    UnitPrice,
    Meeting,
    NoFreeSlot,
    Note,
    History,
    NoHistory,
    State,
    Customer,
    QueueEmpty,
    QueueEmptyNext,
    Shortcuts,
    ShortcutsText,
    Personal,
    Shared,
    Coming,
    Overdue,
    Due,
    NothingDue,
    Call,
    Assignment,
    Seller,
    When,
    Yes,
    No,
    FieldName,
    FieldPhones,
    FieldEmail,
    FieldAddress,
    FieldRegistryNumber,
    FieldExternalId,
    PageNotFound,
    BackHome,
    Language,
    Held,
    ErrNotFound,
    ErrForbidden,
    ErrUnauthenticated,
    ErrInvalid,
    ErrConflict,
    ErrStale,
    ErrUnavailable,
    ErrInternal,
    Skip,
    Reports,
    NoReports,
    From,
    To,
    Show,
    Activity,
    Conclusions,
    Hitrate,
    ProgressRate,
    Meetings,
    ProductsSold,
    SalesValue,
    Events,
    Share,
    CustomerStatus,
    Customers,
    Utilization,
    AttemptsZero,
    AttemptsOne,
    AttemptsMore,
    ReservedNow,
    Sales,
    Units,
    Value,
    Downloads,
    DownloadOutcomes,
    DownloadSales,
    DownloadStatus,
    DownloadStatusExcel,
    DownloadOpenOffers,
    DownloadMeetings,
    Total,
    /// The sales report's line on sales needing written confirmation (angrerettloven § 10).
    SalesConfirmation,
    SplitYes,
    SplitNo,
    SplitExcluded,
    SplitOther,
    SplitAttempts,
    WindowInvalid,
    NoData,
    Wallboard,
    WorkingNow,
    LastHour,
    Calls,
    Limits,
    Reached,
    Updated,
    NobodyLastHour,
    Hours,
    Setup,
    DataOwners,
    GdprMissing,
    Flows,
    Drafts,
    Published,
    NewFlow,
    Template,
    TemplateSales,
    TemplateMeeting,
    TemplateBlank,
    Create,
    Edit,
    FlowName,
    InitialState,
    States,
    Category,
    Colour,
    Remove,
    AddState,
    AddOutcome,
    Save,
    SaveDraft,
    Publish,
    Saved,
    PublishedVersion,
    KindProgress,
    KindNoAnswer,
    KindCallBack,
    Target,
    FromStates,
    SchedulesFollowUp,
    CarriesProducts,
    BooksMeeting,
    FlowGraph,
    FlowHasProblems,
    NewAssignment,
    AssignmentName,
    FlowVersion,
    StartAssignment,
    Products,
    NewProduct,
    Code,
    Price,
    Currency,
    Active,
    Resume,
    Stop,
    Calendars,
    CustomerView,
    LeaseMinutes,
    RetryMinutes,
    PriceEditable,
    Nothing,
    CatAvailable,
    CatOpen,
    CatYes,
    CatNo,
    CatExcluded,
    OutcomeKind,
    Changes,
    WholeCard,
    SaveCard,
    Move,
    NewTime,
    DueToday,
    Users,
    Role,
    RoleAdmin,
    RoleManager,
    RoleSeller,
    RoleClient,
    DataOwnersForManagers,
    ClientForClients,
    FirstPassword,
    NewUser,
    Activate,
    Deactivate,
    BasisConsent,
    BasisContract,
    BasisLegalObligation,
    BasisVitalInterests,
    BasisPublicTask,
    BasisLegitimateInterests,
    TypeText,
    TypeNumber,
    TypeDecimal,
    TypeDate,
    TypeBoolean,
    TypeChoice,
    DatasetB2b,
    DatasetB2c,
    CompanyName,
    OrganisationNumber,
    ContactEmail,
    DataProtectionContact,
    Controller,
    Purposes,
    Purpose,
    NewPurpose,
    LegalBasis,
    CrmFields,
    Key,
    Label,
    Choices,
    Required,
    NewField,
    FieldsHint,
    NewDataOwner,
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
    Day,
    Opens,
    Closes,
    HoursHint,
    AllowsOverlap,
    TakesBookings,
    NewCalendar,
    RuleSegmentOrder,
    RuleFewestAttempts,
    RuleLongestSinceLastContact,
    RuleImportOrder,
    Ascending,
    Descending,
    Priority,
    PriorityHint,
    Segments,
    NewSegment,
    Visibility,
    VisibleFrom,
    VisibleTo,
    Options,
    OptionsHint,
    FollowUpOwner,
    OwnerPersonal,
    OwnerShared,
    Physical,
    Video,
    HitAnalysis,
    SetupSaved,
    CardSaved,
    SendMessage,
    MessageTemplate,
    SendMessageButton,
    SmsQueued,
    EmailQueued,
    SmsSegments,
    CallCustomer,
    CallDial,
    CallRinging,
    CallShowing,
    CallerId,
    CallCount,
    TalkTime,
    CallDialled,
    CallInitiated,
    CallRingingStatus,
    CallInProgress,
    CallCompleted,
    CallBusy,
    CallNoAnswer,
    CallFailed,
    CallCanceled,
    MeetingsPerHour,
    YesPerHour,
    ProductsPerHour,
    ConclusionsPerHour,
    PerformanceCriteria,
    HardStop,
    LimitHint,
    Analysis,
    ShownToSellers,
    OutcomeFields,
    CommunicationHint,
    EmailOnOutcome,
    TooLarge,
    AchievementYes,
    Copy,
    CopyName,
    ImportCustomers,
    ImportFile,
    ImportFileHint,
    Dataset,
    OnMatch,
    OnMatchUpdate,
    OnMatchSkip,
    MatchBy,
    MatchByExternalId,
    MatchByRegistryNumber,
    MatchByPhone,
    MatchByNone,
    KeepGoodRows,
    AllOrNothingHint,
    Preview,
    Sheet,
    HeaderRow,
    Column,
    Header,
    Samples,
    GoesTo,
    LeftOut,
    RowsInFile,
    RowsGood,
    RowsRejected,
    RejectedRows,
    MoreRejected,
    Row,
    Reason,
    FirstRows,
    Import,
    ImportRunning,
    ImportDone,
    ImportStopped,
    RowsDone,
    NewCustomers,
    UpdatedCustomers,
    UnchangedCustomers,
    SkippedCustomers,
    EnrolledCustomers,
    TargetName,
    TargetPhone,
    TargetEmail,
    TargetAddress,
    TargetPostalCode,
    TargetCity,
    TargetRegistryNumber,
    TargetExternalId,
    RejectedFileName,
    DownloadRejected,
    NextCustomerAt,
    FirstFrom,
    WhyHeld,
    WhyResting,
    WhyFollowUpsLater,
    WhyOthersFollowUps,
    WhyConcluded,
    WhyExcluded,
    WhyDoNotCall,
    WhyReserved,
    WhyCallWindow,
    WhyRegisterStale,
    WhyNotChecked,
    WhyAttemptsUsed,
    ChangeDoNotCall,
    ChangeDoNotCallLifted,
    ChangeExemptionRecorded,
    ChangeExemptionRemoved,
    WhyDailyCap,
    ChooseFile,
    FileTooLarge,
}

impl M {
    /// The text in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        let (nb, en) = match self {
            M::Cube => ("Cube", "Cube"),
            M::LogIn => ("Logg inn", "Log in"),
            M::LoggingIn => ("Logger inn …", "Logging in …"),
            M::Email => ("E-post", "E-mail"),
            M::Password => ("Passord", "Password"),
            M::BadLogin => ("Feil e-post eller passord.", "Wrong e-mail or password."),
            M::LogOut => ("Logg ut", "Log out"),
            M::Assignments => ("Oppdrag", "Assignments"),
            M::NoAssignments => (
                "Du har ingen oppdrag å jobbe med nå.",
                "You have no assignments to work on now.",
            ),
            M::MyWork => ("Mitt Arbeid", "My Work"),
            M::NextCustomer => ("Neste kunde", "Next customer"),
            M::Release => ("Frigi kunden", "Release the customer"),
            M::Released => (
                "Kunden er frigitt og kan ringes av andre.",
                "The customer is released and may be called by others.",
            ),
            M::Register => ("Registrer", "Register"),
            M::Registered => ("Registrert", "Registered"),
            M::Outcome => ("Utfall", "Outcome"),
            M::Option => ("Valg", "Option"),
            M::NoOption => ("Velg …", "Choose …"),
            M::FollowUpAt => ("Oppfølging", "Follow-up"),
            M::FollowUpPersonal => ("personlig (deg)", "personal (you)"),
            M::FollowUpShared => ("felles (alle selgere)", "shared (every seller)"),
            M::Product => ("Produkt", "Product"),
            M::Quantity => ("Antall", "Quantity"),
            M::UnitPrice => ("Enhetspris", "Unit price"),
            M::Meeting => ("Møte", "Meeting"),
            M::NoFreeSlot => (
                "Ingen ledige tider de neste dagene.",
                "No free times in the coming days.",
            ),
            M::Note => ("Notat", "Note"),
            M::History => ("Historikk", "History"),
            M::NoHistory => ("Ingen utfall ennå.", "No outcomes yet."),
            M::State => ("Tilstand", "State"),
            M::Customer => ("Kunde", "Customer"),
            M::QueueEmpty => (
                "Ingen kunder er klare akkurat nå.",
                "No customer is ready right now.",
            ),
            M::QueueEmptyNext => (
                "Se Mitt Arbeid for oppfølginger, eller prøv igjen om litt.",
                "See My Work for follow-ups, or try again in a while.",
            ),
            M::Shortcuts => ("Hurtigtaster", "Shortcuts"),
            M::ShortcutsText => (
                "n: neste kunde · 1–9: velg utfall · Enter: registrer · r: frigi · k: hele kundekortet · Esc: tilbake til knappene",
                "n: next customer · 1–9: choose outcome · Enter: register · r: release · k: the whole card · Esc: back to the buttons",
            ),
            M::Personal => ("Personlige oppfølginger", "Personal follow-ups"),
            M::Shared => ("Felles oppfølginger", "Shared follow-ups"),
            M::Coming => ("Kommende uke", "The coming week"),
            M::Overdue => ("Forfalt", "Overdue"),
            M::Due => ("Forfaller", "Due"),
            M::NothingDue => ("Ingenting her.", "Nothing here."),
            M::Call => ("Ring nå", "Call now"),
            M::Assignment => ("Oppdrag", "Assignment"),
            M::Seller => ("Selger", "Seller"),
            M::When => ("Når", "When"),
            M::Yes => ("Ja", "Yes"),
            M::No => ("Nei", "No"),
            M::FieldName => ("Navn", "Name"),
            M::FieldPhones => ("Telefon", "Phone"),
            M::FieldEmail => ("E-post", "E-mail"),
            M::FieldAddress => ("Adresse", "Address"),
            M::FieldRegistryNumber => ("Org.nr./fødselsnr.", "Registry number"),
            M::FieldExternalId => ("Ekstern id", "External id"),
            M::PageNotFound => (
                "Denne siden finnes ikke, eller du har ikke tilgang til den.",
                "This page does not exist, or you have no access to it.",
            ),
            M::BackHome => ("Til forsiden", "To the start page"),
            M::Language => ("Språk", "Language"),
            M::Held => (
                "Du har denne kunden fra før.",
                "You were already holding this customer.",
            ),
            M::ErrNotFound => ("Finnes ikke", "Not found"),
            M::ErrForbidden => ("Ikke tillatt", "Not allowed"),
            M::ErrUnauthenticated => ("Logg inn på nytt", "Log in again"),
            M::ErrInvalid => ("Rett dette", "Please fix this"),
            M::ErrConflict => ("Noe endret seg", "Something changed"),
            M::ErrStale => ("Noen andre endret dette", "Someone else changed this"),
            M::ErrUnavailable => (
                "Tjenesten er opptatt; prøv igjen",
                "The service is busy; try again",
            ),
            M::ErrInternal => ("Noe gikk galt hos oss", "Something went wrong on our side"),
            M::Skip => ("Hopp til innholdet", "Skip to the content"),
            M::Reports => ("Rapporter", "Reports"),
            M::NoReports => (
                "Du har ingen oppdrag å se rapporter for.",
                "You have no assignments to see reports of.",
            ),
            M::From => ("Fra", "From"),
            M::To => ("Til og med", "To (inclusive)"),
            M::Show => ("Vis", "Show"),
            M::Activity => ("Aktivitet og resultater", "Activity and results"),
            M::Conclusions => ("Konklusjoner", "Conclusions"),
            M::Hitrate => ("Treffprosent", "Hit rate"),
            M::ProgressRate => ("Fremdriftsrate", "Progress rate"),
            M::Meetings => ("Møter", "Meetings"),
            M::ProductsSold => ("Solgte enheter", "Units sold"),
            M::SalesValue => ("Salgsverdi", "Sales value"),
            M::Events => ("Antall", "Count"),
            M::Share => ("Andel", "Share"),
            M::CustomerStatus => ("Kundestatus nå", "Customer status now"),
            M::Customers => ("Kunder", "Customers"),
            M::Utilization => ("Utnyttelse", "Utilization"),
            M::AttemptsZero => ("Ikke forsøkt", "Not attempted"),
            M::AttemptsOne => ("Forsøkt én gang", "Attempted once"),
            M::AttemptsMore => ("Forsøkt to ganger eller mer", "Attempted twice or more"),
            M::ReservedNow => ("Reservert av selgere nå", "Reserved by sellers now"),
            M::Sales => ("Salg", "Sales"),
            M::Units => ("Enheter", "Units"),
            M::Value => ("Verdi", "Value"),
            M::Downloads => ("Last ned", "Download"),
            M::DownloadOutcomes => ("Utfallene (Excel)", "The outcomes (Excel)"),
            M::DownloadSales => ("Solgte produkter (Excel)", "Products sold (Excel)"),
            M::DownloadStatus => ("Kundestatus (CSV)", "Customer status (CSV)"),
            M::DownloadStatusExcel => ("Kundestatus (Excel)", "Customer status (Excel)"),
            M::DownloadOpenOffers => ("Åpne tilbud (Excel)", "Open offers (Excel)"),
            M::DownloadMeetings => ("Møtene (Excel)", "The meetings (Excel)"),
            M::Total => ("Totalt", "Total"),
            M::SalesConfirmation => (
                "Skriftlig bekreftelse (angrerettloven § 10): verdien teller bare bekreftede salg. Bekreftet / venter / avslått / utløpt / ikke sendt",
                "Written confirmation (angrerettloven § 10): the value counts confirmed sales only. Confirmed / pending / refused / expired / not sent",
            ),
            M::SplitYes => ("Ja", "Yes"),
            M::SplitNo => ("Nei", "No"),
            M::SplitExcluded => ("Ekskludert", "Excluded"),
            M::SplitOther => ("Annet", "Other"),
            M::SplitAttempts => ("Forsøk", "Attempts"),
            M::WindowInvalid => (
                "Datoene må være på formen 2026-12-01, og «til og med» kan ikke være før «fra».",
                "The dates must look like 2026-12-01, and «to» cannot be before «from».",
            ),
            M::NoData => ("Ingen data i perioden.", "No data in the period."),
            M::Wallboard => ("Tavle", "Wallboard"),
            M::Hours => ("Timer", "Hours"),
            M::Setup => ("Oppsett", "Set-up"),
            M::DataOwners => ("Dataeiere", "Data owners"),
            M::GdprMissing => (
                "Behandlingsansvarlig eller formål mangler (GDPR):",
                "The controller or the purposes are missing (GDPR):",
            ),
            M::Flows => ("Kundeflyter", "Customer flows"),
            M::Drafts => ("Utkast", "Drafts"),
            M::Published => ("Publisert", "Published"),
            M::NewFlow => ("Ny kundeflyt", "New customer flow"),
            M::Template => ("Start fra", "Start from"),
            M::TemplateSales => ("Salg (mal)", "Sales (template)"),
            M::TemplateMeeting => ("Møtebooking (mal)", "Meeting booking (template)"),
            M::TemplateBlank => ("Tom", "Empty"),
            M::Create => ("Opprett", "Create"),
            M::Edit => ("Rediger", "Edit"),
            M::FlowName => ("Navn på kundeflyten", "Name of the flow"),
            M::InitialState => ("Starttilstand", "Initial state"),
            M::States => ("Tilstander", "States"),
            M::Category => ("Kategori", "Category"),
            M::Colour => ("Farge", "Colour"),
            M::Remove => ("Fjern", "Remove"),
            M::AddState => ("Legg til tilstand", "Add a state"),
            M::AddOutcome => ("Legg til utfall", "Add an outcome"),
            M::Save => ("Lagre", "Save"),
            M::SaveDraft => ("Lagre utkast", "Save the draft"),
            M::Publish => ("Publiser", "Publish"),
            M::Saved => ("Utkastet er lagret.", "The draft is saved."),
            M::PublishedVersion => ("Publisert som versjon", "Published as version"),
            M::KindProgress => ("Flytter kunden til", "Moves the customer to"),
            M::KindNoAnswer => ("Ikke svar (forsøk)", "No answer (attempt)"),
            M::KindCallBack => ("Ring tilbake (forsøk)", "Call back later (attempt)"),
            M::Target => ("Til tilstand", "To state"),
            M::FromStates => ("Kan velges fra", "May be chosen from"),
            M::SchedulesFollowUp => ("Oppfølging", "Follow-up"),
            M::CarriesProducts => ("Produkter", "Products"),
            M::BooksMeeting => ("Møte", "Meeting"),
            M::FlowGraph => ("Kundeflyten som graf", "The flow as a graph"),
            M::FlowHasProblems => (
                "Kundeflyten kan ikke publiseres før dette er rettet:",
                "The flow cannot be published until this is fixed:",
            ),
            M::NewAssignment => ("Nytt oppdrag", "New assignment"),
            M::AssignmentName => ("Navn på oppdraget", "Name of the assignment"),
            M::FlowVersion => ("Kundeflyt (versjon)", "Customer flow (version)"),
            M::StartAssignment => ("Start et oppdrag med denne", "Start an assignment with it"),
            M::Products => ("Produkter", "Products"),
            M::NewProduct => ("Nytt produkt", "New product"),
            M::Code => ("Kode", "Code"),
            M::Price => ("Pris", "Price"),
            M::Currency => ("Valuta", "Currency"),
            M::Active => ("Aktiv", "Active"),
            M::Resume => ("Gjenoppta salg", "Sell again"),
            M::Stop => ("Stopp salg", "Stop selling"),
            M::Calendars => ("Kalendere", "Calendars"),
            M::CustomerView => ("Kundevisning", "Customer view"),
            M::LeaseMinutes => ("Reservasjon (minutter)", "Reservation (minutes)"),
            M::RetryMinutes => (
                "Ny runde etter ikke svar (minutter)",
                "Retry after no answer (minutes)",
            ),
            M::PriceEditable => ("Selgere kan endre pris", "Sellers may change the price"),
            M::Nothing => ("Ingen ennå.", "None yet."),
            M::CatAvailable => ("Tilgjengelig (skal ringes)", "Available (to call)"),
            M::CatOpen => ("Åpen (i gang)", "Open (in progress)"),
            M::CatYes => ("Ja (salg/møte)", "Yes (sale/meeting)"),
            M::CatNo => ("Nei", "No"),
            M::CatExcluded => ("Ekskludert", "Excluded"),
            M::OutcomeKind => ("Type", "Kind"),
            M::Changes => ("Endringer", "Changes"),
            M::WholeCard => ("Hele kundekortet", "The whole card"),
            M::SaveCard => ("Lagre kundekortet", "Save the card"),
            M::Move => ("Flytt", "Move"),
            M::NewTime => ("Ny tid", "New time"),
            M::DueToday => ("Oppfølginger i dag", "Follow-ups today"),
            M::Users => ("Brukere og roller", "Users and roles"),
            M::Role => ("Rolle", "Role"),
            M::RoleAdmin => ("Administrator", "Admin"),
            M::RoleManager => ("Leder", "Manager"),
            M::RoleSeller => ("Selger", "Seller"),
            M::RoleClient => ("Oppdragsgiver", "Client"),
            M::DataOwnersForManagers => ("Dataeiere (for ledere)", "Data owners (for managers)"),
            M::ClientForClients => (
                "Oppdragsgiver-id (for oppdragsgivere)",
                "Client id (for clients)",
            ),
            M::FirstPassword => ("Første passord", "First password"),
            M::NewUser => ("Ny bruker", "New user"),
            M::Activate => ("Aktiver", "Activate"),
            M::Deactivate => ("Deaktiver", "Deactivate"),
            M::BasisConsent => ("Samtykke", "Consent"),
            M::BasisContract => ("Avtale", "Contract"),
            M::BasisLegalObligation => ("Rettslig forpliktelse", "Legal obligation"),
            M::BasisVitalInterests => ("Vitale interesser", "Vital interests"),
            M::BasisPublicTask => ("Offentlig oppgave", "Public task"),
            M::BasisLegitimateInterests => ("Berettiget interesse", "Legitimate interests"),
            M::TypeText => ("Tekst", "Text"),
            M::TypeNumber => ("Heltall", "Whole number"),
            M::TypeDecimal => ("Desimaltall", "Decimal"),
            M::TypeDate => ("Dato", "Date"),
            M::TypeBoolean => ("Ja/nei", "Yes/no"),
            M::TypeChoice => ("Valgliste", "Choice"),
            M::DatasetB2b => ("Bedrifter (B2B)", "Companies (B2B)"),
            M::DatasetB2c => ("Personer (B2C)", "Persons (B2C)"),
            M::CompanyName => ("Firmanavn", "Company name"),
            M::OrganisationNumber => ("Organisasjonsnummer", "Organisation number"),
            M::ContactEmail => ("Kontakt-e-post", "Contact e-mail"),
            M::DataProtectionContact => ("Personvernombud", "Data protection contact"),
            M::Controller => ("Behandlingsansvarlig", "Controller"),
            M::Purposes => ("Formål med behandlingen", "Purposes of the processing"),
            M::Purpose => ("Formål", "Purpose"),
            M::NewPurpose => ("Nytt formål", "New purpose"),
            M::LegalBasis => ("Rettslig grunnlag", "Legal basis"),
            M::CrmFields => ("CRM-felt", "CRM fields"),
            M::Key => ("Nøkkel", "Key"),
            M::Label => ("Ledetekst", "Label"),
            M::Choices => ("Valg (kommaseparert)", "Choices (comma-separated)"),
            M::Required => ("Påkrevd", "Required"),
            M::NewField => ("Nytt felt", "New field"),
            M::FieldsHint => (
                "Tøm nøkkelen for å fjerne et felt. Nøkler: små bokstaver, tall og _.",
                "Empty the key to remove a field. Keys: lower-case letters, digits and _.",
            ),
            M::NewDataOwner => ("Ny dataeier", "New data owner"),
            M::Monday => ("Mandag", "Monday"),
            M::Tuesday => ("Tirsdag", "Tuesday"),
            M::Wednesday => ("Onsdag", "Wednesday"),
            M::Thursday => ("Torsdag", "Thursday"),
            M::Friday => ("Fredag", "Friday"),
            M::Saturday => ("Lørdag", "Saturday"),
            M::Sunday => ("Søndag", "Sunday"),
            M::Day => ("Dag", "Day"),
            M::Opens => ("Åpner", "Opens"),
            M::Closes => ("Stenger", "Closes"),
            M::HoursHint => (
                "Tomme tider: stengt den dagen. Ingen tider i det hele tatt: åpen hele tiden.",
                "Empty times: closed that day. No times at all: open at any time.",
            ),
            M::AllowsOverlap => ("Møter kan overlappe", "Meetings may overlap"),
            M::TakesBookings => ("Tar imot nye møter", "Takes new bookings"),
            M::NewCalendar => ("Ny kalender", "New calendar"),
            M::RuleSegmentOrder => ("Segmentrekkefølge", "Segment order"),
            M::RuleFewestAttempts => ("Færrest forsøk først", "Fewest attempts first"),
            M::RuleLongestSinceLastContact => (
                "Lengst siden sist kontakt først",
                "Longest since the last contact first",
            ),
            M::RuleImportOrder => ("Importrekkefølge", "Import order"),
            M::Ascending => ("stigende", "ascending"),
            M::Descending => ("synkende", "descending"),
            M::Priority => ("Prioritering", "Priority"),
            M::PriorityHint => (
                "Reglene brukes i rekkefølge; tomme valg hoppes over.",
                "The rules apply in order; empty choices are skipped.",
            ),
            M::Segments => ("Segmenter", "Segments"),
            M::NewSegment => ("Nytt segment", "New segment"),
            M::Visibility => ("Synlighet", "Visibility"),
            M::VisibleFrom => ("Synlig fra", "Visible from"),
            M::VisibleTo => ("Synlig til og med", "Visible to (inclusive)"),
            M::Options => ("Valg", "Options"),
            M::OptionsHint => ("kommaseparert", "comma-separated"),
            M::FollowUpOwner => ("Oppfølging eies av", "Follow-up belongs to"),
            M::OwnerPersonal => ("selgeren (personlig)", "the seller (personal)"),
            M::OwnerShared => ("alle selgere (felles)", "every seller (shared)"),
            M::Physical => ("Fysisk", "In person"),
            M::Video => ("Video", "Video"),
            M::HitAnalysis => ("Treffanalyse", "Hit analysis"),
            M::SetupSaved => ("Oppsettet er lagret.", "The set-up is saved."),
            M::CardSaved => ("Kundekortet er lagret.", "The card is saved."),
            M::SendMessage => ("Send melding", "Send a message"),
            M::MessageTemplate => ("Mal", "Template"),
            M::SendMessageButton => ("Send", "Send"),
            M::SmsQueued => ("SMS-en er lagt i kø til", "The SMS is queued to"),
            M::EmailQueued => ("E-posten er lagt i kø til", "The e-mail is queued to"),
            M::SmsSegments => ("SMS-er", "SMS"),
            M::CallCustomer => ("Ring kunden", "Call the customer"),
            M::CallDial => ("Ring fra softphonen din:", "Dial from your softphone:"),
            M::CallRinging => (
                "Ringer … telefonen din ringer først, så kobles kunden på",
                "Calling … your phone rings first, then the customer is connected",
            ),
            M::CallShowing => ("kunden ser nummeret", "the customer sees the number"),
            M::CallerId => ("Vist nummer", "Caller id"),
            M::CallCount => ("Antall samtaler", "Calls"),
            M::TalkTime => ("Taletid", "Talk time"),
            M::CallDialled => ("ringt fra softphone", "dialled on a softphone"),
            M::CallInitiated => ("startet", "started"),
            M::CallRingingStatus => ("ringer", "ringing"),
            M::CallInProgress => ("pågår", "in progress"),
            M::CallCompleted => ("fullført", "completed"),
            M::CallBusy => ("opptatt", "busy"),
            M::CallNoAnswer => ("ikke svar", "no answer"),
            M::CallFailed => ("mislyktes", "failed"),
            M::CallCanceled => ("avbrutt", "cancelled"),
            M::MeetingsPerHour => ("Møter per time", "Meetings per hour"),
            M::YesPerHour => ("Ja per time", "Yes per hour"),
            M::ProductsPerHour => ("Produkter per time", "Products per hour"),
            M::ConclusionsPerHour => ("Konklusjoner per time", "Conclusions per hour"),
            M::PerformanceCriteria => ("Prestasjonskriterier", "Performance criteria"),
            M::HardStop => ("Stopp ved grensen", "Stop at the limit"),
            M::LimitHint => (
                "Tom grense: ingen. «Stopp» gir ingen nye kunder når grensen er nådd.",
                "Empty limit: none. «Stop» hands out no more customers once it is reached.",
            ),
            M::Analysis => ("Treffanalyse av", "Hit analysis by"),
            M::ShownToSellers => ("Vises selgeren", "Shown to the seller"),
            M::OutcomeFields => ("Felt på utfallet", "Fields of the outcome"),
            M::EmailOnOutcome => ("E-post til kunden", "E-mail to the customer"),
            M::TooLarge => (
                "Skjemaet er for stort (over 64 KiB); kort ned teksten og prøv igjen",
                "The form is too large (over 64 KiB); shorten the text and try again",
            ),
            M::AchievementYes => ("Måloppnåelse, ja", "Achievement, yes"),
            M::Copy => ("Kopier", "Copy"),
            M::CopyName => ("Navn på kopien", "Name of the copy"),
            M::ImportCustomers => ("Importer kunder fra fil", "Import customers from a file"),
            M::ImportFile => (
                "Fil (.xlsx, .xls, .ods, .csv)",
                "File (.xlsx, .xls, .ods, .csv)",
            ),
            M::ImportFileHint => (
                "Excel, LibreOffice eller CSV med semikolon, komma eller tabulator; første rad med to eller flere utfylte celler er overskriftene.",
                "Excel, LibreOffice or CSV with semicolons, commas or tabs; the first row with two or more filled cells holds the headers.",
            ),
            M::Dataset => ("Datasett", "Dataset"),
            M::OnMatch => ("Kunder som finnes fra før", "Customers already there"),
            M::MatchBy => (
                "Finn kunder som finnes fra før ved (i denne rekkefølgen)",
                "Find customers already there by (in this order)",
            ),
            M::MatchByExternalId => ("Ekstern id", "External id"),
            M::MatchByRegistryNumber => (
                "Organisasjonsnummer (bedrifter)",
                "Organisation number (companies)",
            ),
            M::MatchByPhone => ("Telefon", "Phone"),
            M::MatchByNone => (
                "Velg minst én måte å finne kunder som finnes fra før på (ekstern id, organisasjonsnummer eller telefon).",
                "Choose at least one way to find customers already there (external id, organisation number or phone).",
            ),
            M::OnMatchUpdate => (
                "Oppdater med radens verdier",
                "Update them with the row's values",
            ),
            M::OnMatchSkip => ("La dem være som de er", "Leave them as they are"),
            M::KeepGoodRows => (
                "Importer de gode radene selv om noen rader har feil",
                "Import the good rows even if some rows have errors",
            ),
            M::AllOrNothingHint => (
                "Har noen rader feil, importeres ingenting – med mindre du krysser av for å importere de gode radene.",
                "If any row has errors, nothing is imported — unless you tick importing the good rows.",
            ),
            M::Preview => ("Forhåndsvis", "Preview"),
            M::Sheet => ("Ark", "Sheet"),
            M::HeaderRow => ("Overskriftsrad", "Header row"),
            M::Column => ("Kolonne", "Column"),
            M::Header => ("Overskrift", "Header"),
            M::Samples => ("Eksempler", "Examples"),
            M::GoesTo => ("Går til", "Goes to"),
            M::LeftOut => ("(ikke med)", "(left out)"),
            M::RowsInFile => ("rader i fila", "rows in the file"),
            M::RowsGood => ("kan importeres", "can be imported"),
            M::RowsRejected => ("avvises", "are rejected"),
            M::RejectedRows => ("Rader som avvises", "Rejected rows"),
            M::MoreRejected => (
                "flere avviste rader; rett dem i fila og forhåndsvis igjen",
                "more rejected rows; correct them in the file and preview again",
            ),
            M::Row => ("Rad", "Row"),
            M::Reason => ("Årsak", "Reason"),
            M::FirstRows => (
                "De første radene slik de leses",
                "The first rows as they are read",
            ),
            M::Import => ("Importer", "Import"),
            M::ImportRunning => ("Importerer …", "Importing …"),
            M::ImportDone => ("Importen er ferdig", "The import is done"),
            M::ImportStopped => ("Importen stoppet", "The import stopped"),
            M::RowsDone => ("rader skrevet av", "rows written of"),
            M::NewCustomers => ("nye kunder", "new customers"),
            M::UpdatedCustomers => ("oppdatert", "updated"),
            M::UnchangedCustomers => ("uten endring", "unchanged"),
            M::SkippedCustomers => ("hoppet over (latt være)", "skipped (left as they were)"),
            M::EnrolledCustomers => ("lagt i oppdraget", "added to the assignment"),
            M::TargetName => ("Navn", "Name"),
            M::TargetPhone => ("Telefon", "Phone"),
            M::TargetEmail => ("E-post", "E-mail"),
            M::TargetAddress => ("Adresse", "Address"),
            M::TargetPostalCode => ("Postnummer", "Postal code"),
            M::TargetCity => ("Poststed", "Town"),
            M::TargetRegistryNumber => ("Org.nr. / personnr.", "Organisation / person number"),
            M::TargetExternalId => ("Kundenr. (ekstern id)", "Customer no. (external id)"),
            M::RejectedFileName => ("avviste-rader", "rejected-rows"),
            M::NextCustomerAt => ("Neste kunde blir klar", "The next customer is ready at"),
            M::FirstFrom => ("første", "first"),
            M::WhyHeld => ("holdes av andre selgere", "held by other sellers"),
            M::WhyResting => ("hviler etter «ikke svar»", "resting after a No answer"),
            M::WhyFollowUpsLater => ("oppfølginger som forfaller senere", "follow-ups due later"),
            M::WhyOthersFollowUps => ("andre selgeres oppfølginger", "other sellers' follow-ups"),
            M::WhyConcluded => ("ferdig behandlet", "concluded"),
            M::WhyExcluded => ("utelatt", "excluded"),
            M::WhyDoNotCall => (
                "på oppdragsgivers «ikke ring»-liste",
                "on the data owner's do-not-call list",
            ),
            M::WhyReserved => (
                "reservert i Reservasjonsregisteret",
                "reserved in the reservation register",
            ),
            M::WhyCallWindow => (
                "privatpersoner utenfor lovlig ringetid",
                "consumers outside the legal call window",
            ),
            M::WhyRegisterStale => (
                "privatpersoner: ikke vasket mot Reservasjonsregisteret denne måneden",
                "consumers: not washed against the reservation register this month",
            ),
            M::ChangeDoNotCall => ("satt på «ikke ring»-listen", "put on the do-not-call list"),
            M::ChangeDoNotCallLifted => (
                "tatt av «ikke ring»-listen",
                "taken off the do-not-call list",
            ),
            M::ChangeExemptionRecorded => (
                "unntak fra Reservasjonsregisteret registrert",
                "exemption from the reservation register recorded",
            ),
            M::ChangeExemptionRemoved => (
                "unntak fra Reservasjonsregisteret fjernet",
                "exemption from the reservation register removed",
            ),
            M::WhyAttemptsUsed => (
                "har fått oppdragets maksimale antall forsøk",
                "have had the assignment's most attempts",
            ),
            M::WhyDailyCap => (
                "ringt så mange ganger i dag som oppdragsgiver tillater",
                "called as often today as the data owner allows",
            ),
            M::WhyNotChecked => (
                "privatpersoner lagt til etter siste vask mot Reservasjonsregisteret",
                "consumers added after the last wash against the reservation register",
            ),
            M::ChooseFile => (
                "Velg fila med kundene først (fila var tom eller manglet).",
                "Choose the file with the customers first (it was empty or missing).",
            ),
            M::FileTooLarge => (
                "Fila er større enn {limit}, det største denne serveren tar imot. Del den i mindre filer, lagre den som .xlsx (den pakkes), eller be driftsansvarlig heve grensen (--import-upload-limit-mb).",
                "The file is larger than {limit}, the most this server takes. Split it into smaller files, save it as .xlsx (which is packed), or ask the operator to raise the limit (--import-upload-limit-mb).",
            ),
            M::DownloadRejected => (
                "Last ned de avviste radene (CSV)",
                "Download the rejected rows (CSV)",
            ),
            M::CommunicationHint => (
                "SMS-flyter, avsendere og e-postmaler settes foreløpig i API-et (PUT /api/assignments/{id}/setup); her velges malen et utfall sender.",
                "SMS flows, senders and e-mail templates are set in the API for now (PUT /api/assignments/{id}/setup); here you choose the template an outcome sends.",
            ),

            M::WorkingNow => ("Jobber nå", "Working now"),
            M::LastHour => ("Siste time", "The last hour"),
            M::Calls => ("Samtaler", "Calls"),
            M::Limits => ("Aktivitetsgrenser", "Activity limits"),
            M::Reached => ("Nådd", "Reached"),
            M::Updated => ("Oppdatert", "Updated"),
            M::NobodyLastHour => (
                "Ingen har registrert utfall den siste timen.",
                "Nobody registered an outcome in the last hour.",
            ),
        };
        match lang {
            Lang::Nb => nb,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_wins_then_accept_language_by_weight_then_bokmal() {
        assert_eq!(Lang::choose(Some("en"), Some("nb")), Lang::En);
        assert_eq!(Lang::choose(Some("xx"), Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::choose(None, Some("nb-NO,nb;q=0.9,en;q=0.8")),
            Lang::Nb
        );
        assert_eq!(Lang::choose(None, Some("de,en;q=0.5,no;q=0.9")), Lang::Nb);
        assert_eq!(Lang::choose(None, Some("en;q=0, nn")), Lang::Nb);
        assert_eq!(Lang::choose(None, Some("de-DE")), Lang::Nb);
        assert_eq!(Lang::choose(None, None), Lang::Nb);
        assert_eq!(Lang::choose(None, Some("q=;;,")), Lang::Nb);
    }

    #[test]
    fn a_seller_reads_the_common_refusals_in_bokmal_and_the_rest_as_they_are() {
        use cube_app::AppError;
        use cube_domain::outcome::RegistrationError;
        let lost = AppError::Registration(RegistrationError::LeaseNotHeld);
        assert!(
            Lang::Nb
                .error_detail(&lost)
                .starts_with("du har ikke lenger denne kunden")
        );
        assert_eq!(Lang::En.error_detail(&lost), lost.to_string());
        let other = AppError::NotFound("customer");
        assert_eq!(Lang::Nb.error_detail(&other), other.to_string());
        let taken = AppError::DuplicateCustomer(cube_domain::customer::DuplicateCustomer {
            other: cube_domain::ids::CustomerId::from_uuid(uuid::Uuid::nil()),
            key: cube_domain::ports::CustomerKey::Registry("974760673".into()),
        });
        assert!(
            Lang::Nb
                .error_detail(&taken)
                .contains("har allerede organisasjonsnummeret 974760673"),
            "{}",
            Lang::Nb.error_detail(&taken)
        );
        assert!(
            Lang::En
                .error_detail(&taken)
                .contains("already has the organisation number 974760673"),
            "{}",
            Lang::En.error_detail(&taken)
        );
        let limit =
            AppError::LimitReached(cube_domain::assignment::setup::LimitMetric::Conclusions);
        assert!(
            Lang::Nb.error_detail(&limit).contains("konklusjoner"),
            "{}",
            Lang::Nb.error_detail(&limit)
        );
    }

    #[test]
    fn the_seeds_words_are_the_bokmal_ones() {
        assert_eq!(Lang::Nb.t(M::Assignments), "Oppdrag");
        assert_eq!(Lang::Nb.t(M::Outcome), "Utfall");
        assert_eq!(Lang::Nb.t(M::MyWork), "Mitt Arbeid");
        assert_eq!(Lang::Nb.t(M::State), "Tilstand");
        assert_eq!(Lang::Nb.t(M::FollowUpAt), "Oppfølging");
        assert_eq!(Lang::En.t(M::MyWork), "My Work");
    }
}
