//! From an architecture and its input statistics to the recommended initialisation and
//! surrogate, layer by layer (stable_spike.md §4.5: I → II → III → IV for each layer in turn).
//!
//! For layer l with n_in inputs of moments m_l (the task's for l = 0, Bernoulli(½) above):
//!
//! ```text
//! W_in   as the network draws it (its initialiser and seed)      → Var(W_in)
//! μ_rec  Condition I;   σ²_rec  Condition II
//! W_rec  uniform with mean μ_rec and variance σ²_rec: U[μ − √(3σ²), μ + √(3σ²)], diagonal masked
//! γ      Condition III on (W_rec, W_in), γ_in = 0; the layer's γ is the mean over neurons
//! β / q  Condition IV with that γ, for shapes with a sharpness (β) or the q-PseudoSpike (q)
//! ```
//!
//! [`apply`] writes the predicted recurrent weights and per-layer surrogates into a network.

use burn::Tensor;
use burn::module::Param;
use burn::tensor::TensorData;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::conditions::{
    ConditionIvTarget, InputMoments, Matrix, Solution, condition_i_mean, condition_ii_variance, condition_iii_dampening,
    condition_iv, reset_threshold,
};
use crate::init::rng;
use crate::network::{Network, NetworkConfig, NetworkError};
use crate::neuron::NeuronConfig;
use crate::spike::SpikeFn;
use crate::surrogate::{Shape, Surrogate};

/// Random stream of the predicted recurrent weights.
const STABILITY_STREAM: u64 = 0x5354_4142_0000_0000; // "STAB"

/// Errors of a prediction.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// The network could not be built.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The flex backend is not compiled in.
    #[error(transparent)]
    Backend(#[from] crate::BackendError),
    /// A predicted surrogate parameter is invalid (γ, β ≤ 0 or q ≤ 1).
    #[error(transparent)]
    Surrogate(#[from] crate::surrogate::SurrogateError),
}

/// The recommendation for one layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerPrediction {
    /// Layer index, bottom first.
    pub layer: usize,
    /// Inputs n_in and neurons n.
    pub n_in: usize,
    /// Neurons.
    pub n: usize,
    /// Input moments used by Condition II.
    pub input: InputMoments,
    /// Condition I: recurrent weight mean.
    pub w_rec_mean: f64,
    /// Condition II: recurrent weight variance (exact = false when it had to be clamped to 0).
    pub w_rec_var: Solution,
    /// Condition III: the layer's dampening γ (mean over neurons).
    pub dampening: f64,
    /// Spread of the per-neuron γ_j: (min, max).
    pub dampening_range: (f64, f64),
    /// Condition IV: mean over neurons of β, and the fraction of neurons with an exact root.
    pub sharpness: Option<(f64, f64)>,
    /// Condition IV for the q-PseudoSpike: mean over neurons of q and the fraction with a root.
    pub tail: Option<(f64, f64)>,
    /// The surrogate this layer should use.
    pub surrogate: Surrogate,
}

/// Predictions for every layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Bottom first.
    pub layers: Vec<LayerPrediction>,
}

fn mean_and_exact(solutions: &[Solution]) -> (f64, f64) {
    let n = solutions.len().max(1) as f64;
    (
        solutions.iter().map(|s| s.value).sum::<f64>() / n,
        solutions.iter().filter(|s| s.exact).count() as f64 / n,
    )
}

/// A host copy of a `[rows, cols]` weight tensor.
fn host(t: Tensor<2>) -> Matrix {
    let [rows, cols] = t.dims();
    Matrix::new(rows, cols, super::diagnostics::values(t))
}

