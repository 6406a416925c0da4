//! Staff roles and the scope a staff member acts in: an office-bound role works in its own
//! office, a regional admin in the offices of its region, a system admin everywhere. Every
//! staff action asks `check_scope` with the roles allowed to do it.

use serde::{Deserialize, Serialize};

/// Staff roles, from the floor to the whole system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Checks applicants in, issues walk-in tickets.
    FrontDesk,
    /// Calls tickets at a counter.
    CounterOfficer,
    /// Runs one office: quotas, closures, reports.
    HeadOfOffice,
    /// Oversees the offices of a region.
    RegionalAdmin,
    /// Runs the whole system: holidays, offices.
    SystemAdmin,
}

impl StaffRole {
    /// Every role.
    pub const ALL: [StaffRole; 5] = [
        Self::FrontDesk,
        Self::CounterOfficer,
        Self::HeadOfOffice,
        Self::RegionalAdmin,
        Self::SystemAdmin,
    ];

    /// Stable code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::FrontDesk => "front_desk",
            Self::CounterOfficer => "counter_officer",
            Self::HeadOfOffice => "head_of_office",
            Self::RegionalAdmin => "regional_admin",
            Self::SystemAdmin => "system_admin",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The roles that manage an office's quotas and calendar.
pub const OFFICE_MANAGERS: [StaffRole; 3] = [
    StaffRole::HeadOfOffice,
    StaffRole::RegionalAdmin,
    StaffRole::SystemAdmin,
];

/// The roles that work an office's front desk: check-in and priority walk-ins (the head
/// of office stands in, and raises the priority quota on the spot).
pub const FRONT_DESK: [StaffRole; 2] = [StaffRole::FrontDesk, StaffRole::HeadOfOffice];

/// The roles that work an office's counters: calling tickets and giving their outcome
/// (the head of office stands in).
pub const COUNTERS: [StaffRole; 2] = [StaffRole::CounterOfficer, StaffRole::HeadOfOffice];

/// Why a staff member may not act on an office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeRefusal {
    /// The role may not do this anywhere.
    #[error("this role may not do this")]
    Role,
    /// The office is not the staff member's own.
    #[error("this is another office")]
    OtherOffice,
    /// The office is outside the regional admin's region.
    #[error("this office is in another region")]
    OtherRegion,
}

/// Whether a staff member (role, own office, own region) may act on the office
/// (`office_code` in `office_region`) in one of the `allowed` roles. The role is checked
/// first, so a front desk asking for its own office's quotas hears that its role may not.
pub fn check_scope(
    role: StaffRole,
    own_office: Option<&str>,
    own_region: Option<&str>,
    office_code: &str,
    office_region: &str,
    allowed: &[StaffRole],
) -> Result<(), ScopeRefusal> {
    if !allowed.contains(&role) {
        return Err(ScopeRefusal::Role);
    }
    match role {
        StaffRole::SystemAdmin => Ok(()),
        StaffRole::RegionalAdmin if own_region == Some(office_region) => Ok(()),
        StaffRole::RegionalAdmin => Err(ScopeRefusal::OtherRegion),
        _ if own_office == Some(office_code) => Ok(()),
        _ => Err(ScopeRefusal::OtherOffice),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PALEMBANG: (&str, &str) = ("palembang", "sumsel");

    fn check(
        role: StaffRole,
        office: Option<&str>,
        region: Option<&str>,
    ) -> Result<(), ScopeRefusal> {
        check_scope(
            role,
            office,
            region,
            PALEMBANG.0,
            PALEMBANG.1,
            &OFFICE_MANAGERS,
        )
    }

    #[test]
    fn a_head_of_office_manages_its_own_office_only() {
        assert_eq!(
            check(StaffRole::HeadOfOffice, Some("palembang"), None),
            Ok(())
        );
        assert_eq!(
            check(StaffRole::HeadOfOffice, Some("jayapura"), None),
            Err(ScopeRefusal::OtherOffice)
        );
        assert_eq!(
            check(StaffRole::HeadOfOffice, None, None),
            Err(ScopeRefusal::OtherOffice)
        );
    }

    #[test]
    fn a_front_desk_is_refused_for_its_role_even_in_its_own_office() {
        assert_eq!(
            check(StaffRole::FrontDesk, Some("palembang"), None),
            Err(ScopeRefusal::Role)
        );
        assert_eq!(
            check(StaffRole::CounterOfficer, Some("palembang"), None),
            Err(ScopeRefusal::Role)
        );
    }

    #[test]
    fn a_regional_admin_manages_the_offices_of_its_region() {
        assert_eq!(
            check(StaffRole::RegionalAdmin, None, Some("sumsel")),
            Ok(())
        );
        assert_eq!(
            check(StaffRole::RegionalAdmin, None, Some("papua")),
            Err(ScopeRefusal::OtherRegion)
        );
        // An office code equal to the admin's nothing-in-particular does not help.
        assert_eq!(
            check(StaffRole::RegionalAdmin, Some("palembang"), None),
            Err(ScopeRefusal::OtherRegion)
        );
    }

    #[test]
    fn a_system_admin_manages_every_office() {
        assert_eq!(check(StaffRole::SystemAdmin, None, None), Ok(()));
    }

    #[test]
    fn roles_round_trip_through_their_codes() {
        for r in StaffRole::ALL {
            assert_eq!(StaffRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(StaffRole::parse("janitor"), None);
    }
}
