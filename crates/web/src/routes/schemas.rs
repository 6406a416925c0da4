//! OpenAPI schemas of the API's closed vocabularies (service kinds, passport types, quota
//! classes, booking states...), built from the domain's own lists so the document cannot
//! drift from what the parsers take. Request structs keep plain strings (every mistake is
//! reported per field); their fields point here with `#[schema(value_type = ...)]`.

use std::borrow::Cow;

use chrono::Weekday;
use loket_domain::Sex;
use loket_domain::booking::BookingState;
use loket_domain::calendar::{ExceptionKind, HolidayKind};
use loket_domain::catalogue::{ApplicationKind, PassportType, Processing, TravelPurpose, Validity};
use loket_domain::floor::{PriorityBasis, TicketState};
use loket_domain::quota::ServiceClass;
use loket_store::{PaymentOutcome, StaffRole};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};

fn string_enum(description: &str, values: Vec<&'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .into()
}

/// Declares a schema-only type named `$component` in the document, a string enum of `$values`.
macro_rules! string_enum {
    ($ty:ident, $component:literal, $doc:literal, $values:expr) => {
        #[doc = $doc]
        pub struct $ty;

        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string_enum($doc, $values)
            }
        }

        impl utoipa::ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($component)
            }
        }
    };
}

/// Every `status` a day of the availability has.
pub const DAY_STATUSES: [&str; 6] = [
    "open",
    "full",
    "closed",
    "not_released",
    "past",
    "beyond_horizon",
];

string_enum!(
    ApplicationKindSchema,
    "ApplicationKind",
    "Why a passport is applied for.",
    ApplicationKind::ALL
        .iter()
        .map(ApplicationKind::as_str)
        .collect()
);
string_enum!(
    PassportTypeSchema,
    "PassportType",
    "Passport type.",
    PassportType::ALL.iter().map(PassportType::as_str).collect()
);
string_enum!(
    ValiditySchema,
    "Validity",
    "How long the passport is valid (10 years needs the applicant to be 17 or married).",
    Validity::ALL.iter().map(Validity::as_str).collect()
);
string_enum!(
    ProcessingSchema,
    "Processing",
    "Regular, or express (drawn from the express quota).",
    Processing::ALL.iter().map(Processing::as_str).collect()
);
string_enum!(
    TravelPurposeSchema,
    "TravelPurpose",
    "Purpose of travel.",
    TravelPurpose::ALL
        .iter()
        .map(TravelPurpose::as_str)
        .collect()
);
string_enum!(
    ServiceClassSchema,
    "ServiceClass",
    "Quota class: online and express places are booked; priority walk-in places are given at the office.",
    ServiceClass::ALL.iter().map(ServiceClass::as_str).collect()
);
string_enum!(
    PriorityBasisSchema,
    "PriorityBasis",
    "Why a walk-in is served as a priority: the elderly and small children are checked by the birth date, the others are stated.",
    PriorityBasis::ALL
        .iter()
        .map(PriorityBasis::as_str)
        .collect()
);
string_enum!(
    TicketStateSchema,
    "TicketState",
    "Where a queue ticket stands.",
    TicketState::ALL.iter().map(TicketState::as_str).collect()
);
string_enum!(
    BookingStateSchema,
    "BookingState",
    "A booking's state as of now.",
    BookingState::ALL.iter().map(BookingState::as_str).collect()
);
string_enum!(
    StaffRoleSchema,
    "StaffRole",
    "A staff member's role.",
    StaffRole::ALL.iter().map(StaffRole::as_str).collect()
);
string_enum!(
    SexSchema,
    "Sex",
    "Sex, as on the ID card (the NIK's day field adds 40 for women).",
    sexes().iter().map(Sex::as_str).collect()
);
string_enum!(
    HolidayKindSchema,
    "HolidayKind",
    "A national holiday or a collective-leave day.",
    holiday_kinds().iter().map(HolidayKind::as_str).collect()
);
string_enum!(
    ExceptionKindSchema,
    "ExceptionKind",
    "An office closed on a working day, or open on a day it would be closed.",
    exception_kinds()
        .iter()
        .map(ExceptionKind::as_str)
        .collect()
);
string_enum!(
    WeekdaySchema,
    "Weekday",
    "A weekday (Indonesian names such as senin are taken too).",
    WEEKDAYS
        .iter()
        .map(|w| loket_store::weekday_code(*w))
        .collect()
);
string_enum!(
    PaymentOutcomeSchema,
    "PaymentOutcome",
    "What a payment notification did.",
    payment_outcomes()
        .iter()
        .map(PaymentOutcome::as_str)
        .collect()
);
string_enum!(
    PaymentStatusSchema,
    "PaymentStatus",
    "The bank's status of a payment: paid, or pending while it confirms.",
    vec!["paid", "pending"]
);
string_enum!(
    DayStatusSchema,
    "DayStatus",
    "Whether a date can be booked now, and if not, why.",
    DAY_STATUSES.to_vec()
);
string_enum!(
    LocaleSchema,
    "Locale",
    "Language of the mails an account gets.",
    vec!["id", "en"]
);

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

// The domain has no list of these; each match makes a new variant a compile error here.
fn sexes() -> [Sex; 2] {
    let _ = |s: Sex| match s {
        Sex::Male | Sex::Female => (),
    };
    [Sex::Male, Sex::Female]
}

fn holiday_kinds() -> [HolidayKind; 2] {
    let _ = |k: HolidayKind| match k {
        HolidayKind::Holiday | HolidayKind::CollectiveLeave => (),
    };
    [HolidayKind::Holiday, HolidayKind::CollectiveLeave]
}

