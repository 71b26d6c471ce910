//! A feed-forward network of event-driven neurons, its exact forward pass and its adjoint.
//!
//! Layer l (l = 1..L) has weights W_l ∈ ℝ^{n_l × n_{l−1}} and, for the theta neuron, trained
//! initial phases φ₀ ∈ [0, Θ]^{n_l}; layer 0 is the input. Neurons of one layer do not
//! interact, so each runs on its own over the time-sorted spikes of the layer below
//! ([`EventModel::run`]), and the spikes of all its neurons, merged in time, are the next
//! layer's input: the simulation is exact and needs no global event queue.
//!
//! Output: the first spike time t_i of each output neuron; a neuron silent in the trial takes
//! its pseudospike time (spikegd): a rate network run on the end potentials u,
//!
//! ```text
//! r₀ = 0,   x_l = W_l r_{l−1},   r_l = ρ(u_l, x_l)   (hidden),   t_i = pseudo_time(u_i, x_i)   (output)
//! ```
//!
//! so that the loss has a gradient that adds a missing output spike. A hidden neuron's rate is
//! its progress ρ ∈ [0, 1] towards its next spike after the trial ([`EventModel::pseudo_rate`]),
//! not its spike count: the spikes of the trial have reached the next layer as real inputs
//! already. For the theta neuron this keeps the loss continuous where a hidden spike crosses the
//! trial end T: just before, it reaches the next layer as an input of weight w at T⁻ and the
//! neuron's progress is ≈ 0; just after, there is no input but the progress is ≈ 1, and
//! x = w · 1 enters the pseudospike through the same map H(φ, x) as the input would have. The
//! adjoint first runs
//! this rate network backwards (which gives ū for every neuron), then the layers' spike
//! trajectories from the top: the adjoint of a layer's input spike times is the adjoint of the
//! spike times of the layer below.

use rand::RngExt;
use rayon::prelude::*;

use super::loss::FirstSpikeLoss;
use super::neuron::{EventModel, Trajectory};
use super::{EventError, EventSample};

/// A feed-forward event-driven network (module docs); its parameters are one flat vector,
/// layer by layer the weights (row-major, rows the receiving neurons) then, for the theta
/// neuron, the initial phases.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventNetwork {
    /// The neuron model of every layer.
    pub model: EventModel,
    /// Layer widths, the inputs first and the outputs last.
    pub sizes: Vec<usize>,
    /// The trial length T.
    pub duration: f64,
    /// Spikes per neuron and trial beyond which the neuron is frozen ([`EventModel::run`]).
    pub max_spikes: usize,
    /// The parameters (struct docs).
    pub params: Vec<f64>,
}

/// One layer's part of a forward pass.
#[derive(Debug, Clone)]
pub struct LayerPass {
    /// Time-sorted input spike times of the layer.
    pub times: Vec<f64>,
    /// The presynaptic neuron of each input spike.
    pub sources: Vec<u32>,
    /// For each input spike, the index of that spike among its source's spikes.
    pub source_spike: Vec<u32>,
    /// Each neuron's trajectory.
    pub neurons: Vec<Trajectory>,
    /// The rate network's input x_l.
    pub pseudo_input: Vec<f64>,
    /// The rate network's output: the progress ρ (hidden) or the pseudospike times (output),
    /// with their partials (∂/∂u, ∂/∂x).
    pub pseudo: Vec<(f64, f64, f64)>,
    /// The rates r_l = ρ passed on (hidden layers).
    pub rates: Vec<f64>,
}

/// A forward pass of one sample.
#[derive(Debug, Clone)]
pub struct Pass {
    /// The layers 1..L.
    pub layers: Vec<LayerPass>,
    /// The output times: first spike or pseudospike.
    pub outputs: Vec<f64>,
}

impl Pass {
    /// Whether output neuron i spiked in the trial.
    pub fn output_spiked(&self, i: usize) -> bool {
        self.layers.last().is_some_and(|l| !l.neurons[i].spikes.is_empty())
    }

    /// Spike counts of every neuron of hidden layer `layer` (1-based).
    pub fn spike_counts(&self, layer: usize) -> Vec<usize> {
        self.layers[layer - 1].neurons.iter().map(|n| n.spikes.len()).collect()
    }

