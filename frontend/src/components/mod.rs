//! Small reusable pieces of the page.

pub mod copy_button;
pub mod device_list;
pub mod login_form;
pub mod session_panel;
