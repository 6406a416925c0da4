//! Priority walk-ins: who is served without a booking, ahead of the queue, against the
//! office's daily priority quota. Age is counted on the service day from the birth date on
//! the ID card; pregnancy, disability and sickness are stated and recorded as the basis.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalogue::age_on;

/// Why a walk-in is served as a priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorityBasis {
    /// At or above the elderly age.
    Elderly,
    /// A child under the small-child age (infants included).
    SmallChild,
    /// Pregnant (stated).
    Pregnant,
    /// A disability (stated or seen).
    Disability,
    /// Sick (stated or seen).
    Sick,
}

impl PriorityBasis {
    /// Every basis.
    pub const ALL: [PriorityBasis; 5] = [
        Self::Elderly,
        Self::SmallChild,
        Self::Pregnant,
        Self::Disability,
        Self::Sick,
    ];

    /// Stable code, as stored and sent over the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Elderly => "elderly",
            Self::SmallChild => "small_child",
            Self::Pregnant => "pregnant",
            Self::Disability => "disability",
            Self::Sick => "sick",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the basis is checked against the birth date.
    pub fn by_age(&self) -> bool {
        matches!(self, Self::Elderly | Self::SmallChild)
    }
}

/// The age thresholds (configurable per deployment; the defaults are the Directorate
/// General's: 60 and over, under 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityRules {
    /// Age from which someone counts as elderly.
    pub elderly_from: u32,
    /// Age under which a child counts as small.
    pub small_child_under: u32,
}

impl Default for PriorityRules {
    fn default() -> Self {
        Self {
            elderly_from: 60,
            small_child_under: 5,
        }
    }
}

/// Why a walk-in cannot be registered on the basis given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PriorityRefusal {
    /// The birth date says the person is younger than the elderly age.
    #[error("younger than {elderly_from} on the service day (age {age})")]
    NotElderly {
        /// The threshold.
        elderly_from: u32,
        /// The age on the service day.
        age: u32,
    },
    /// The birth date says the child is not under the small-child age.
    #[error("not under {small_child_under} on the service day (age {age})")]
    NotASmallChild {
        /// The threshold.
        small_child_under: u32,
        /// The age on the service day.
        age: u32,
    },
    /// Born after the service day.
    #[error("the birth date is after the service day")]
    NotBornYet,
}

impl PriorityRefusal {
    /// Stable code for the API and the pages.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotElderly { .. } => "not_elderly",
            Self::NotASmallChild { .. } => "not_small_child",
            Self::NotBornYet => "birth_date_in_future",
        }
    }
}

impl PriorityRules {
    /// Checks `basis` for someone born on `birth_date`, served on `on`.
    pub fn check(
        &self,
        basis: PriorityBasis,
        birth_date: NaiveDate,
        on: NaiveDate,
    ) -> Result<(), PriorityRefusal> {
        if birth_date > on {
            return Err(PriorityRefusal::NotBornYet);
        }
        let age = age_on(birth_date, on);
        match basis {
            PriorityBasis::Elderly if age < self.elderly_from => Err(PriorityRefusal::NotElderly {
                elderly_from: self.elderly_from,
                age,
            }),
            PriorityBasis::SmallChild if age >= self.small_child_under => {
                Err(PriorityRefusal::NotASmallChild {
                    small_child_under: self.small_child_under,
                    age,
                })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%F").unwrap()
    }

    #[test]
    fn the_elderly_count_from_their_sixtieth_birthday_on_the_service_day() {
        let r = PriorityRules::default();
        let day = d("2026-12-02");
        assert_eq!(
            r.check(PriorityBasis::Elderly, d("1966-12-02"), day),
            Ok(())
        );
        assert_eq!(
            r.check(PriorityBasis::Elderly, d("1966-12-03"), day),
            Err(PriorityRefusal::NotElderly {
                elderly_from: 60,
                age: 59
            })
        );
    }

    #[test]
    fn small_children_are_those_not_yet_five() {
        let r = PriorityRules::default();
        let day = d("2026-12-02");
        assert_eq!(
            r.check(PriorityBasis::SmallChild, d("2021-12-03"), day),
            Ok(())
        );
        assert_eq!(
            r.check(PriorityBasis::SmallChild, d("2026-12-02"), day),
            Ok(())
        );
        assert_eq!(
            r.check(PriorityBasis::SmallChild, d("2021-12-02"), day)
                .map_err(|e| e.code()),
            Err("not_small_child")
        );
    }

    #[test]
    fn stated_bases_take_no_age_but_a_real_birth_date() {
        let r = PriorityRules::default();
        let day = d("2026-12-02");
        for b in [
            PriorityBasis::Pregnant,
            PriorityBasis::Disability,
            PriorityBasis::Sick,
        ] {
            assert!(!b.by_age());
            assert_eq!(r.check(b, d("1995-05-05"), day), Ok(()));
            assert_eq!(
                r.check(b, d("2026-12-03"), day),
                Err(PriorityRefusal::NotBornYet)
            );
        }
    }

    #[test]
    fn thresholds_are_configurable() {
        let r = PriorityRules {
            elderly_from: 65,
            small_child_under: 2,
        };
        let day = d("2026-12-02");
        assert!(
            r.check(PriorityBasis::Elderly, d("1963-01-01"), day)
                .is_err()
        );
        assert!(
            r.check(PriorityBasis::SmallChild, d("2024-01-01"), day)
                .is_err()
        );
        assert!(
            r.check(PriorityBasis::SmallChild, d("2025-01-01"), day)
                .is_ok()
        );
    }

    #[test]
    fn basis_codes_round_trip() {
        for b in PriorityBasis::ALL {
            assert_eq!(PriorityBasis::parse(b.as_str()), Some(b));
        }
    }
}
