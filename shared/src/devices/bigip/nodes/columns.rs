//! Which node fields the Nodes page reads and shows: the columns a user picks (kept with the
//! session as a comma-separated list, in [`NODE_COLUMNS`] order), and the `$select` that reads
//! them together with the fields the row buttons need.

use super::{NODE_COLUMNS, node_list_path};

/// Columns shown until the user picks others (in `NODE_COLUMNS` order).
pub const DEFAULT_COLUMNS: [&str; 4] = ["address", "description", "session", "state"];

/// Fields read whatever the columns: the row buttons need them to know what they do.
const ACTION_FIELDS: [&str; 2] = ["session", "state"];

/// The chosen columns from their kept form; unknown names are dropped.
pub fn parse_columns(kept: &str) -> Vec<&'static str> {
    NODE_COLUMNS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| kept.split(',').any(|c| c.trim() == *k))
        .collect()
}

/// The kept form of the columns after column `key` is switched `on` or off.
pub fn toggle_column(kept: &str, key: &str, on: bool) -> String {
    let chosen = parse_columns(kept);
    NODE_COLUMNS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| if *k == key { on } else { chosen.contains(k) })
        .collect::<Vec<_>>()
        .join(",")
}

/// The headings of `columns`.
pub fn headings(columns: &[&str]) -> Vec<&'static str> {
    columns
        .iter()
        .filter_map(|key| NODE_COLUMNS.iter().find(|(k, _)| k == key).map(|(_, h)| *h))
        .collect()
}

/// The list's path for the shown columns plus the fields the row buttons need.
pub fn list_path(columns: &[&str]) -> String {
    let mut fields = columns.to_vec();
    fields.extend(ACTION_FIELDS);
    node_list_path(&fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_columns_read_back_in_table_order() {
        assert_eq!(parse_columns("state, address,bogus"), ["address", "state"]);
        assert_eq!(parse_columns(""), Vec::<&str>::new());
        assert_eq!(parse_columns(&DEFAULT_COLUMNS.join(",")), DEFAULT_COLUMNS);
    }

    #[test]
    fn toggling_keeps_table_order_and_forgets_unknown_names() {
        let kept = "state,address,bogus";
        assert_eq!(
            toggle_column(kept, "monitor", true),
            "address,state,monitor"
        );
        assert_eq!(toggle_column(kept, "address", false), "state");
        assert_eq!(toggle_column("", "ratio", true), "ratio");
        assert_eq!(headings(&["state", "address"]), ["State", "Address"]);
    }

    #[test]
    fn the_list_always_reads_what_the_row_buttons_need() {
        assert_eq!(
            list_path(&["address"]),
            "/mgmt/tm/ltm/node?$select=name,partition,address,session,state"
        );
        assert_eq!(
            list_path(&[]),
            "/mgmt/tm/ltm/node?$select=name,partition,session,state"
        );
    }
}
