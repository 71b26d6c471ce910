//! Dropout on the input of a recurrent layer, in training only, as the official stable_spike
//! code applies Keras `Dropout(p)` to the input of every layer (the data for the first layer,
//! the spikes of the layer below for the others; stable_spike.md §3.1):
//!
//! ```text
//! x̃_{t,b,i} = x_{t,b,i} · m_{t,b,i} / (1 − p),    m_{t,b,i} ~ Bernoulli(1 − p), independent
//! ```
//!
//! so that E[x̃] = x. Every element of every time step has its own draw (Keras' default noise
//! shape). The mask comes from a seeded stream ([`crate::rng`]) that the caller names — the run's
//! seed, the update and the layer — so a run is reproducible on every backend; evaluation
//! never drops.

use burn::Tensor;
use burn::tensor::{Device, TensorData};
use rand::RngExt;

use crate::rng::rng;

/// Whether `p` is a dropout rate: 0 ≤ p < 1 (p = 1 would drop every input).
pub fn is_rate(p: f64) -> bool {
    (0.0..1.0).contains(&p)
}

/// The inverted-dropout mask of `shape` at rate `p` (a valid [`is_rate`]): every entry is 0
/// with probability p and 1/(1 − p) otherwise, drawn from the stream `(seed, stream)`.
pub fn mask(shape: [usize; 3], p: f64, seed: u64, stream: u64, device: &Device) -> Tensor<3> {
    debug_assert!(is_rate(p), "dropout rate {p} outside [0, 1)");
    let keep = 1.0 - p;
    let scale = 1.0 / keep;
    let mut draws = rng(seed, stream);
    let values: Vec<f64> = (0..shape.iter().product::<usize>()).map(|_| if draws.random::<f64>() < keep { scale } else { 0.0 }).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// `x` `[T, B, n]` with dropout at rate `p` from the stream `(seed, stream)`; `x` itself when
/// p = 0.
pub fn apply(x: Tensor<3>, p: f64, seed: u64, stream: u64) -> Tensor<3> {
    if p == 0.0 {
        return x;
    }
    let m = mask(x.dims(), p, seed, stream, &x.device());
    x * m
}