fn exception_kinds() -> [ExceptionKind; 2] {
    let _ = |k: ExceptionKind| match k {
        ExceptionKind::Closed | ExceptionKind::Open => (),
    };
    [ExceptionKind::Closed, ExceptionKind::Open]
}

fn payment_outcomes() -> [PaymentOutcome; 7] {
    use PaymentOutcome as P;
    let _ = |o: P| match o {
        P::Paid
        | P::Pending
        | P::Restored
        | P::RefundDue
        | P::Duplicate
        | P::UnknownBillingCode
        | P::AmountMismatch => (),
    };
    [
        P::Paid,
        P::Pending,
        P::Restored,
        P::RefundDue,
        P::Duplicate,
        P::UnknownBillingCode,
        P::AmountMismatch,
    ]
}

/// `{"mode": "percent" | "delta" | "set", "value": n}`, as `QuotaAdjustment` deserializes.
pub struct QuotaAdjustmentSchema;

impl utoipa::PartialSchema for QuotaAdjustmentSchema {
    fn schema() -> RefOr<Schema> {
        let variant = |mode: &str, description: &str, minimum: Option<i64>| {
            ObjectBuilder::new()
                .description(Some(description))
                .property(
                    "mode",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some([mode.to_owned()])),
                )
                .property(
                    "value",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(minimum),
                )
                .required("mode")
                .required("value")
        };
        OneOfBuilder::new()
            .description(Some("A change applied to many capacities at once."))
            .item(variant(
                "percent",
                "Scale by a percentage, e.g. 50 raises 75 to 113, -20 lowers.",
                None,
            ))
            .item(variant(
                "delta",
                "Add places (a negative value removes).",
                None,
            ))
            .item(variant("set", "Set to exactly this many places.", Some(0)))
            .into()
    }
}

impl utoipa::ToSchema for QuotaAdjustmentSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("QuotaAdjustment")
    }
}

fn tagged(tag: &str, value: &str, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .description(Some(description))
        .property(
            tag,
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([value.to_owned()])),
        )
        .required(tag)
}

fn integer(minimum: i64, maximum: i64) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(minimum))
        .maximum(Some(maximum))
}

fn local_time() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("Local time, HH:MM:SS."))
        .pattern(Some("^[0-9]{2}:[0-9]{2}:[0-9]{2}$"))
}

// A new variant of either enum is a compile error here, until its schema below has it.
const _: fn(&loket_domain::release::ReleaseRule) = |r| match r {
    loket_domain::release::ReleaseRule::Rolling { .. }
    | loket_domain::release::ReleaseRule::Weekly { .. }
    | loket_domain::release::ReleaseRule::Monthly { .. } => (),
};
const _: fn(&loket_domain::calendar::ClosedReason) = |r| match r {
    loket_domain::calendar::ClosedReason::Weekend
    | loket_domain::calendar::ClosedReason::Holiday { .. }
    | loket_domain::calendar::ClosedReason::CollectiveLeave { .. }
    | loket_domain::calendar::ClosedReason::OfficeClosure { .. } => (),
};

/// When a date's places open, as `ReleaseRule` serializes (`mode` names the variant).
pub struct ReleaseRuleSchema;

impl utoipa::PartialSchema for ReleaseRuleSchema {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some("When a date's places open."))
            .item(
                tagged(
                    "mode",
                    "rolling",
                    "Each date opens `days_ahead` days before it.",
                )
                .property("days_ahead", integer(1, 366))
                .property("at", local_time())
                .required("days_ahead")
                .required("at"),
            )
            .item(
                tagged(
                    "mode",
                    "weekly",
                    "A whole week opens on `weekday`, `weeks_ahead` weeks before it.",
                )
                .property(
                    "weekday",
                    RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Weekday")),
                )
                .property("at", local_time())
                .property("weeks_ahead", integer(1, 8))
                .required("weekday")
                .required("at")
                .required("weeks_ahead"),
            )
            .item(
                tagged(
                    "mode",
                    "monthly",
                    "A whole month opens on `day` of the month `months_ahead` before it.",
                )
                .property("day", integer(1, 31))
                .property("at", local_time())
                .property("months_ahead", integer(1, 3))
                .required("day")
                .required("at")
                .required("months_ahead"),
            )
            .into()
    }
}

impl utoipa::ToSchema for ReleaseRuleSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ReleaseRule")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            WeekdaySchema::name().into_owned(),
            <WeekdaySchema as utoipa::PartialSchema>::schema(),
        ));
    }
}

/// Why an office is closed on a date, as `ClosedReason` serializes (`kind` names it).
pub struct ClosedReasonSchema;

impl utoipa::PartialSchema for ClosedReasonSchema {
    fn schema() -> RefOr<Schema> {
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let named = |kind: &str, description: &str| {
            tagged("kind", kind, description)
                .property("name_id", text())
                .property("name_en", text())
                .required("name_id")
                .required("name_en")
        };
        OneOfBuilder::new()
            .description(Some("Why the office is closed on this date."))
            .item(tagged(
                "kind",
                "weekend",
                "Not one of the office's service days.",
            ))
            .item(named("holiday", "A national holiday."))
            .item(named("collective_leave", "A collective-leave day."))
            .item(
                tagged("kind", "office_closure", "The office closed this day.")
                    .property("reason", text())
                    .required("reason"),
            )
            .into()
    }
}

impl utoipa::ToSchema for ClosedReasonSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ClosedReason")
    }
}
