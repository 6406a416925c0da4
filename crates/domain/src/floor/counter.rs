//! What a counter does with the ticket it called: call it again, mark it absent (missed
//! once called often enough, and put back when the person turns up), send it to another
//! stage, or finish it with an outcome. And what each outcome makes of the booking.

use serde::{Deserialize, Serialize};

use super::TicketState;
use crate::booking::BookingState;

/// What a counter serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Documents, interview and biometrics: where every ticket starts.
    Documents,
    /// Handing over the finished passport.
    Pickup,
}

impl Stage {
    /// Every stage.
    pub const ALL: [Stage; 2] = [Self::Documents, Self::Pickup];

    /// Stable code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Documents => "documents",
            Self::Pickup => "pickup",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How a counter finishes a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Documents complete, interview and biometrics done: on to processing.
    Accepted,
    /// Documents missing: the applicant brings them by `booking::documents_due`, on a
    /// return visit the front desk checks in.
    DocumentsMissing,
    /// Rejected, with a reason.
    Rejected,
    /// The passport was handed over (the pickup stage).
    Collected,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 4] = [
        Self::Accepted,
        Self::DocumentsMissing,
        Self::Rejected,
        Self::Collected,
    ];

    /// Stable code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::DocumentsMissing => "documents_missing",
            Self::Rejected => "rejected",
            Self::Collected => "collected",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The stage at which this outcome is given.
    pub fn stage(&self) -> Stage {
        match self {
            Self::Collected => Stage::Pickup,
            _ => Stage::Documents,
        }
    }

    /// What a checked-in booking becomes with this outcome; None when the booking stays
    /// as it is (a pickup is the back office's, which carries the application on).
    pub fn booking_state(&self) -> Option<BookingState> {
        match self {
            Self::Accepted => Some(BookingState::Accepted),
            Self::DocumentsMissing => Some(BookingState::DocumentsMissing),
            Self::Rejected => Some(BookingState::Rejected),
            Self::Collected => None,
        }
    }
}

/// Why an application is rejected at the counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The person is not the one on the ID card or the booking.
    IdentityMismatch,
    /// A document is forged or altered.
    InvalidDocuments,
    /// The applicant may not be issued a passport now (a travel ban, a pending case).
    NotEligible,
    /// Anything else, described in the audit log.
    Other,
}

impl RejectReason {
    /// Every reason.
    pub const ALL: [RejectReason; 4] = [
        Self::IdentityMismatch,
        Self::InvalidDocuments,
        Self::NotEligible,
        Self::Other,
    ];

    /// Stable code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::IdentityMismatch => "identity_mismatch",
            Self::InvalidDocuments => "invalid_documents",
            Self::NotEligible => "not_eligible",
            Self::Other => "other",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What a counter does with a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterAction {
    /// Call it again (the board shows and speaks it again).
    Recall,
    /// The person did not come: missed, once called `missed_after_calls` times.
    Absent,
    /// A missed ticket's person turned up: waiting again, at its old place.
    PutBack,
    /// Send it to another stage, where it waits from now.
    Transfer(Stage),
    /// Finish it.
    Finish(Outcome),
}

impl CounterAction {
    /// Stable code, for the audit log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Recall => "recall",
            Self::Absent => "absent",
            Self::PutBack => "put_back",
            Self::Transfer(_) => "transfer",
            Self::Finish(_) => "finish",
        }
    }
}

/// Why a counter's action does not fit the ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TicketRefusal {
    /// Only a called ticket can be recalled, marked absent, sent on or finished.
    #[error("the ticket is not called")]
    NotCalled,
    /// Only a missed ticket can be put back.
    #[error("the ticket is not missed")]
    NotMissed,
    /// Marked absent too soon: call it `needed` times first.
    #[error("call the ticket {needed} times before marking it absent ({calls} so far)")]
    RecallFirst {
        /// Calls so far.
        calls: u32,
        /// Calls needed.
        needed: u32,
    },
    /// The outcome belongs to another stage.
    #[error("this outcome is not given at this stage")]
    WrongStage,
    /// It is at that stage already.
    #[error("the ticket is at that stage already")]
    SameStage,
    /// Another counter called it: only that counter acts on it.
    #[error("another counter called this ticket")]
    OtherCounter,
}

impl TicketRefusal {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotCalled => "not_called",
            Self::NotMissed => "not_missed",
            Self::RecallFirst { .. } => "recall_first",
            Self::WrongStage => "wrong_stage",
            Self::SameStage => "same_stage",
            Self::OtherCounter => "other_counter",
        }
    }
}

/// A ticket as a counter action finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// Its state.
    pub state: TicketState,
    /// Its stage.
    pub stage: Stage,
    /// How many times it was called at this stage.
    pub calls: u32,
    /// The counter that called it, while called.
    pub counter: Option<u32>,
}

/// What an action makes of a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// Its new state.
    pub state: TicketState,
    /// Its stage after.
    pub stage: Stage,
    /// Its calls after.
    pub calls: u32,
    /// Whether it waits afresh from now (a transfer); otherwise its place is kept.
    pub waits_from_now: bool,
    /// Whether it leaves its counter free (back to waiting, missed, done); the store keeps
    /// the counter's number as history unless it waits again.
    pub leaves_counter: bool,
    /// The outcome it was finished with.
    pub outcome: Option<Outcome>,
}

