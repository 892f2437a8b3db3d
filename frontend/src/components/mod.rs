//! Small reusable pieces of the page.

pub mod device_list;
pub mod login_form;
pub mod session_panel;
