//! Every SQL statement Loket runs, as constants with `$n` placeholders that both engines
//! accept. A test prepares each one on freshly migrated SQLite and PostgreSQL databases.
//! Instants are always bound from Rust (never `now()`), in UTC.
//!
//! By concept, one file each; `SHARED`, `PER_ENGINE` and `POSTGRES_ONLY` list them all.

pub const PING: &str = "SELECT 1 AS one";

pub const INSERT_AUDIT: &str = "INSERT INTO audit_log (at, actor_id, actor_name, office_code, action, subject, \
    before_value, after_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub const LIST_AUDIT_OFFICE: &str = "SELECT id, at, actor_name, office_code, action, subject, before_value, \
    after_value FROM audit_log WHERE office_code = $1 ORDER BY id DESC LIMIT $2";
pub const LIST_AUDIT_ALL: &str = "SELECT id, at, actor_name, office_code, action, subject, before_value, \
    after_value FROM audit_log ORDER BY id DESC LIMIT $1";

/// The active booking states (`BookingState::ACTIVE`) as SQL, verbatim the condition of
/// the one-active-per-NIK index and of the places-taken triggers (migration 0010), so that
/// SQLite uses the partial index. A test checks it against the domain's list.
macro_rules! active_states {
    () => {
        "('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing')"
    };
}
#[cfg(test)]
const ACTIVE_STATES: &str = active_states!();

/// The states of a ticket still on the floor (`TicketState::OPEN`), as the partial indexes
/// `tickets_open_booking` and `tickets_open_day` spell them.
macro_rules! open_ticket_states {
    () => {
        "('waiting', 'called', 'missed')"
    };
}
#[cfg(test)]
const OPEN_TICKET_STATES: &str = open_ticket_states!();

// After the macros above, which their statements use.
mod accounts;
mod bookings;
mod floor;
mod mail;
mod reference;

pub use accounts::*;
pub use bookings::*;
pub use floor::*;
pub use mail::*;
pub use reference::*;

/// Every statement with the same text on both engines, for the prepare test.
pub const SHARED: &[&str] = &[
    PING,
    UPSERT_REGION,
    REGION_NAME,
    UPSERT_OFFICE,
    DELETE_OFFICE_SESSIONS,
    INSERT_OFFICE_SESSION,
    LIST_OFFICES,
    GET_OFFICE,
    LIST_ALL_SESSIONS,
    LIST_OFFICE_SESSIONS,
    UPSERT_HOLIDAY,
    GET_HOLIDAY,
    DELETE_HOLIDAY,
    LIST_HOLIDAYS,
    UPSERT_EXCEPTION,
    GET_EXCEPTION,
    DELETE_EXCEPTION,
    LIST_EXCEPTIONS,
    DELETE_FEE_TABLES,
    INSERT_FEE_TABLE,
    LIST_FEE_TABLES,
    LIST_QUOTA_DEFAULTS,
    GET_QUOTA_DEFAULT,
    UPSERT_QUOTA_DEFAULT,
    LIST_QUOTA_OVERRIDES,
    GET_QUOTA_OVERRIDE,
    UPSERT_QUOTA_OVERRIDE,
    SLOTS_FOLLOWING_DEFAULT,
    SET_SLOT_CAPACITY,
    NEXT_TICKET_NUMBER,
    INSERT_TICKET,
    TICKETS_OF_DAY,
    GET_TICKET,
    TICKET_OF_BOOKING,
    WAITING_TICKETS,
    COUNTER_TICKET,
    RECENT_FIRST_CALLS,
    CALL_TICKET,
    SET_TICKET,
    SET_BOOKING_OUTCOME,
    CHECK_IN_BOOKING,
    BOOKING_IDS_OF_DAYS,
    CHECK_IN_RETURN,
    BOOKING_STATE,
    CLOSE_OPEN_TICKETS,
    SET_BOOKING_UNSERVED,
    SWEEP_DOCUMENTS_LAPSED,
    NEXT_FLOOR_SEQ,
    SET_OUTAGE,
    OUTAGE_ON,
    INSERT_FLOOR_EVENT,
    FLOOR_EVENTS_SINCE,
    LAST_FLOOR_SEQ,
    INSERT_AUDIT,
    LIST_AUDIT_OFFICE,
    LIST_AUDIT_ALL,
    COUNT_TAKEN,
    SLOT_USAGE,
    ADD_TAKEN,
    INSERT_SLOT,
    DELETE_SLOT,
    EXPIRE_NIK_LAPSED,
    ACTIVE_BOOKING_FOR_NIK,
    INSERT_BOOKING,
    NIK_HOLD,
    NIK_DATED_BOOKINGS,
    OFFICE_ZONES,
    OFFICE_ZONE,
    SWEEP_NO_SHOWS,
    SLOT_PLACES,
    INSERT_EVENT,
    GET_BOOKING,
    BOOKING_BY_IDEMPOTENCY,
    SLOT_IDEMPOTENCY_KEYS,
    BOOKING_BY_BILLING_CODE,
    LIST_BOOKINGS,
    SET_BOOKING_STATE,
    SET_BOOKING_PAID_AS,
    MOVE_BOOKING,
    BOOKING_SLOT,
    SLOT_ID,
    SLOT_CAPACITY,
    GET_NOTIFICATION,
    INSERT_NOTIFICATION,
    EXPIRE_OVERDUE,
    INSERT_ACCOUNT,
    ACCOUNT_AUTH,
    INSERT_OFFICE_ACCOUNT,
    OFFICE_ACCOUNT,
    GET_ACCOUNT,
    UPSERT_VERIFICATION,
    GET_VERIFICATION,
    BUMP_VERIFICATION,
    DELETE_VERIFICATION,
    MARK_VERIFIED,
    UPSERT_PASSWORD_RESET,
    GET_PASSWORD_RESET,
    BUMP_PASSWORD_RESET,
    DELETE_PASSWORD_RESET,
    SET_PASSWORD,
    INSERT_STAFF,
    STAFF_AUTH,
    INSERT_TOKEN,
    TOKEN_PRINCIPAL,
    DELETE_TOKEN,
    DELETE_ACCOUNT_TOKENS,
    COUNT_APPLICANTS,
    APPLICANT_NIK_EXISTS,
    INSERT_APPLICANT,
    UPDATE_APPLICANT,
    LIST_APPLICANTS,
    GET_APPLICANT,
    INSERT_MAIL,
    UNSENT_MAIL,
    CLAIM_MAIL,
    MARK_MAIL_SENT,
    MARK_MAIL_FAILED,
    RECENT_MAIL,
    RECENT_MAIL_TO,
    RUNNING_HOLDS,
    REMINDERS_DUE,
    UNNOTICED_EVENTS,
    BOOKING_EVENTS,
    MARK_EVENT_NOTICED,
    INSERT_BOOKING_NOTICE,
];