    /// Spikes dropped at the spike limit, over all neurons.
    pub fn dropped(&self) -> usize {
        self.layers.iter().flat_map(|l| l.neurons.iter()).map(|n| n.dropped).sum()
    }
}

/// Loss, correctness and (optionally) gradient summed over a batch.
#[derive(Debug, Clone, Default)]
pub struct BatchResult {
    /// Σ loss.
    pub loss: f64,
    /// Correctly classified samples.
    pub correct: usize,
    /// Samples.
    pub samples: usize,
    /// Σ ∂loss/∂params (empty when not asked for).
    pub gradient: Vec<f64>,
    /// Spikes of every hidden neuron, summed over the samples (hidden layers in order).
    pub hidden_spikes: Vec<usize>,
    /// Samples in which a hidden neuron spiked, per hidden neuron.
    pub hidden_active: Vec<usize>,
    /// Output neurons that spiked in the trial, summed over the samples.
    pub output_spikes: usize,
    /// Spikes dropped at the spike limit.
    pub dropped: usize,
}

impl BatchResult {
    fn merge(mut self, other: BatchResult) -> BatchResult {
        self.loss += other.loss;
        self.correct += other.correct;
        self.samples += other.samples;
        add_into(&mut self.gradient, &other.gradient);
        add_into(&mut self.hidden_spikes, &other.hidden_spikes);
        add_into(&mut self.hidden_active, &other.hidden_active);
        self.output_spikes += other.output_spikes;
        self.dropped += other.dropped;
        self
    }

    /// Mean loss.
    pub fn mean_loss(&self) -> f64 {
        self.loss / self.samples.max(1) as f64
    }

    /// Share correct.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.samples.max(1) as f64
    }

    /// Hidden neurons that spiked in none of the samples.
    pub fn silent_neurons(&self) -> usize {
        self.hidden_active.iter().filter(|&&a| a == 0).count()
    }

    /// Mean spikes per hidden neuron and sample.
    pub fn hidden_rate(&self) -> f64 {
        let n = self.hidden_spikes.len() * self.samples.max(1);
        self.hidden_spikes.iter().sum::<usize>() as f64 / n.max(1) as f64
    }
}

/// a += b elementwise, or a = b when a is empty (an accumulator not yet used).
fn add_into<T: Copy + std::ops::AddAssign>(a: &mut Vec<T>, b: &[T]) {
    if a.is_empty() {
        a.extend_from_slice(b);
    } else {
        for (x, y) in a.iter_mut().zip(b) {
            *x += *y;
        }
    }
}

