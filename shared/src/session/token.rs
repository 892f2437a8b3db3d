//! What every kind's login or renewal reply becomes: a token, the lifetime the device granted,
//! and, when the device said, when it issued the token and when it will refuse it — all on the
//! device's own clock.

/// One token as a device issued it. Kind-neutral: BIG-IP's `tmos` token, BIG-IQ's JWTs and
/// FMC's header tokens all become this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    /// Lifetime the device granted, in seconds (BIG-IP `timeout`, a JWT's `exp - iat`, FMC's
    /// documented 30 minutes).
    pub lifetime_secs: u64,
    /// When the device issued (or last updated) it, epoch microseconds on the device's clock.
    pub issued_at_micros: Option<i64>,
    /// When the device will refuse it, epoch microseconds on the device's clock.
    pub expires_at_micros: Option<i64>,
}

impl IssuedToken {
    /// A token known only by its value and lifetime (FMC's header tokens).
    pub fn new(token: impl Into<String>, lifetime_secs: u64) -> Self {
        Self {
            token: token.into(),
            lifetime_secs,
            issued_at_micros: None,
            expires_at_micros: None,
        }
    }

    /// The same token with the device's issue time.
    pub fn issued_at(mut self, micros: Option<i64>) -> Self {
        self.issued_at_micros = micros;
        self
    }

    /// The same token with the device's expiry time.
    pub fn expires_at(mut self, micros: Option<i64>) -> Self {
        self.expires_at_micros = micros;
        self
    }

    /// When the device will refuse it, on the device's clock: its own word, else the lifetime
    /// counted from the issue time, else from `device_now` (when the reply arrived).
    pub fn expiry(&self, device_now: i64) -> i64 {
        let lifetime = (self.lifetime_secs as i64).saturating_mul(1_000_000);
        self.expires_at_micros.unwrap_or_else(|| {
            self.issued_at_micros
                .unwrap_or(device_now)
                .saturating_add(lifetime)
        })
    }
}

/// What a login or a renewal returned: the token to send, and a refresh token where the kind
/// has one (BIG-IQ, FMC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    pub access: IssuedToken,
    pub refresh: Option<IssuedToken>,
}

impl IssuedTokens {
    /// An access token alone (BIG-IP).
    pub fn access_only(access: IssuedToken) -> Self {
        Self {
            access,
            refresh: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000_000;

    #[test]
    fn expiry_prefers_the_devices_word() {
        let t = IssuedToken::new("A", 1200)
            .issued_at(Some(T0))
            .expires_at(Some(T0 + 5));
        assert_eq!(t.expiry(0), T0 + 5);
        let t = IssuedToken::new("A", 1200).issued_at(Some(T0));
        assert_eq!(t.expiry(0), T0 + 1_200_000_000);
        assert_eq!(IssuedToken::new("A", 10).expiry(T0), T0 + 10_000_000);
    }
}
