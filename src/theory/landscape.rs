//! Loss landscapes of a trained network along random directions (Li et al. 2018), and how
//! fragmented they are (Wenig, Memmesheimer & Klos 2026; other_seeds.md §B).
//!
//! The trainable weights θ (every layer's W_in, W_rec and bias, the readout's weights and bias)
//! are displaced along filter-normalised random directions: d ~ N(0, 1) per entry, each
//! neuron's incoming weights (a column of W_in, W_rec or the readout) rescaled to the norm of
//! the trained column, biases not displaced. A 1-D slice is L(θ + α d) with its gradient norm
//! ‖∇L‖ (the surrogate gradient), a 2-D slice L(θ + α d₁ + β d₂), both on one fixed batch.
//!
//! Fragmentation of a slice L_0 … L_K on an even grid, from the differences ΔL_i = L_{i+1} − L_i:
//!
//! ```text
//! jumps      = #{ i : |ΔL_i| > c · median_j |ΔL_j| }        (c = 5: a sampled smooth curve has none)
//! roughness  = Σ_i |ΔL_{i+1} − ΔL_i| / Σ_i |ΔL_i|          (≈ 0 for a finely sampled smooth curve)
//! ```
//!
//! The parabola x² sampled at K + 1 points on [−1, 1] has no jumps and a roughness of
//! 4(K − 1)/K² ≈ 4/K; a staircase has one jump per step and a roughness of 2.

use burn::Tensor;
use burn::module::Param;
use burn::tensor::{Device, TensorData};
use rand_distr::{Distribution, StandardNormal};

use crate::network::{ClassificationLoss, Network, NetworkError};

/// The trainable weights of a network as host vectors, in a fixed order: per layer W_in,
/// W_rec, bias (when present), then the readout's weights and bias (when present).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// Each tensor's values (row-major) and shape.
    pub tensors: Vec<(Vec<f64>, Vec<usize>)>,
}

fn host<const D: usize>(t: Tensor<D>) -> (Vec<f64>, Vec<usize>) {
    let dims = t.dims().to_vec();
    (crate::host_values(t), dims)
}

impl Weights {
    /// The weights of `net`.
    pub fn of(net: &Network) -> Weights {
        let mut tensors = Vec::new();
        for layer in &net.layers {
            tensors.push(host(layer.input_weights().val()));
            if let Some(w_rec) = layer.recurrent_weights() {
                tensors.push(host(w_rec.val()));
            }
            if let Some(b) = layer.bias() {
                tensors.push(host(b.val()));
            }
        }
        tensors.push(host(net.readout_weight.val()));
        if let Some(b) = &net.readout_bias {
            tensors.push(host(b.val()));
        }
        Weights { tensors }
    }

    /// `net` (which lives on `device`) with these weights as fresh parameters; the shapes must
    /// be those of `net`'s weights.
    pub fn apply(&self, net: &Network, device: &Device) -> Result<Network, NetworkError> {
        let mut net = net.clone();
        let mut it = self.tensors.iter();
        let mut next = |shape: &[usize]| -> Result<&(Vec<f64>, Vec<usize>), NetworkError> {
            let t = it.next().ok_or_else(|| NetworkError::WeightShape("fewer weight tensors than the network has".into()))?;
            if t.1 != shape {
                return Err(NetworkError::WeightShape(format!("a weight tensor of shape {shape:?} was expected, got {:?}", t.1)));
            }
            Ok(t)
        };
        let matrix = |t: &(Vec<f64>, Vec<usize>)| Tensor::<2>::from_data(TensorData::new(t.0.clone(), [t.1[0], t.1[1]]), device);
        let vector = |t: &(Vec<f64>, Vec<usize>)| Tensor::<1>::from_data(TensorData::new(t.0.clone(), [t.1[0]]), device);
        for layer in &mut net.layers {
            let w_in = matrix(next(&layer.input_weights().dims())?);
            layer.replace_input_weights(w_in);
            if let Some(dims) = layer.recurrent_weights().map(|w| w.dims()) {
                let w_rec = matrix(next(&dims)?);
                layer.replace_recurrent_weights(w_rec);
            }
            if let Some(dims) = layer.bias().map(|b| b.dims()) {
                let b = vector(next(&dims)?);
                layer.replace_bias(b);
            }
        }
        net.readout_weight = Param::from_tensor(matrix(next(&net.readout_weight.dims())?));
        if let Some(b) = net.readout_bias.as_mut() {
            *b = Param::from_tensor(vector(next(&b.dims())?));
        }
        Ok(net)
    }

    /// θ + Σ_k a_k d_k.
    pub fn displaced(&self, steps: &[(f64, &Weights)]) -> Weights {
        let mut out = self.clone();
        for (a, d) in steps {
            for ((values, _), (dv, _)) in out.tensors.iter_mut().zip(&d.tensors) {
                values.iter_mut().zip(dv).for_each(|(v, x)| *v += a * x);
            }
        }
        out
    }

