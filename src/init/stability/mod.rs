//! Stability-derived initialisation and surrogate (Herranz-Celotti & Rouat, stable_spike.md §4):
//! the four conditions as host-side formulas ([`conditions`]) and the per-layer prediction for
//! a network configuration ([`predict()`]), with [`apply`] to write it into a network, and the
//! same quantities measured on an initialised network ([`measure`]).

pub mod conditions;
pub mod diagnostics;
pub mod predict;

pub use conditions::*;
pub use diagnostics::{LayerDiagnostics, comparison_frame, measure};
pub use predict::{LayerPrediction, PredictError, Prediction, Preset, apply, predict, recurrent_weights};
