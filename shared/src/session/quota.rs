//! A user's tokens against the device's limit (`Profile::token_limit`), as the session panel
//! shows them: counted from the device's own token list each time it is read.

/// A user's active tokens against the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenQuota {
    pub active: u32,
    /// The device's limit per user.
    pub limit: u32,
    /// The user the limit does not apply to, when it is this one (BIG-IP: `admin`).
    pub exempt: Option<String>,
}

impl TokenQuota {
    /// For the session panel: "3 of 100 tokens", or for an exempt user "3 tokens (admin is
    /// exempt from the limit of 100)" — the count is shown for every user, because exempt users
    /// have been reported hitting the limit on some versions (K59142111).
    pub fn label(&self) -> String {
        match &self.exempt {
            None => format!("{} of {} tokens", self.active, self.limit),
            Some(user) => {
                let noun = if self.active == 1 { "token" } else { "tokens" };
                format!(
                    "{} {noun} ({user} is exempt from the limit of {})",
                    self.active, self.limit
                )
            }
        }
    }

    /// Within ten of the limit: time to delete some.
    pub fn near_limit(&self) -> bool {
        self.exempt.is_none() && self.active + 10 >= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_nearness() {
        let q = |active, exempt: Option<&str>| TokenQuota {
            active,
            limit: 100,
            exempt: exempt.map(str::to_owned),
        };
        assert_eq!(q(3, None).label(), "3 of 100 tokens");
        assert!(!q(89, None).near_limit() && q(90, None).near_limit());
        assert_eq!(
            q(1, Some("admin")).label(),
            "1 token (admin is exempt from the limit of 100)"
        );
        assert!(!q(99, Some("admin")).near_limit());
    }
}
