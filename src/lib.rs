//! # sglab — surrogate-gradient lab
//!
//! Training spiking neural networks with surrogate gradients on [burn], built around the
//! stability theory of Herranz-Celotti & Rouat ("Stabilizing Spiking Neuron Training",
//! arXiv 2202.00282), which chooses the surrogate's shape (dampening, sharpness, tail fatness)
//! and the initialisation before training.
//!
//! Data flows one way; a module uses only modules to its left or above it (ARCHITECTURE.md):
//!
//! ```text
//! rng, weights, validate, dynamics, surrogate, dropout leaves: seeded draws, distributions,
//!         │                                            the validation convention, LIF rules
//! spike ──► neuron ──► network ◄── fused
//!                        │
//!                      init (stability, fluctuation, rate targeting, LSUV)
//!                        │
//! data ──► [T, B, N] ──► train (config, loop, sweeps) ──► RunRecord ──► results (tables)
//!                                                                          │
//! stats, table, plot, display ◄───────────────────────────────────────────┘
//! theory (toy networks, SG-NTK, landscapes)      studies (the notebooks' grids and analyses)
//! ```
//!
//! * [`prelude`]: the names a notebook or a first program needs, in one `use`.
//! * [`surrogate`]: the surrogate-derivative family with peak γ and area γ/β, on f64 and tensors.
//! * [`spike`]: H(v − ϑ) forward with the surrogate as its backward (custom backward op or
//!   gradient injection; user surrogates; escape noise).
//! * [`neuron`]: LIF, ALIF and QIF layers behind one [`neuron::RecurrentCell`] trait, with
//!   explicit state in and out; DECOLLE's layer.
//! * [`network`]: stacks of recurrent layers with a linear readout over `[T, B, N]` input.
//! * [`nir`]: export to and import from NIR, the format other SNN libraries and neuromorphic
//!   hardware read (`.nir` files behind the `nir` feature).
//! * [`dropout`]: seeded inverted dropout on a layer's input, in training only.
//! * [`fused`]: the CPU backends' fused LIF kernels.
//! * [`init`]: the initialisers of a drawn network behind one [`init::Initialiser`] trait.
//! * [`data`]: spike-train datasets (randman, sl-MNIST from embedded real digits, SHD behind the
//!   `shd` feature), splits, seeded batching, input statistics.
//! * [`event`]: event-driven theta (QIF) and LIF networks in continuous time with exact
//!   spike-time gradients.
//! * [`regularize`]: firing-rate losses and the schedules that switch them on.
//! * [`train`]: `TrainConfig`, the training loop, metrics, checkpoints, resumable sweeps.
//! * [`results`], [`table`], [`stats`], [`plot`], [`display`]: tables, tests, figures, notebook
//!   display.
//! * [`theory`], [`studies`]: the theory's toy models and the study notebooks' code.
//! * [`backend`]: run-time choice of the compute backend ([`device`]).
//!
//! Tensors are time-major `[T, B, N]`. There are no backend generics: every tensor lives on a
//! burn [`Device`](burn::tensor::Device) chosen at run time.
//!
//! ```
//! use sglab::{network::NetworkConfig, surrogate::{Shape, Surrogate}};
//!
//! let device = sglab::device("flex").unwrap().autodiff();
//! let net = NetworkConfig::new(20, vec![32], 3)
//!     .with_surrogate(Surrogate::new(Shape::FastSigmoid, 0.5, 1.0).unwrap())
//!     .init(&device)
//!     .unwrap();
//! let x = burn::Tensor::<3>::zeros([10, 4, 20], &device);
//! let out = net.forward(x).unwrap();
//! assert_eq!(out.logits.dims(), [10, 4, 3]);
//! ```

#![warn(missing_docs)]

pub mod backend;
pub mod cluster;
pub mod data;
pub mod display;
pub mod durable;
pub mod dropout;
pub mod dynamics;
pub mod event;
pub mod fused;
pub mod init;
pub mod network;
pub mod neuron;
pub mod nir;
pub mod plot;
pub mod regularize;
pub mod results;
pub mod rng;
pub mod spike;
pub mod stats;
pub mod studies;
pub mod surrogate;
pub mod table;
pub mod theory;
pub mod train;
pub mod validate;
pub mod weights;

pub use backend::{BackendError, BackendKind, device, host_values};

/// The names a notebook cell or a first program needs: `use sglab::prelude::*;`.
pub mod prelude {
    pub use crate::backend::{BackendKind, device, host_values};
    pub use crate::data::{Batch, SpikeDataset, Splits};
    pub use crate::display::Table;
    pub use crate::init::{InitContext, Initialiser};
    pub use crate::network::{ClassificationLoss, Network, NetworkConfig, NetworkOutput, NetworkState};
    pub use crate::neuron::{AlifConfig, Layer, LayerState, LifConfig, NeuronConfig, QifConfig, RecurrentCell, Reset};
    pub use crate::plot::{Band, Figure, Labels};
    pub use crate::spike::SpikeFn;
    pub use crate::studies::{Scale, StudyError};
    pub use crate::surrogate::{Shape, Surrogate};
    pub use crate::train::{RunRecord, TaskConfig, TrainConfig, train};
    pub use crate::validate::{ConfigError, Validate};
    pub use crate::weights::WeightInit;
    pub use burn::Tensor;
    pub use burn::tensor::Device;
    pub use polars::prelude::DataFrame;
}

/// burn, re-exported so that notebooks and downstream code name the same tensor types.
pub use burn;
/// polars and plotly, re-exported so that a notebook's one `:dep` on sglab brings the table and
/// figure types its results come in.
pub use {plotly, polars};
