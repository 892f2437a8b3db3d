//! What the relay wrote into the page itself: the inventory, when no access key guards it
//! (`shared::wire::PageInventory`), so the first render needs no round trip.

use shared::wire::{PAGE_INVENTORY_ID, PageInventory};

/// The inventory the page was served with, if the relay put one in (and it reads).
pub fn inventory() -> Option<PageInventory> {
    let text = web_sys::window()?
        .document()?
        .get_element_by_id(PAGE_INVENTORY_ID)?
        .text_content()?;
    serde_json::from_str(&text).ok()
}
