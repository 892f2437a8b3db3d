//! The Redis backend's signed state, as pure decisions over what the store holds (`redis`
//! reads and writes it): the generation marker (`<prefix>:state`: `generation`, `created`,
//! `sig`), which pins verify under it, and what `relay --init-state` does with those that do
//! not. The signatures themselves are `super::signing`'s.

use std::collections::{BTreeMap, HashMap};

use super::pin_view::LossReason;
use super::signing::{PinRefusal, StateKey, fingerprint_of, is_fingerprint, new_generation};

/// A store's generation marker: which generation, and when it was made (unix seconds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Marker {
    pub generation: String,
    pub created: String,
}

/// What `relay --init-state` did.
#[derive(Debug)]
pub struct InitReport {
    pub marker: Marker,
    /// Whether the marker was written now (else the store was initialised already).
    pub fresh: bool,
    /// Pins that verify under the marker.
    pub signed: usize,
    /// Pins signed now (`--adopt-pins`): device, fingerprint.
    pub adopted: Vec<(String, String)>,
    /// Pins left refused: device, why.
    pub refused: Vec<(String, String)>,
}

/// The store's signed state under one key and prefix.
pub struct Signed<'a> {
    pub key: &'a StateKey,
    pub prefix: &'a str,
}

/// Stored pins sorted by whether they verify.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sorted {
    /// Device → fingerprint.
    pub pins: BTreeMap<String, String>,
    /// Device, stored value, why not.
    pub refused: Vec<(String, String, PinRefusal)>,
}

/// What `--init-state` does with a stored pin that does not verify.
#[derive(Debug, PartialEq, Eq)]
pub enum Adoption {
    /// Replace the stored value with this one, signed for the generation.
    Sign { fingerprint: String, value: String },
    /// Leave it, refused, for this reason.
    Leave(String),
}

