//! # sglab — surrogate-gradient lab
//!
//! Training spiking neural networks with surrogate gradients on [burn], built around the
//! stability theory of Herranz-Celotti & Rouat ("Stabilizing Spiking Neuron Training",
//! arXiv 2202.00282), which chooses the surrogate's shape (dampening, sharpness, tail fatness)
//! and the initialisation before training.
//!
//! Data flows one way:
//!
//! ```text
//! surrogate ──► spike op ──► neuron step fns ──► network
//!                                 ▲
//!                               init
//! data (randman, sl-MNIST, SHD) ──► [T, B, N] batches ──► network ──► train ──► RunRecord
//!                                                      regularize ──┘            │
//!                                                                   results (polars, parquet)
//! ```
//!
//! * [`surrogate`]: the surrogate-derivative family with peak γ and area γ/β, on f64 and tensors.
//! * [`spike`]: H(v − ϑ) forward with the surrogate as its backward (custom backward op or
//!   gradient injection; user surrogates).
//! * [`neuron`]: LIF and ALIF layers with explicit state and pure step functions.
//! * [`network`]: stacks of recurrent layers with a linear readout over `[T, B, N]` input.
//! * [`init`]: seeded weight initialisers.
//! * [`data`]: spike-train datasets (randman, sl-MNIST from embedded real digits, SHD behind the
//!   `shd` feature), splits, seeded batching, input statistics.
//! * [`regularize`]: firing-rate losses and the schedules that switch them on.
//! * [`train`]: `TrainConfig`, the training loop, metrics, checkpoints, initial-rate targeting,
//!   progress, resumable sweeps.
//! * [`results`]: run records as polars tables and parquet files.
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
pub mod data;
pub mod display;
pub mod fused;
pub mod init;
pub mod network;
pub mod neuron;
pub mod plot;
pub mod regularize;
pub mod results;
pub mod spike;
pub mod stats;
pub mod studies;
pub mod surrogate;
pub mod table;
pub mod theory;
pub mod train;

pub use backend::{BackendError, BackendKind, device, host_values};

/// burn, re-exported so that notebooks and downstream code name the same tensor types.
pub use burn;
/// polars and plotly, re-exported so that a notebook's one `:dep` on sglab brings the table and
/// figure types its results come in.
pub use {plotly, polars};
