//! Scopes calls live in, for kinds that have them ([`ScopeRule`]: an FMC domain): the scopes a
//! login announces, path templates filled with the chosen one, and which scope a path is under.

/// A scope the kind's calls live in (FMC: a domain), chosen per session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeRule {
    /// What the kind calls it ("Domain").
    pub label: &'static str,
    /// Stands for the chosen scope's id in path templates (`{domain}`).
    pub placeholder: &'static str,
    /// Where paths under a scope begin, up to the scope's id
    /// (`/api/fmc_config/v1/domain/`).
    pub prefix: &'static str,
}

/// One scope a user may work in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub name: String,
    /// What paths carry (an FMC domain's UUID).
    pub id: String,
}

/// A path template with the scope placeholder replaced by `id`.
pub fn fill(rule: &ScopeRule, template: &str, id: &str) -> String {
    template.replace(rule.placeholder, id)
}

/// `<prefix><id>/<rest>`: a path under the scope `id`.
pub fn scoped_path(rule: &ScopeRule, id: &str, rest: &str) -> String {
    format!("{}{id}/{}", rule.prefix, rest.trim_start_matches('/'))
}

/// The name of the scope a path is under, if it is one of `scopes`.
pub fn name_in_path<'a>(rule: &ScopeRule, path: &str, scopes: &'a [Scope]) -> Option<&'a str> {
    let id = path.strip_prefix(rule.prefix)?.split('/').next()?;
    scopes
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
        .map(|s| s.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: ScopeRule = ScopeRule {
        label: "Area",
        placeholder: "{area}",
        prefix: "/api/v1/area/",
    };

    #[test]
    fn paths_under_a_scope() {
        let scopes = vec![Scope {
            name: "Main".into(),
            id: "e276".into(),
        }];
        let path = fill(&RULE, "/api/v1/area/{area}/object/hosts", "e276");
        assert_eq!(path, scoped_path(&RULE, "e276", "object/hosts"));
        assert_eq!(path, scoped_path(&RULE, "e276", "/object/hosts"));
        assert_eq!(name_in_path(&RULE, &path, &scopes), Some("Main"));
        assert_eq!(
            name_in_path(&RULE, "/api/v1/area/E276/x", &scopes),
            Some("Main")
        );
        assert_eq!(name_in_path(&RULE, "/api/v1/info/area", &scopes), None);
        assert_eq!(name_in_path(&RULE, "/api/v1/area/other/x", &scopes), None);
    }
}
