//! Phase 5 of a forward, when it fails: which relay error a failed device call is. Decided by
//! error types and kinds found in the error's causes (the pin mismatch and rustls certificate
//! errors of the verifiers, the resolver's errors, the upload's own errors, `std::io` kinds,
//! hyper's parse errors), never by message text, which changes between library versions.

use std::io::ErrorKind;

use super::body::UploadError;
use crate::admission::deadline::BodyTooSlow;
use crate::causes;
use crate::error::{RelayError, Unreachable};
use crate::inventory::Device;
use crate::inventory::adhoc::is_adhoc_id;
use crate::inventory::pool::CallError;
use crate::inventory::resolve::ResolveError;
use crate::trust::{certificate_problem, find_pin_mismatch};

/// The relay error for a device call that gave no response headers.
pub fn classify(device: &Device, err: &CallError) -> RelayError {
    let id = device.config.id.clone();
    let detail = causes::causes(err)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ");
    if let Some(slow) = causes::find::<BodyTooSlow>(err) {
        return RelayError::BodyTooSlow { secs: slow.secs };
    }
    if let Some(upload) = causes::find::<UploadError>(err) {
        return match upload {
            UploadError::TooLarge { limit } => RelayError::BodyTooLarge { limit: *limit },
            UploadError::Client => RelayError::BadRequest("the request body was cut off".into()),
        };
    }
    if let Some(mismatch) = find_pin_mismatch(err) {
        return RelayError::PinMismatch {
            device: id,
            mismatch,
        };
    }
    if let Some(problem) = certificate_problem(err) {
        return RelayError::UntrustedCertificate {
            device: id,
            problem,
            detail,
        };
    }
    if let Some(resolve) = causes::find::<ResolveError>(err) {
        return resolve.into();
    }
    let unreachable = |why| RelayError::Unreachable {
        device: id.clone(),
        target: device.target().to_owned(),
        why,
        detail: detail.clone(),
    };
    // One answer for every way an ad-hoc target can fail to answer: no port-scanning oracle.
    if is_adhoc_id(&id) {
        return unreachable(Unreachable::AdHoc);
    }
    if matches!(err, CallError::ConnectTimeout(_))
        || causes::io_kind(err) == Some(ErrorKind::TimedOut)
    {
        return RelayError::Timeout {
            device: id,
            ms: device.timeouts.connect.as_millis(),
        };
    }
    if let Some(hyper) = causes::find::<hyper::Error>(err) {
        if hyper.is_parse() || hyper.is_parse_status() {
            return unreachable(Unreachable::NotHttp);
        }
        if hyper.is_incomplete_message() || hyper.is_closed() {
            return unreachable(Unreachable::Closed);
        }
    }
    unreachable(match causes::io_kind(err) {
        Some(ErrorKind::ConnectionRefused) => Unreachable::Refused,
        Some(
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof,
        ) => Unreachable::Closed,
        Some(ErrorKind::InvalidData) => Unreachable::NotHttp,
        _ => Unreachable::Network,
    })
}
