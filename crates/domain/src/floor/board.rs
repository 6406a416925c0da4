//! What the display boards and the phones following a ticket are told: the kinds of event
//! on an office's floor.

use serde::{Deserialize, Serialize};

use super::CounterAction;

/// What happened to a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FloorEventKind {
    /// Issued (a check-in or a walk-in): one more waiting.
    Issued,
    /// Called to a counter: the board shows and speaks it.
    Called,
    /// Called again: the board speaks it again.
    Recalled,
    /// Marked missed.
    Missed,
    /// Put back in the queue.
    PutBack,
    /// Sent on to another stage.
    Transferred,
    /// Finished.
    Finished,
}

impl FloorEventKind {
    /// Every kind.
    pub const ALL: [FloorEventKind; 7] = [
        Self::Issued,
        Self::Called,
        Self::Recalled,
        Self::Missed,
        Self::PutBack,
        Self::Transferred,
        Self::Finished,
    ];

    /// Stable code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Called => "called",
            Self::Recalled => "recalled",
            Self::Missed => "missed",
            Self::PutBack => "put_back",
            Self::Transferred => "transferred",
            Self::Finished => "finished",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The event a counter's action makes.
    pub fn of(action: CounterAction) -> Self {
        match action {
            CounterAction::Recall => Self::Recalled,
            CounterAction::Absent => Self::Missed,
            CounterAction::PutBack => Self::PutBack,
            CounterAction::Transfer(_) => Self::Transferred,
            CounterAction::Finish(_) => Self::Finished,
        }
    }

    /// Whether the board announces it (shows it as a call and speaks it).
    pub fn is_call(&self) -> bool {
        matches!(self, Self::Called | Self::Recalled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floor::{Outcome, Stage};

    #[test]
    fn kinds_round_trip_and_only_calls_are_announced() {
        for k in FloorEventKind::ALL {
            assert_eq!(FloorEventKind::parse(k.as_str()), Some(k));
        }
        let announced: Vec<_> = FloorEventKind::ALL
            .into_iter()
            .filter(|k| k.is_call())
            .collect();
        assert_eq!(
            announced,
            [FloorEventKind::Called, FloorEventKind::Recalled]
        );
        assert_eq!(
            FloorEventKind::of(CounterAction::Transfer(Stage::Pickup)),
            FloorEventKind::Transferred
        );
        assert_eq!(
            FloorEventKind::of(CounterAction::Finish(Outcome::Accepted)),
            FloorEventKind::Finished
        );
    }
}
