//! One validation convention for every configuration in sglab.
//!
//! A configuration type implements [`Validate`]; its error is a [`ConfigError`] that carries
//! the dotted path of the offending field and what was expected. A type checks its own fields
//! under their own names (`tau`), and a type that holds it prefixes the path with its field's
//! name ([`ConfigError::within`]), so the error of a training configuration reads
//! `model.neuron.tau: a finite value > 0, got -1`. Training validates once, at its entry.

/// An invalid configuration field: its dotted path and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}`: expected {message}")]
pub struct ConfigError {
    /// Dotted path of the field from the configuration that was validated (`model.neuron.tau`).
    pub path: String,
    /// What was expected and what came.
    pub message: String,
}

impl ConfigError {
    /// An error of the field at `path` with what was expected.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { path: path.into(), message: message.into() }
    }

    /// The same error seen from the table that holds the validated value under `prefix`.
    pub fn within(self, prefix: &str) -> Self {
        let path = match (prefix.is_empty(), self.path.is_empty()) {
            (true, _) => self.path,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{}", self.path),
        };
        ConfigError { path, message: self.message }
    }
}

/// A configuration that can check its own fields.
pub trait Validate {
    /// `Ok` when every field holds an accepted value, else the first offending field.
    fn validate(&self) -> Result<(), ConfigError>;
}

/// `value` is finite and > 0.
pub fn positive(path: &str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value > 0.0 { Ok(()) } else { Err(ConfigError::new(path, format!("a finite value > 0, got {value}"))) }
}

/// `value` is finite.
pub fn finite(path: &str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() { Ok(()) } else { Err(ConfigError::new(path, format!("a finite value, got {value}"))) }
}

/// `value` is finite and ≥ 0.
pub fn non_negative(path: &str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value >= 0.0 { Ok(()) } else { Err(ConfigError::new(path, format!("a finite value ≥ 0, got {value}"))) }
}

/// `value` lies in the half-open interval [low, high).
pub fn in_interval(path: &str, value: f64, low: f64, high: f64) -> Result<(), ConfigError> {
    if value >= low && value < high { Ok(()) } else { Err(ConfigError::new(path, format!("a value in [{low}, {high}), got {value}"))) }
}

/// A count of at least 1.
pub fn at_least_one(path: &str, value: usize) -> Result<(), ConfigError> {
    if value >= 1 { Ok(()) } else { Err(ConfigError::new(path, "at least 1, got 0")) }
}

/// An optional count that, when present, is at least 1.
pub fn optional_count(path: &str, value: Option<usize>) -> Result<(), ConfigError> {
    if value == Some(0) { Err(ConfigError::new(path, "a positive count or no entry, got 0")) } else { Ok(()) }
}

/// The dotted path of a field that `given` (a configuration as written) holds beside the tag of
/// a unit variant, where `parsed` (the same configuration parsed and serialised back) has the
/// lone tag: `{ kind = "he-normal", std = 0.1 }` → `model.readout_init.std`.
/// `#[serde(deny_unknown_fields)]` refuses unknown fields in the struct variants of an
/// internally tagged enum but lets them through beside a unit variant; this finds those.
pub fn field_beside_unit_tag(given: &serde_json::Value, parsed: &serde_json::Value, path: &str) -> Option<String> {
    let (serde_json::Value::Object(given), serde_json::Value::Object(parsed)) = (given, parsed) else {
        return None;
    };
    for (key, value) in given {
        let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        let Some(slot) = parsed.get(key) else { continue };
        if let (serde_json::Value::Object(written), serde_json::Value::Object(read)) = (value, slot)
            && read.len() == 1
            && read.contains_key("kind")
            && let Some(extra) = written.keys().find(|k| *k != "kind")
        {
            return Some(format!("{here}.{extra}"));
        }
        if let serde_json::Value::Array(items) = value {
            if let serde_json::Value::Array(read) = slot {
                for (i, (g, p)) in items.iter().zip(read).enumerate() {
                    if let Some(found) = field_beside_unit_tag(g, p, &format!("{here}[{i}]")) {
                        return Some(found);
                    }
                }
            }
        } else if let Some(found) = field_beside_unit_tag(value, slot, &here) {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compose_from_the_inside_out() {
        let e = ConfigError::new("tau", "a finite value > 0, got -1").within("neuron").within("model");
        assert_eq!(e.path, "model.neuron.tau");
        assert_eq!(e.to_string(), "`model.neuron.tau`: expected a finite value > 0, got -1");
        assert_eq!(ConfigError::new("", "a table").within("task").path, "task");
        assert_eq!(ConfigError::new("lr", "x").within("").path, "lr");
    }

    #[test]
    fn checks_accept_and_reject_the_right_values() {
        assert!(positive("a", 1e-9).is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(positive("a", bad).unwrap_err().path, "a");
        }
        assert!(finite("a", -3.0).is_ok() && finite("a", f64::NAN).is_err());
        assert!(non_negative("a", 0.0).is_ok() && non_negative("a", -1e-12).is_err());
        assert!(in_interval("a", 0.0, 0.0, 0.5).is_ok());
        assert!(in_interval("a", 0.5, 0.0, 0.5).is_err() && in_interval("a", f64::NAN, 0.0, 0.5).is_err());
        assert!(at_least_one("n", 1).is_ok() && at_least_one("n", 0).is_err());
        assert!(optional_count("n", None).is_ok() && optional_count("n", Some(2)).is_ok());
        assert_eq!(optional_count("n", Some(0)).unwrap_err().message, "a positive count or no entry, got 0");
    }
}
