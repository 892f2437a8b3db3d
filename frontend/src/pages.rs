//! Pages every kind has (Explorer, Activity), and the generic list and facts pages the kinds'
//! own pages are made of.

pub mod activity;
pub mod collection;
pub mod explorer;
