//! One line of text with a tone — what is loading, what went wrong, what succeeded — as one view
//! type for the whole console (each distinct view type costs bundle size).

use leptos::prelude::*;

/// How a line reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Waiting or nothing to show.
    Muted,
    /// Something went wrong.
    Error,
    /// Something worked.
    Success,
    /// Worth knowing, nothing went wrong.
    Notice,
}

/// `text` as a paragraph in `tone`, with an `id` when tests or links need one.
pub fn say(tone: Tone, text: String, id: Option<&'static str>) -> AnyView {
    let (class, role) = match tone {
        Tone::Muted => ("muted", "status"),
        Tone::Error => ("error", "alert"),
        Tone::Success => ("success", "status"),
        Tone::Notice => ("notice", "status"),
    };
    view! { <p class=class role=role id=id>{text}</p> }.into_any()
}

/// What an action came to, for the page: success text, or what went wrong.
pub type Notice = Result<String, String>;

/// A success or a failure, each with its own id.
pub fn outcome(result: Notice, ids: (&'static str, &'static str)) -> AnyView {
    match result {
        Ok(text) => say(Tone::Success, text, Some(ids.0)),
        Err(text) => say(Tone::Error, text, Some(ids.1)),
    }
}