/// Applies `action`, taken at counter `by`, to a ticket standing as `t`; a ticket becomes
/// missed only after `missed_after_calls` calls. Only the counter that called a ticket acts
/// on it while it is called; any counter puts a missed one back.
pub fn apply(
    t: Standing,
    action: CounterAction,
    by: u32,
    missed_after_calls: u32,
) -> Result<Change, TicketRefusal> {
    let keep = Change {
        state: t.state,
        stage: t.stage,
        calls: t.calls,
        waits_from_now: false,
        leaves_counter: false,
        outcome: None,
    };
    let called = t.state == TicketState::Called;
    match action {
        CounterAction::PutBack if t.state == TicketState::Missed => Ok(Change {
            state: TicketState::Waiting,
            calls: 0,
            ..keep
        }),
        CounterAction::PutBack => Err(TicketRefusal::NotMissed),
        _ if !called => Err(TicketRefusal::NotCalled),
        _ if t.counter != Some(by) => Err(TicketRefusal::OtherCounter),
        CounterAction::Recall => Ok(Change {
            calls: t.calls + 1,
            ..keep
        }),
        CounterAction::Absent if t.calls >= missed_after_calls => Ok(Change {
            state: TicketState::Missed,
            leaves_counter: true,
            ..keep
        }),
        CounterAction::Absent => Err(TicketRefusal::RecallFirst {
            calls: t.calls,
            needed: missed_after_calls,
        }),
        CounterAction::Transfer(stage) if stage == t.stage => Err(TicketRefusal::SameStage),
        CounterAction::Transfer(stage) => Ok(Change {
            state: TicketState::Waiting,
            stage,
            calls: 0,
            waits_from_now: true,
            leaves_counter: true,
            outcome: None,
        }),
        CounterAction::Finish(o) if o.stage() != t.stage => Err(TicketRefusal::WrongStage),
        CounterAction::Finish(o) => Ok(Change {
            state: TicketState::Done,
            leaves_counter: true,
            outcome: Some(o),
            ..keep
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn called(calls: u32) -> Standing {
        Standing {
            state: TicketState::Called,
            stage: Stage::Documents,
            calls,
            counter: Some(1),
        }
    }

    #[test]
    fn a_ticket_is_missed_only_after_it_was_called_often_enough_and_can_be_put_back() {
        assert_eq!(
            apply(called(1), CounterAction::Absent, 1, 3),
            Err(TicketRefusal::RecallFirst {
                calls: 1,
                needed: 3
            })
        );
        let again = apply(called(1), CounterAction::Recall, 1, 3).unwrap();
        assert_eq!((again.state, again.calls), (TicketState::Called, 2));
        let missed = apply(called(3), CounterAction::Absent, 1, 3).unwrap();
        assert_eq!(missed.state, TicketState::Missed);
        assert!(missed.leaves_counter);
        let back = apply(
            Standing {
                state: TicketState::Missed,
                ..called(3)
            },
            CounterAction::PutBack,
            1,
            3,
        )
        .unwrap();
        assert_eq!((back.state, back.calls), (TicketState::Waiting, 0));
        assert!(!back.waits_from_now, "it keeps its place");
        assert_eq!(
            apply(called(1), CounterAction::PutBack, 1, 3),
            Err(TicketRefusal::NotMissed)
        );
    }

    #[test]
    fn only_a_called_ticket_is_recalled_sent_on_or_finished() {
        let waiting = Standing {
            state: TicketState::Waiting,
            ..called(0)
        };
        for action in [
            CounterAction::Recall,
            CounterAction::Absent,
            CounterAction::Transfer(Stage::Pickup),
            CounterAction::Finish(Outcome::Accepted),
        ] {
            assert_eq!(
                apply(waiting, action, 1, 3),
                Err(TicketRefusal::NotCalled),
                "{action:?}"
            );
        }
    }

    #[test]
    fn only_the_counter_that_called_a_ticket_acts_on_it() {
        assert_eq!(
            apply(called(1), CounterAction::Recall, 2, 3),
            Err(TicketRefusal::OtherCounter)
        );
        let missed = Standing {
            state: TicketState::Missed,
            counter: None,
            ..called(3)
        };
        assert!(apply(missed, CounterAction::PutBack, 2, 3).is_ok());
    }

    #[test]
    fn a_transfer_waits_afresh_at_the_other_stage_and_outcomes_belong_to_their_stage() {
        let moved = apply(called(2), CounterAction::Transfer(Stage::Pickup), 1, 3).unwrap();
        assert_eq!(
            (moved.state, moved.stage, moved.calls, moved.waits_from_now),
            (TicketState::Waiting, Stage::Pickup, 0, true)
        );
        assert_eq!(
            apply(called(1), CounterAction::Transfer(Stage::Documents), 1, 3),
            Err(TicketRefusal::SameStage)
        );
        assert_eq!(
            apply(called(1), CounterAction::Finish(Outcome::Collected), 1, 3),
            Err(TicketRefusal::WrongStage)
        );
        let done = apply(called(1), CounterAction::Finish(Outcome::Rejected), 1, 3).unwrap();
        assert_eq!(
            (done.state, done.outcome),
            (TicketState::Done, Some(Outcome::Rejected))
        );
    }

    #[test]
    fn each_interview_outcome_moves_the_booking_and_a_pickup_leaves_it() {
        assert_eq!(
            Outcome::Accepted.booking_state(),
            Some(BookingState::Accepted)
        );
        assert_eq!(
            Outcome::DocumentsMissing.booking_state(),
            Some(BookingState::DocumentsMissing)
        );
        assert_eq!(
            Outcome::Rejected.booking_state(),
            Some(BookingState::Rejected)
        );
        assert_eq!(Outcome::Collected.booking_state(), None);
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        for r in RejectReason::ALL {
            assert_eq!(RejectReason::parse(r.as_str()), Some(r));
        }
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
    }
}
