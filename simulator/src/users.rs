//! Local user accounts of a simulated device.

use std::str::FromStr;

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// May manage every user's tokens and is exempt from the token limit when named `admin`.
    Admin,
    /// May manage only its own tokens.
    Operator,
}

/// A local account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub password: String,
    pub role: Role,
}

impl User {
    pub fn new(name: &str, password: &str, role: Role) -> Self {
        Self {
            name: name.into(),
            password: password.into(),
            role,
        }
    }
}

/// `admin`/`admin` (administrator) and `foo`/`fooPass` (non-administrator), as in the seeds.
pub fn default_users() -> Vec<User> {
    vec![
        User::new("admin", "admin", Role::Admin),
        User::new("foo", "fooPass", Role::Operator),
    ]
}

impl FromStr for User {
    type Err = String;

    /// `NAME:PASSWORD[:admin|operator]` (operator when the role is left out).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, ':');
        let name = parts.next().filter(|n| !n.is_empty());
        let password = parts.next();
        let role = match parts.next() {
            None | Some("operator") => Role::Operator,
            Some("admin") => Role::Admin,
            Some(other) => return Err(format!("unknown role {other:?}: use admin or operator")),
        };
        match (name, password) {
            (Some(name), Some(password)) => Ok(User::new(name, password, role)),
            _ => Err(format!("{s:?} is not NAME:PASSWORD[:admin|operator]")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_specs() {
        assert_eq!(
            "bob:pw:admin".parse::<User>().unwrap(),
            User::new("bob", "pw", Role::Admin)
        );
        assert_eq!(
            "bob:p:w".parse::<User>().unwrap_err(),
            "unknown role \"w\": use admin or operator"
        );
        assert_eq!("bob:pw".parse::<User>().unwrap().role, Role::Operator);
        assert!("bob".parse::<User>().is_err());
    }
}
