//! An error's causes, outermost first, including the errors an `std::io::Error` wraps (its
//! `source()` skips them). Classification reads these by type and kind, never by message text.

use std::error::Error;

/// Every error in `err`'s source chain (at most 64), outermost first.
pub fn causes<'a>(err: &'a (dyn Error + 'static)) -> Vec<&'a (dyn Error + 'static)> {
    let mut found = Vec::new();
    let mut pending: Vec<&(dyn Error + 'static)> = vec![err];
    while let Some(e) = pending.pop() {
        if found.len() >= 64 {
            break;
        }
        found.push(e);
        if let Some(source) = e.source() {
            pending.push(source);
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            pending.push(inner);
        }
    }
    found
}

/// The first cause of type `T`.
pub fn find<'a, T: Error + 'static>(err: &'a (dyn Error + 'static)) -> Option<&'a T> {
    causes(err).into_iter().find_map(|e| e.downcast_ref::<T>())
}

/// The kind of the first `std::io::Error` among the causes that says more than "other".
pub fn io_kind(err: &(dyn Error + 'static)) -> Option<std::io::ErrorKind> {
    causes(err)
        .into_iter()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind)
        .find(|kind| *kind != std::io::ErrorKind::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("inner")]
    struct Inner;

    #[test]
    fn finds_errors_wrapped_in_io_errors() {
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, Inner);
        let outer = std::io::Error::other(io);
        assert!(find::<Inner>(&outer).is_some());
        assert_eq!(io_kind(&outer), Some(std::io::ErrorKind::InvalidData));
    }
}