impl EventNetwork {
    /// A network with weights U(−s/√n_{l−1}, s/√n_{l−1}) for weight scale s (spikegd's
    /// initialisation) and theta initial phases Θ/2, from `seed`.
    pub fn new(model: EventModel, sizes: Vec<usize>, duration: f64, weight_scale: f64, seed: u64) -> Result<EventNetwork, EventError> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(EventError::parameter("sizes", format!("at least an input and an output layer, all widths > 0, got {sizes:?}")));
        }
        if !(duration > 0.0 && duration.is_finite()) {
            return Err(EventError::parameter("duration", format!("a finite trial length > 0, got {duration}")));
        }
        if !(weight_scale > 0.0 && weight_scale.is_finite()) {
            return Err(EventError::parameter("weight_scale", format!("a finite scale > 0, got {weight_scale}")));
        }
        let mut rng = crate::rng::rng(seed, 0x4556_454E_5400_0000);
        let mut params = Vec::new();
        for l in 1..sizes.len() {
            let width = weight_scale / (sizes[l - 1] as f64).sqrt();
            params.extend((0..sizes[l] * sizes[l - 1]).map(|_| rng.random_range(-width..width)));
            if let EventModel::Theta(m) = model {
                params.extend(std::iter::repeat_n(m.period() / 2.0, sizes[l]));
            }
        }
        Ok(EventNetwork { model, sizes, duration, max_spikes: 64, params })
    }

    /// Layers L (the input not counted).
    pub fn depth(&self) -> usize {
        self.sizes.len() - 1
    }

    /// Offset of layer l's (1-based) weights and of its initial phases in the parameters.
    pub fn offsets(&self, l: usize) -> (usize, usize) {
        let per = |k: usize| self.sizes[k] * self.sizes[k - 1] + if self.model.has_initial_phase() { self.sizes[k] } else { 0 };
        let start: usize = (1..l).map(per).sum();
        (start, start + self.sizes[l] * self.sizes[l - 1])
    }

    /// Whether parameter `p` is a weight (not an initial phase).
    pub fn weight_mask(&self) -> Vec<bool> {
        let mut mask = vec![false; self.params.len()];
        for l in 1..=self.depth() {
            let (w, phases) = self.offsets(l);
            mask[w..phases].iter_mut().for_each(|m| *m = true);
        }
        mask
    }

    /// Checks that a sample fits the input layer.
    pub fn check(&self, sample: &EventSample) -> Result<(), EventError> {
        if let Some(&c) = sample.channels.iter().find(|&&c| c as usize >= self.sizes[0]) {
            return Err(EventError::Shape(format!("input channel {c} for a network of {} inputs", self.sizes[0])));
        }
        if sample.label >= self.sizes[self.depth()] {
            return Err(EventError::Shape(format!("label {} for a network of {} outputs", sample.label, self.sizes[self.depth()])));
        }
        Ok(())
    }

    /// The exact forward pass of one sample (module docs).
    pub fn forward(&self, sample: &EventSample) -> Pass {
        let mut layers: Vec<LayerPass> = Vec::with_capacity(self.depth());
        let mut times = sample.times.clone();
        let mut sources = sample.channels.clone();
        let mut source_spike = vec![0; times.len()];
        let mut rates = vec![0.0; self.sizes[0]];
        for l in 1..=self.depth() {
            let (n_in, n) = (self.sizes[l - 1], self.sizes[l]);
            let (w0, p0) = self.offsets(l);
            let w = &self.params[w0..w0 + n * n_in];
            let neurons: Vec<Trajectory> = (0..n)
                .map(|i| {
                    let initial = if self.model.has_initial_phase() { self.params[p0 + i] } else { 0.0 };
                    self.model.run(initial, &times, &sources, &w[i * n_in..(i + 1) * n_in], self.duration, self.max_spikes)
                })
                .collect();
            let pseudo_input: Vec<f64> = (0..n).map(|i| w[i * n_in..(i + 1) * n_in].iter().zip(&rates).map(|(a, b)| a * b).sum()).collect();
            let last = l == self.depth();
            let pseudo: Vec<(f64, f64, f64)> = neurons
                .iter()
                .zip(&pseudo_input)
                .map(|(t, &x)| if last { self.model.pseudo_time(t.end, x, self.duration) } else { self.model.pseudo_rate(t.end, x) })
                .collect();
            rates = pseudo.iter().map(|p| p.0).collect();
            let layer = LayerPass { times, sources, source_spike, neurons, pseudo_input, pseudo, rates: rates.clone() };
            let mut merged: Vec<(f64, u32, u32)> =
                layer.neurons.iter().enumerate().flat_map(|(i, t)| t.spikes.iter().enumerate().map(move |(k, &s)| (s, i as u32, k as u32))).collect();
            merged.sort_by(|a, b| a.0.total_cmp(&b.0));
            times = merged.iter().map(|m| m.0).collect();
            sources = merged.iter().map(|m| m.1).collect();
            source_spike = merged.iter().map(|m| m.2).collect();
            layers.push(layer);
        }
        let top = layers.last().expect("at least one layer");
        let outputs = top.neurons.iter().zip(&top.pseudo).map(|(t, p)| t.spikes.first().copied().unwrap_or(p.0)).collect();
        Pass { layers, outputs }
    }

    /// ∂loss/∂params of one forward pass, given ∂loss/∂outputs (module docs), added to `grad`.
    pub fn backward(&self, pass: &Pass, output_grad: &[f64], grad: &mut [f64]) {
        let depth = self.depth();
        // The rate network, backwards: ū per neuron, W̄ from the pseudo products.
        let mut end_grad: Vec<Vec<f64>> = (1..=depth).map(|l| vec![0.0; self.sizes[l]]).collect();
        let mut x_grad: Vec<f64> = vec![0.0; self.sizes[depth]];
        for (i, &g) in output_grad.iter().enumerate() {
            if !pass.output_spiked(i) {
                let (_, du, dx) = pass.layers[depth - 1].pseudo[i];
                end_grad[depth - 1][i] += g * du;
                x_grad[i] = g * dx;
            }
        }
        for l in (2..=depth).rev() {
            let (n_in, n) = (self.sizes[l - 1], self.sizes[l]);
            let (w0, _) = self.offsets(l);
            let below = &pass.layers[l - 2];
            let mut rate_grad = vec![0.0; n_in];
            for i in 0..n {
                if x_grad[i] == 0.0 {
                    continue;
                }
                let row = w0 + i * n_in;
                for j in 0..n_in {
                    grad[row + j] += x_grad[i] * below.rates[j];
                    rate_grad[j] += x_grad[i] * self.params[row + j];
                }
            }
            x_grad = vec![0.0; n_in];
            for j in 0..n_in {
                let (_, du, dx) = below.pseudo[j];
                end_grad[l - 2][j] += rate_grad[j] * du;
                x_grad[j] = rate_grad[j] * dx;
            }
        }
        // The spike trajectories, from the top.
        let mut spike_grad: Vec<Vec<f64>> = pass.layers[depth - 1].neurons.iter().map(|t| vec![0.0; t.spikes.len()]).collect();
        for (i, &g) in output_grad.iter().enumerate() {
            if pass.output_spiked(i) {
                spike_grad[i][0] += g;
            }
        }
        for l in (1..=depth).rev() {
            let layer = &pass.layers[l - 1];
            let n_in = self.sizes[l - 1];
            let (w0, p0) = self.offsets(l);
            let mut time_grad = vec![0.0; layer.times.len()];
            for (i, t) in layer.neurons.iter().enumerate() {
                let row = w0 + i * n_in;
                let initial = t.backward(&spike_grad[i], end_grad[l - 1][i], &layer.sources, &mut grad[row..row + n_in], &mut time_grad);
                if self.model.has_initial_phase() {
                    grad[p0 + i] += initial;
                }
            }
            if l > 1 {
                let below = &pass.layers[l - 2];
                spike_grad = below.neurons.iter().map(|t| vec![0.0; t.spikes.len()]).collect();
                for (e, g) in time_grad.iter().enumerate() {
                    spike_grad[layer.sources[e] as usize][layer.source_spike[e] as usize] += g;
                }
            }
        }
    }

    /// Loss, accuracy and activity over `samples`, with the summed gradient when `gradient`;
    /// chunks of [`EVALUATION_CHUNK`] samples run in parallel on rayon's pool and their sums are
    /// added in sample order, so the result does not depend on the number of threads.
    pub fn evaluate(&self, samples: &[&EventSample], loss: &FirstSpikeLoss, gradient: bool) -> BatchResult {
        let partial: Vec<BatchResult> =
            samples.par_chunks(EVALUATION_CHUNK).map(|chunk| chunk.iter().fold(BatchResult::default(), |acc, s| acc.merge(self.sample(s, loss, gradient)))).collect();
        partial.into_iter().fold(BatchResult::default(), BatchResult::merge)
    }

    /// [`EventNetwork::evaluate`] of one sample.
    fn sample(&self, s: &EventSample, loss: &FirstSpikeLoss, gradient: bool) -> BatchResult {
        let pass = self.forward(s);
        let (value, correct, output_grad) = loss.evaluate(&pass.outputs, s.label, self.duration);
        let mut g = Vec::new();
        if gradient {
            g = vec![0.0; self.params.len()];
            self.backward(&pass, &output_grad, &mut g);
        }
        let spikes: Vec<usize> = (1..self.depth()).flat_map(|l| pass.spike_counts(l)).collect();
        let active = spikes.iter().map(|&c| usize::from(c > 0)).collect();
        let output_spikes = (0..self.sizes[self.depth()]).filter(|&i| pass.output_spiked(i)).count();
        BatchResult { loss: value, correct: usize::from(correct), samples: 1, gradient: g, hidden_spikes: spikes, hidden_active: active, output_spikes, dropped: pass.dropped() }
    }
}

/// Samples per parallel chunk of [`EventNetwork::evaluate`].
pub const EVALUATION_CHUNK: usize = 8;
