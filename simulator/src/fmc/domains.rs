//! The domains of the simulated FMC: `Global` and one subdomain.

use super::FmcError;

/// A domain of the simulated FMC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Domain {
    pub name: &'static str,
    pub uuid: &'static str,
}

/// `Global` (with the UUID every FMC uses for it) and one subdomain.
pub const DOMAINS: [Domain; 2] = [
    Domain {
        name: "Global",
        uuid: "e276abec-e0f2-11e3-8169-6d9ed49b625f",
    },
    Domain {
        name: "Global/Sub",
        uuid: "6f3c1a52-9c4e-11ee-8c90-0242ac120002",
    },
];

/// The domain with this UUID; an unknown one is a 404.
pub fn find_domain(uuid: &str) -> Result<Domain, FmcError> {
    DOMAINS
        .iter()
        .find(|d| d.uuid.eq_ignore_ascii_case(uuid))
        .copied()
        .ok_or_else(|| FmcError::NotFound(format!("Domain {uuid} does not exist.")))
}
