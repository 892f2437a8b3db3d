//! Pieces of the page that repeat across devices and kinds: the device list, the login form,
//! the session panel, the trust panel, and a generic table and key/value list fed data.

pub mod copy_button;
pub mod data_table;
pub mod device_list;
pub mod loaded;
pub mod login_form;
pub mod say;
pub mod session_panel;
pub mod trust_panel;