impl Signed<'_> {
    /// The marker in `fields` (the marker hash), if this key signed it; else why the store
    /// cannot be trusted to be whole. `knew` is the generation this replica last read.
    pub fn marker(
        &self,
        fields: &HashMap<String, String>,
        knew: Option<&Marker>,
    ) -> Result<Marker, LossReason> {
        let field = |name: &str| fields.get(name).map(String::as_str);
        let (Some(generation), Some(created), Some(sig)) =
            (field("generation"), field("created"), field("sig"))
        else {
            return Err(LossReason::NoMarker {
                knew: knew.map(|m| m.generation.clone()),
            });
        };
        if !self
            .key
            .verify_marker(self.prefix, generation, created, sig)
        {
            return Err(LossReason::ForeignMarker);
        }
        Ok(Marker {
            generation: generation.to_owned(),
            created: created.to_owned(),
        })
    }

    /// A new marker made at `now` (unix seconds), and its signature.
    pub fn new_marker(&self, now: u64) -> Result<(Marker, String), ring::error::Unspecified> {
        let marker = Marker {
            generation: new_generation()?,
            created: now.to_string(),
        };
        let sig = self
            .key
            .sign_marker(self.prefix, &marker.generation, &marker.created);
        Ok((marker, sig))
    }

    /// The value to store for a new pin of `device`.
    pub fn pin_value(&self, generation: &str, device: &str, fingerprint: &str) -> String {
        self.key
            .sign_pin(self.prefix, generation, device, fingerprint)
    }

    /// The fingerprint of a stored pin, if it verifies.
    pub fn verify(
        &self,
        generation: &str,
        device: &str,
        value: &str,
    ) -> Result<String, PinRefusal> {
        self.key.verify_pin(self.prefix, generation, device, value)
    }

    /// `stored` (device → value) sorted by whether each verifies under `generation`.
    pub fn sort(&self, generation: &str, stored: BTreeMap<String, String>) -> Sorted {
        let mut sorted = Sorted::default();
        for (device, value) in stored {
            match self.verify(generation, &device, &value) {
                Ok(fingerprint) => {
                    sorted.pins.insert(device, fingerprint);
                }
                Err(why) => sorted.refused.push((device, value, why)),
            }
        }
        sorted
    }

    /// What `--init-state` does with `value`, the stored pin of `device` refused for `why`:
    /// with `adopt`, sign it if it holds a fingerprint (the operator checked it); else leave it.
    pub fn adoption(
        &self,
        generation: &str,
        device: &str,
        value: &str,
        why: &PinRefusal,
        adopt: bool,
    ) -> Adoption {
        let fingerprint = fingerprint_of(value);
        if !is_fingerprint(fingerprint) {
            return Adoption::Leave(format!(
                "{fingerprint}: it is not a fingerprint (sha256: and 64 hex digits)"
            ));
        }
        if !adopt {
            return Adoption::Leave(format!("{fingerprint}: {why}"));
        }
        Adoption::Sign {
            fingerprint: fingerprint.to_owned(),
            value: self.pin_value(generation, device, fingerprint),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "sha256:abababababababababababababababababababababababababababababababab";

    #[test]
    fn a_store_without_a_marker_of_this_key_cannot_be_trusted_whole() {
        let (ours, theirs) = (StateKey::new(&[1; 32]), StateKey::new(&[2; 32]));
        let signed = Signed {
            key: &ours,
            prefix: "tokendeck",
        };
        let (marker, sig) = signed.new_marker(1_700_000_000).unwrap();
        let fields = |sig: &str| {
            HashMap::from([
                ("generation".to_string(), marker.generation.clone()),
                ("created".to_string(), marker.created.clone()),
                ("sig".to_string(), sig.to_owned()),
            ])
        };
        assert_eq!(signed.marker(&fields(&sig), None), Ok(marker.clone()));
        let foreign = theirs.sign_marker("tokendeck", &marker.generation, &marker.created);
        assert_eq!(
            signed.marker(&fields(&foreign), Some(&marker)),
            Err(LossReason::ForeignMarker)
        );
        assert_eq!(
            signed.marker(&HashMap::new(), Some(&marker)),
            Err(LossReason::NoMarker {
                knew: Some(marker.generation.clone())
            })
        );
        assert_eq!(
            signed.marker(&HashMap::new(), None),
            Err(LossReason::NoMarker { knew: None })
        );
    }

    #[test]
    fn only_pins_signed_for_the_generation_apply_and_adoption_needs_a_fingerprint() {
        let key = StateKey::new(&[1; 32]);
        let signed = Signed {
            key: &key,
            prefix: "tokendeck",
        };
        let stored = BTreeMap::from([
            ("lab".to_string(), signed.pin_value("g2", "lab", FP)),
            ("old".to_string(), signed.pin_value("g1", "old", FP)),
            ("legacy".to_string(), FP.to_string()),
            ("junk".to_string(), "nonsense".to_string()),
        ]);
        let sorted = signed.sort("g2", stored);
        assert_eq!(sorted.pins, BTreeMap::from([("lab".into(), FP.into())]));
        let refused: Vec<&str> = sorted.refused.iter().map(|(d, _, _)| d.as_str()).collect();
        assert_eq!(refused, ["junk", "legacy", "old"]);
        for (device, value, why) in &sorted.refused {
            let left = signed.adoption("g2", device, value, why, false);
            assert!(matches!(left, Adoption::Leave(_)), "{device}");
            let adopted = signed.adoption("g2", device, value, why, true);
            match (device.as_str(), adopted) {
                ("junk", Adoption::Leave(why)) => assert!(why.contains("not a fingerprint")),
                (_, Adoption::Sign { fingerprint, value }) => {
                    assert_eq!(fingerprint, FP);
                    assert_eq!(signed.verify("g2", device, &value), Ok(FP.to_owned()));
                }
                (device, other) => panic!("{device}: {other:?}"),
            }
        }
    }
}