/// Statements that differ per engine.
pub const PER_ENGINE: &[(&str, &str)] = &[
    LOCK_OFFICE_SHARE,
    LOCK_OFFICE,
    LOCK_SLOT,
    LOCK_ACCOUNT,
    LOCK_BOOKING,
    LOCK_SLOT_BY_ID,
];

/// Statements only PostgreSQL runs (the prepare test prepares them there).
pub const POSTGRES_ONLY: &[&str] = &[
    NOTIFY_FLOOR,
    BOOKINGS_BY_IDEMPOTENCY_KEYS,
    PRINCIPALS_BY_TOKENS,
    APPLICANTS_BY_IDS,
    ACCOUNTS_BY_IDS,
    RECORD_BOOKING_NOTICES,
    INSERT_BOOKINGS_IF_NIK_FREE,
    BOOK_INTO_SLOT,
    LOCK_SLOT_COUNTED,
    LOCK_LAPSED_SLOTS,
    LOCK_NO_SHOW_SLOTS,
    LOCK_UNSERVED_SLOTS,
    LOCK_DOCUMENTS_LAPSED_SLOTS,
];

#[cfg(test)]
mod tests {
    use loket_domain::BookingState;

    #[test]
    fn the_active_states_in_sql_are_the_domains() {
        let codes: Vec<String> = BookingState::ACTIVE
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert_eq!(super::ACTIVE_STATES, format!("({})", codes.join(", ")));
        // The index and the triggers that count places use the same list.
        for migration in [
            include_str!("../../migrations/sqlite/0010_counters.sql"),
            include_str!("../../migrations/postgres/0010_counters.sql"),
        ] {
            let uses = migration
                .matches(&format!("state IN {}", super::ACTIVE_STATES))
                .count();
            assert!(uses >= 3, "{uses} uses in {migration}");
            assert!(
                !migration.contains("'paid')") && !migration.contains("'checked_in')"),
                "an older list"
            );
        }
    }

    #[test]
    fn the_open_ticket_states_in_sql_are_the_domains() {
        let codes: Vec<String> = loket_domain::floor::TicketState::OPEN
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert_eq!(super::OPEN_TICKET_STATES, format!("({})", codes.join(", ")));
        for migration in [
            include_str!("../../migrations/sqlite/0014_day_close_out.sql"),
            include_str!("../../migrations/postgres/0014_day_close_out.sql"),
        ] {
            let uses = migration
                .matches(&format!("state IN {}", super::OPEN_TICKET_STATES))
                .count();
            assert_eq!(uses, 2, "{migration}");
        }
    }
}
