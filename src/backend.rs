//! Run-time choice of the compute backend.
//!
//! sglab's public API has no backend generics: every tensor lives on a burn [`Device`], and the
//! device is chosen here by name. Which backends exist is decided at compile time by cargo
//! features; asking for one that was not compiled in is an error that names the feature.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// A compute backend sglab can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// burn's pure-Rust CPU backend (cargo feature `flex`, on by default).
    Flex,
    /// burn's ndarray CPU backend (cargo feature `ndarray`; deprecated upstream in favour of flex).
    Ndarray,
    /// burn's wgpu GPU backend through CubeCL (cargo feature `wgpu`); on a machine without a GPU
    /// it runs on a software Vulkan driver such as Mesa's lavapipe.
    Wgpu,
}

/// Errors of backend selection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The name is not a backend.
    #[error("unknown backend `{0}`: expected one of flex, ndarray, wgpu")]
    Unknown(String),
    /// The backend exists but this build of sglab does not include it.
    #[error(
        "backend `{backend}` is not compiled into this build of sglab: enable the cargo feature `{feature}` (e.g. `cargo build --features {feature}`)"
    )]
    NotCompiled {
        /// The backend asked for.
        backend: BackendKind,
        /// The cargo feature that compiles it in.
        feature: &'static str,
    },
}

impl BackendKind {
    /// Every backend sglab knows, compiled in or not.
    pub const ALL: [BackendKind; 3] = [BackendKind::Flex, BackendKind::Ndarray, BackendKind::Wgpu];

    /// The backend's name, as accepted by [`device`].
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
        }
    }

    /// The cargo feature that compiles this backend in.
    pub fn feature(self) -> &'static str {
        self.name()
    }

    /// Whether this build includes the backend.
    pub fn is_compiled(self) -> bool {
        match self {
            BackendKind::Flex => cfg!(feature = "flex"),
            BackendKind::Ndarray => cfg!(feature = "ndarray"),
            BackendKind::Wgpu => cfg!(feature = "wgpu"),
        }
    }

    /// The backends this build includes, in the order of [`BackendKind::ALL`].
    pub fn compiled() -> Vec<BackendKind> {
        Self::ALL.into_iter().filter(|b| b.is_compiled()).collect()
    }

    /// The backend's default device (without autodiff; call `.autodiff()` on it to train).
    pub fn device(self) -> Result<Device, BackendError> {
        if !self.is_compiled() {
            return Err(BackendError::NotCompiled {
                backend: self,
                feature: self.feature(),
            });
        }
        Ok(self.device_unchecked())
    }

    #[allow(deprecated, unreachable_code)]
    fn device_unchecked(self) -> Device {
        match self {
            #[cfg(feature = "flex")]
            BackendKind::Flex => Device::flex(),
            #[cfg(feature = "ndarray")]
            BackendKind::Ndarray => Device::ndarray(),
            #[cfg(feature = "wgpu")]
            BackendKind::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            #[allow(unreachable_patterns)]
            _ => unreachable!("checked by is_compiled"),
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BackendKind {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "flex" => Ok(BackendKind::Flex),
            "ndarray" => Ok(BackendKind::Ndarray),
            "wgpu" => Ok(BackendKind::Wgpu),
            _ => Err(BackendError::Unknown(s.to_string())),
        }
    }
}

/// The default device of the backend named `name` (`"flex"`, `"ndarray"` or `"wgpu"`).
///
/// ```
/// let device = sglab::device("flex").unwrap();
/// let trainable = device.autodiff();
/// # let _ = trainable;
/// ```
pub fn device(name: &str) -> Result<Device, BackendError> {
    name.parse::<BackendKind>()?.device()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in BackendKind::ALL {
            assert_eq!(b.name().parse::<BackendKind>().unwrap(), b);
        }
        assert_eq!(" FLEX ".parse::<BackendKind>().unwrap(), BackendKind::Flex);
    }

    #[test]
    fn unknown_name_is_an_error_listing_the_choices() {
        let err = device("cuda").unwrap_err();
        assert_eq!(err, BackendError::Unknown("cuda".into()));
        assert!(err.to_string().contains("flex, ndarray, wgpu"));
    }

    #[test]
    fn missing_backend_names_the_feature() {
        for b in BackendKind::ALL {
            match b.device() {
                Ok(_) => assert!(b.is_compiled()),
                Err(e) => {
                    assert!(!b.is_compiled());
                    assert!(e.to_string().contains(&format!("--features {}", b.name())));
                }
            }
        }
    }
}

/// The values of a float tensor on the host as f64, row-major (a read that cannot fail: every
/// float element type converts to f64).
pub fn host_values<const D: usize>(t: burn::Tensor<D>) -> Vec<f64> {
    t.into_data().convert::<f64>().try_to_vec::<f64>().expect("a float tensor converts to f64")
}
