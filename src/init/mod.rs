//! Initialisation: seeded weight distributions drawn on the host.
//!
//! The stability-derived initialisation (Conditions I–IV) and the fluctuation-driven initialiser
//! build on the same seeded draws.

pub mod fluctuation;
pub mod stability;
pub mod weights;

pub use weights::{WeightInit, rng};