    /// A filter-normalised random direction for these weights (module docs), drawn from `seed`.
    pub fn random_direction(&self, seed: u64) -> Weights {
        let mut rng = crate::rng::rng(seed, 0x1A5D);
        let tensors = self
            .tensors
            .iter()
            .map(|(values, shape)| {
                if shape.len() == 1 {
                    return (vec![0.0; values.len()], shape.clone());
                }
                let (rows, cols) = (shape[0], shape[1]);
                let mut d: Vec<f64> = (0..values.len()).map(|_| StandardNormal.sample(&mut rng)).collect();
                for j in 0..cols {
                    let norm = |v: &[f64]| (0..rows).map(|i| v[i * cols + j].powi(2)).sum::<f64>().sqrt();
                    let (target, own) = (norm(values), norm(&d));
                    let scale = if own > 0.0 { target / own } else { 0.0 };
                    (0..rows).for_each(|i| d[i * cols + j] *= scale);
                }
                (d, shape.clone())
            })
            .collect();
        Weights { tensors }
    }
}

/// The loss of `net` on (`inputs`, `labels`) and the norm of its (surrogate) gradient with
/// respect to the trainable weights; `net` must live on an autodiff device.
pub fn loss_and_gradient_norm(net: &Network, inputs: Tensor<3>, labels: &[usize], loss: ClassificationLoss) -> Result<(f64, f64), NetworkError> {
    let value = loss.loss(net.forward(inputs)?.logits, labels)?;
    let scalar = value.clone().into_scalar::<f64>();
    let grads = value.backward();
    let mut squares = 0.0;
    let mut add = |g: Option<Tensor<2>>| squares += g.map_or(0.0, |g| g.powi_scalar(2).sum().into_scalar::<f64>());
    for layer in &net.layers {
        add(layer.input_weights().grad(&grads));
        add(layer.recurrent_weights().and_then(|w| w.grad(&grads)));
        add(layer.bias().and_then(|b| b.grad(&grads)).map(|g| g.unsqueeze_dim(0)));
    }
    add(net.readout_weight.grad(&grads));
    add(net.readout_bias.as_ref().and_then(|b| b.grad(&grads)).map(|g| g.unsqueeze_dim(0)));
    Ok((scalar, squares.sqrt()))
}

/// L(θ + α d) and ‖∇L‖ at each α of `alphas`, on the autodiff `device`.
pub fn slice_1d(
    net: &Network,
    direction: &Weights,
    alphas: &[f64],
    inputs: &Tensor<3>,
    labels: &[usize],
    loss: ClassificationLoss,
    device: &Device,
) -> Result<Vec<(f64, f64)>, NetworkError> {
    let base = Weights::of(net);
    alphas
        .iter()
        .map(|&a| loss_and_gradient_norm(&base.displaced(&[(a, direction)]).apply(net, device)?, inputs.clone(), labels, loss))
        .collect()
}

/// L(θ + α d₁ + β d₂) over the grid `alphas × betas` (α outer), on `device` — a device without
/// autodiff, as no gradient is taken (an autodiff graph that is never differentiated is kept).
#[allow(clippy::too_many_arguments)]
pub fn slice_2d(
    net: &Network,
    directions: (&Weights, &Weights),
    alphas: &[f64],
    betas: &[f64],
    inputs: &Tensor<3>,
    labels: &[usize],
    loss: ClassificationLoss,
    device: &Device,
) -> Result<Vec<f64>, NetworkError> {
    let base = Weights::of(net);
    let mut out = Vec::with_capacity(alphas.len() * betas.len());
    for &a in alphas {
        for &b in betas {
            let displaced = base.displaced(&[(a, directions.0), (b, directions.1)]).apply(net, device)?;
            out.push(loss.loss(displaced.forward(inputs.clone())?.logits, labels)?.into_scalar::<f64>());
        }
    }
    Ok(out)
}

/// The number of steps of `values` larger than `factor` times the median absolute step
/// (module docs); 0 for fewer than 2 values.
pub fn jumps(values: &[f64], factor: f64) -> usize {
    jump_steps(values, factor).len()
}

/// The steps i (from `values[i]` to `values[i + 1]`) that [`jumps`] counts.
pub fn jump_steps(values: &[f64], factor: f64) -> Vec<usize> {
    let steps: Vec<f64> = values.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    if steps.is_empty() {
        return Vec::new();
    }
    let threshold = factor * crate::stats::median(&steps);
    steps.iter().enumerate().filter(|&(_, &s)| s > threshold && s > 0.0).map(|(i, _)| i).collect()
}

/// Σ|Δ²L| / Σ|ΔL| (module docs); 0 for a constant slice.
pub fn roughness(values: &[f64]) -> f64 {
    let d: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    let total: f64 = d.iter().map(|x| x.abs()).sum();
    if total == 0.0 {
        return 0.0;
    }
    d.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / total
}