/// Recommended initialisation and surrogate for `config` on input of moments `input`.
///
/// The network is initialised on the flex backend to read the input weights it would draw; the
/// surrogate's shape comes from `config.surrogate` (its γ, β or q are what is predicted).
pub fn predict(config: &NetworkConfig, input: InputMoments) -> Result<Prediction, PredictError> {
    let device = crate::device("flex")?;
    let net = config.init(&device)?;
    let (alpha_tau, threshold, reset) = match &config.neuron {
        NeuronConfig::Lif(c) => (c.tau, c.threshold, c.reset),
        NeuronConfig::Alif(c) => (c.lif.tau, c.lif.threshold, c.lif.reset),
    };
    let alpha = (-1.0 / alpha_tau).exp();
    let theta = reset_threshold(reset, threshold);
    let mut layers = Vec::new();
    let mut moments = input;
    for (l, layer) in net.layers.iter().enumerate() {
        let lif = layer.lif();
        let w_in = host(lif.w_in.val());
        let (n_in, n) = (w_in.rows, w_in.cols);
        let (_, var_in) = w_in.moments(false);
        let mu = condition_i_mean(reset, alpha, threshold, n);
        let var = condition_ii_variance(moments, var_in, n_in, n, mu);
        let w_rec = recurrent_weights(n, mu, var.value, config.seed, l);
        let gammas = condition_iii_dampening(&w_rec, &w_in, alpha, theta, 0.0);
        let gamma = gammas.iter().sum::<f64>() / n as f64;
        let range = gammas.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &g| (a.min(g), b.max(g)));
        let shape = config.surrogate.shape();
        let base = Surrogate::new(shape, gamma.max(1e-6), config.surrogate.sharpness())?;
        let (sharpness, tail, surrogate) = match shape {
            Shape::PseudoSpike { .. } => {
                let (q, frac) = mean_and_exact(&condition_iv(&base, ConditionIvTarget::Tail, &w_rec, &w_in, reset, alpha, threshold));
                let s = Surrogate::new(Shape::PseudoSpike { tail: q }, base.dampening(), base.sharpness())?;
                (None, Some((q, frac)), s)
            }
            _ => {
                let (beta, frac) = mean_and_exact(&condition_iv(&base, ConditionIvTarget::Sharpness, &w_rec, &w_in, reset, alpha, threshold));
                let s = Surrogate::new(shape, base.dampening(), beta)?;
                (Some((beta, frac)), None, s)
            }
        };
        layers.push(LayerPrediction {
            layer: l,
            n_in,
            n,
            input: moments,
            w_rec_mean: mu,
            w_rec_var: var,
            dampening: gamma,
            dampening_range: range,
            sharpness,
            tail,
            surrogate,
        });
        moments = InputMoments::SPIKES_AT_HALF;
    }
    Ok(Prediction { layers })
}

/// W_rec `[n, n]` uniform with mean μ and variance σ², diagonal zero, drawn from `seed` and the
/// layer index.
pub fn recurrent_weights(n: usize, mean: f64, variance: f64, seed: u64, layer: usize) -> Matrix {
    let half_width = (3.0 * variance.max(0.0)).sqrt();
    let mut r = rng(seed, STABILITY_STREAM + layer as u64);
    let data = (0..n * n)
        .map(|k| {
            let w = if half_width > 0.0 { r.random_range(mean - half_width..mean + half_width) } else { mean };
            if k / n == k % n { 0.0 } else { w }
        })
        .collect();
    Matrix::new(n, n, data)
}

/// Writes the predicted recurrent weights (Conditions I–II) into `net` and, when
/// `set_surrogates`, each layer's predicted surrogate (Conditions III–IV).
pub fn apply(mut net: Network, prediction: &Prediction, seed: u64, set_surrogates: bool) -> Network {
    for (layer, p) in net.layers.iter_mut().zip(&prediction.layers) {
        let lif = layer.lif_mut();
        let device = lif.w_rec.val().device();
        let w = recurrent_weights(p.n, p.w_rec_mean, p.w_rec_var.value, seed, p.layer);
        let tensor = Tensor::<2>::from_data(TensorData::new(w.data, [p.n, p.n]), &device);
        let require_grad = lif.w_rec.val().is_require_grad();
        lif.w_rec = Param::from_tensor(tensor).set_require_grad(require_grad);
        if set_surrogates {
            lif.spike_fn = SpikeFn::new(p.surrogate);
        }
    }
    net
}

/// The paper's settings, for `sglab predict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// 784 inputs, 2 × 128 LIF, τ = 0.1, ϑ = 0.01, Glorot-uniform, ∂fast-sigmoid; input
    /// statistics of the embedded sl-MNIST training digits.
    Slmnist2x128,
    /// 700 inputs, 2 × 256 LIF, τ = 0.1, ϑ = 0.01, Glorot-uniform, ∂fast-sigmoid; the paper's
    /// SHD input statistics (μ = 0.04388, σ² = 0.04196), since the SHD files are not embedded.
    Shd2x256,
}

impl std::str::FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "slmnist-2x128" => Ok(Preset::Slmnist2x128),
            "shd-2x256" => Ok(Preset::Shd2x256),
            other => Err(format!("unknown preset {other:?}; known: slmnist-2x128, shd-2x256")),
        }
    }
}

impl Preset {
    /// The network configuration.
    pub fn network(self) -> NetworkConfig {
        let lif = crate::neuron::LifConfig::new().with_tau(0.1).with_threshold(0.01);
        let (inputs, width, classes) = match self {
            Preset::Slmnist2x128 => (784, 128, 10),
            Preset::Shd2x256 => (700, 256, 20),
        };
        NetworkConfig::new(inputs, vec![width, width], classes).with_neuron(NeuronConfig::Lif(lif))
    }

    /// The input statistics.
    pub fn input(self) -> Result<InputMoments, crate::data::DataError> {
        match self {
            Preset::Slmnist2x128 => {
                let data = crate::data::slmnist::load(&crate::data::slmnist::SlMnistConfig::default())?;
                Ok(data.train.statistics()?.into())
            }
            Preset::Shd2x256 => Ok(InputMoments { mean: 0.04388, variance: 0.04196 }),
        }
    }
}
