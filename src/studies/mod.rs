//! What the study notebooks share: the scale switch (quick for CI and the README, paper for the
//! papers' sizes), where results and figures go, and each study's grid and analysis, so that
//! notebook cells stay thin calls into compiled code.
//!
//! Environment: `SGLAB_SCALE` = `quick` (default) or `paper`; `SGLAB_RECOMPUTE=1` reruns
//! cached sweeps; `SGLAB_RESULTS` and `SGLAB_FIGURES` override the result and figure folders
//! (default `data/results/` and `figures/` in the crate's directory).

pub mod scale;
pub mod sg_shapes;

pub use scale::{Scale, StudyError, figures_dir, recompute_requested, results_dir};
