//! How a node is named: `~Partition~Name` (or a bare `Name`, meaning `/Common/Name`) in a
//! URL, which names are valid, and how a name travels in a link.
//!
//! Names may carry a route domain, `10.1.1.1%0`, as controllers create them. In a URL path
//! the `%` travels as `%25` (`/mgmt/tm/ltm/node/~Common~10.1.1.1%250`); the router decodes
//! it before [`NodeRef::parse`] sees it, and [`NodeRef::link_segment`] encodes it again.

pub const DEFAULT_PARTITION: &str = "Common";

/// A node named in a URL. The form matters: replies to a bare name leave out `partition` and
/// use the bare `fullPath`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRef {
    pub partition: String,
    pub name: String,
    pub bare: bool,
}

impl NodeRef {
    /// Parse the last path segment (already percent-decoded).
    pub fn parse(segment: &str) -> NodeRef {
        if let Some(rest) = segment.strip_prefix('~')
            && let Some((partition, name)) = rest.split_once('~')
        {
            return NodeRef {
                partition: partition.to_owned(),
                name: name.to_owned(),
                bare: false,
            };
        }
        NodeRef {
            partition: DEFAULT_PARTITION.to_owned(),
            name: segment.to_owned(),
            bare: true,
        }
    }

    /// A node named in full, as a collection lists it.
    pub fn full(partition: &str, name: &str) -> NodeRef {
        NodeRef {
            partition: partition.to_owned(),
            name: name.to_owned(),
            bare: false,
        }
    }

    pub fn full_path(&self) -> String {
        format!("/{}/{}", self.partition, self.name)
    }

    /// The node's last path segment in a link, percent-encoded as the device writes it:
    /// `~Common~10.1.1.1%250` for `/Common/10.1.1.1%0`, `Name` for a bare name.
    pub fn link_segment(&self) -> String {
        let segment = if self.bare {
            self.name.clone()
        } else {
            format!("~{}~{}", self.partition, self.name)
        };
        segment.replace('%', "%25")
    }

    pub(super) fn key(&self) -> (String, String) {
        (self.partition.clone(), self.name.clone())
    }
}

/// A valid partition or node name: letters, digits and `._-:`, not starting with `-` or `.`,
/// optionally ending in a route domain `%<id>` (`10.1.1.1%0`).
pub fn valid_name(name: &str) -> bool {
    let (base, route_domain) = match name.split_once('%') {
        Some((base, rd)) => (base, Some(rd)),
        None => (name, None),
    };
    !base.is_empty()
        && name.len() <= 255
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c))
        && !base.starts_with(['-', '.'])
        && route_domain.is_none_or(is_route_domain_id)
}

/// A route domain id: 0–65534, in decimal.
pub fn is_route_domain_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 5
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u16>().is_ok_and(|id| id < 65_535)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_domain_names_are_valid_and_encode_their_percent_in_links() {
        assert!(valid_name("10.1.1.1%0"));
        assert!(valid_name("web%12"));
        for bad in [
            "10.1.1.1%",
            "%0",
            "a%b",
            "a%0%1",
            "a%65535",
            "-a",
            ".a",
            "a/b",
            "",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
        let node = NodeRef::parse("~Common~10.1.1.1%0");
        assert_eq!(node.name, "10.1.1.1%0");
        assert_eq!(node.full_path(), "/Common/10.1.1.1%0");
        assert_eq!(node.link_segment(), "~Common~10.1.1.1%250");
        assert_eq!(NodeRef::parse("10.1.1.1%0").link_segment(), "10.1.1.1%250");
    }
}
