//! Stability-derived initialisation and surrogate (Herranz-Celotti & Rouat, stable_spike.md §4):
//! the four conditions as host-side formulas ([`conditions`]) and the per-layer prediction for
//! a network configuration ([`predict()`]), with [`apply`] to write it into a network, and the
//! same quantities measured on an initialised network ([`measure`]).

pub mod conditions;
pub mod diagnostics;
pub mod predict;

pub use conditions::*;
pub use diagnostics::{HostLif, LayerDiagnostics, comparison_frame, measure, one_step_jacobian};
mod scheme;

pub use scheme::StabilityScheme;
pub use predict::{Conditions, IvPrediction, LayerPrediction, MIN_ROOT_FRACTION, RecurrentDraw, predict_drawing, PredictError, Prediction, Preset, VoltageSource, apply, predict, predict_on_batch, predict_with, recurrent_weights};
