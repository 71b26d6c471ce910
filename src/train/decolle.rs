//! DECOLLE's local learning rule (Kaiser, Mostafa & Neftci 2020; `decolle.utils.train`) for
//! [`DecolleNet`], with Herranz-Celotti & Rouat's firing-rate control (stable_spike.md §7).
//!
//! For each batch, from zero traces:
//!
//! ```text
//! t < burn_in:  run the step only
//! t ≥ burn_in:  (state, out) ← net.step(x_t, state)
//!               L_t = Σ_l SmoothL1(Y^{(l)}_t, onehot(label))
//!                   + [epoch ≤ until_epoch] λ Σ_l | S̄^{(l)}_t − f |
//!               θ ← optimiser(θ, ∂L_t/∂θ)          one update per time step
//! ```
//!
//! Each step's graph reaches only every layer's own W and b through its U_t (the traces and
//! the inputs between layers are detached), so no gradient crosses layers or steps. The
//! prediction is argmax_c Σ_{t ≥ burn_in} Y^{top}_t, the top layer's readout summed over time;
//! the reported loss is the top layer's SmoothL1 averaged over steps.

use burn::Tensor;
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Device;

use super::TrainError;
use super::config::TrainConfig;
use super::learner::{BatchContext, BatchOutcome, Learner};
use super::metrics::{EvalMetrics, MetricSums, correct_predictions};
use crate::data::{Batch, SpikeDataset};
use crate::init::lsuv::Lsuv;
use crate::init::{InitContext, Initialiser};
use crate::weights::matrix;
use crate::neuron::decolle::{DecolleConfig, DecolleNet, smooth_l1};

/// The one-hot targets `[B, C]` of `labels`.
fn one_hot(labels: &[usize], classes: usize, device: &Device) -> Tensor<2> {
    let mut values = vec![0.0; labels.len() * classes];
    for (i, &c) in labels.iter().enumerate() {
        values[i * classes + c] = 1.0;
    }
    matrix(values, labels.len(), classes, device)
}

/// The DECOLLE settings of `config`, which [`TrainConfig::validate`] guarantees for a DECOLLE run.
fn settings(config: &TrainConfig) -> DecolleConfig {
    match &config.method {
        super::config::Method::Decolle(d) => *d,
        super::config::Method::Bptt(_) => panic!("a DECOLLE run has decolle settings"),
    }
}

/// Sums over the steps after the burn-in of one pass over a batch.
struct PassSums {
    /// Σ_t SmoothL1 of the top layer (detached).
    top_loss: Tensor<1>,
    /// Σ_t of the rate terms (detached), when on.
    control: Option<Tensor<1>>,
    /// Σ_t Y^{top}_t `[B, C]` (detached).
    top_readout: Tensor<2>,
    /// Σ_t S^{(l)}_t summed over batch and neurons, per layer (detached).
    spikes: Vec<Tensor<1>>,
    /// Steps summed.
    steps: usize,
}

/// Runs `net` over `batch`; with `optim`, learns at every step after the burn-in. Returns the
/// (possibly updated) network and the sums.
fn pass(
    mut net: DecolleNet,
    batch: &Batch,
    settings: &DecolleConfig,
    mut learning: Option<(&mut ModuleOptimizer, f64, bool)>,
) -> Result<(DecolleNet, PassSums), TrainError> {
    let [steps, size, channels] = batch.inputs.dims();
    if channels != net.input_size() {
        return Err(TrainError::Network(crate::network::NetworkError::InputShape {
            expected_channels: net.input_size(),
            got: [steps, size, channels],
        }));
    }
    if settings.burn_in >= steps {
        return Err(TrainError::config("decolle.burn_in", format!("fewer burn-in steps than the {steps} steps of a sample, got {}", settings.burn_in)));
    }
    let device = batch.inputs.device();
    let target = one_hot(&batch.labels, net.classes(), &device);
    let control = settings.rate_control.filter(|_| learning.as_ref().is_some_and(|(_, _, on)| *on));
    let mut state = net.initial_state(size);
    let mut sums = PassSums {
        top_loss: Tensor::zeros([1], &device),
        control: control.map(|_| Tensor::zeros([1], &device)),
        top_readout: Tensor::zeros([size, net.classes()], &device),
        spikes: net.layers.iter().map(|_| Tensor::zeros([1], &device)).collect(),
        steps: 0,
    };
    for (t, xt) in batch.inputs.clone().iter_dim(0).enumerate() {
        let (next, outputs) = net.step(xt.squeeze_dim(0), &state);
        state = next;
        if t < settings.burn_in {
            continue;
        }
        let losses: Vec<Tensor<1>> = outputs.iter().map(|o| smooth_l1(o.y.clone(), target.clone())).collect();
        let top = outputs.last().expect("at least one layer");
        sums.top_loss = sums.top_loss + losses.last().expect("at least one layer").clone().detach();
        sums.top_readout = sums.top_readout + top.y.clone().detach();
        for (sum, o) in sums.spikes.iter_mut().zip(&outputs) {
            *sum = sum.clone() + o.s.clone().detach().sum();
        }
        sums.steps += 1;
        if let Some((optim, lr, _)) = learning.as_mut() {
            let mut loss = losses.into_iter().reduce(|a, b| a + b).expect("at least one layer");
            if let Some(c) = control {
                let term = outputs
                    .iter()
                    .map(|o| o.s.clone().mean().sub_scalar(c.target).abs())
                    .reduce(|a, b| a + b)
                    .expect("at least one layer")
                    * c.weight;
                sums.control = sums.control.map(|s| s + term.clone().detach());
                loss = loss + term;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(*lr, net, grads);
        }
    }
    Ok((net, sums))
}

impl PassSums {
    fn outcome(self, labels: &[usize], widths: &[usize]) -> Result<BatchOutcome, TrainError> {
        let steps = self.steps.max(1) as f64;
        let size = labels.len() as f64;
        let correct = correct_predictions(&self.top_readout.unsqueeze_dim(0), labels)?;
        Ok(BatchOutcome {
            task_loss: self.top_loss.into_scalar::<f64>() / steps,
            regularizer_loss: self.control.map_or(0.0, |c| c.into_scalar::<f64>() / steps),
            correct,
            rates: self.spikes.into_iter().zip(widths).map(|(s, &n)| s.into_scalar::<f64>() / (steps * size * n as f64)).collect(),
        })
    }
}

fn widths(net: &DecolleNet) -> Vec<usize> {
    net.layers.iter().map(|l| l.weight.dims()[1]).collect()
}

impl Learner for DecolleNet {
    fn learn(self, batch: Batch, optim: &mut ModuleOptimizer, context: &BatchContext) -> Result<(Self, BatchOutcome), TrainError> {
        let settings = settings(context.config);
        let control_on = settings.rate_control.is_some_and(|c| context.epoch <= c.until_epoch);
        let widths = widths(&self);
        let (net, sums) = pass(self, &batch, &settings, Some((optim, context.config.optimizer.lr, control_on)))?;
        Ok((net, sums.outcome(&batch.labels, &widths)?))
    }

    fn evaluate(&self, data: &SpikeDataset, config: &TrainConfig, device: &Device) -> Result<EvalMetrics, TrainError> {
        let settings = settings(config);
        let n = config.run.eval_samples.map_or(data.len(), |l| l.min(data.len()));
        if n == 0 {
            return Err(TrainError::Data(crate::data::DataError::Invalid("evaluation on an empty dataset".into())));
        }
        let net = self.valid();
        let widths = widths(&net);
        let mut sums = MetricSums::default();
        let indices: Vec<usize> = (0..n).collect();
        for chunk in indices.chunks(config.run.batch_size.max(256)) {
            let batch = data.batch(chunk, device)?;
            let (_, pass_sums) = pass(net.clone(), &batch, &settings, None)?;
            let outcome = pass_sums.outcome(&batch.labels, &widths)?;
            sums.add(outcome.task_loss, outcome.correct, &outcome.rates, chunk.len());
        }
        Ok(sums.finish())
    }

    fn surrogates(&self) -> Vec<Option<crate::surrogate::Surrogate>> {
        vec![self.spike_fn.surrogate().copied(); self.layers.len()]
    }
}

/// A DECOLLE network for `config` on data of `train`'s channels and classes, drawn from the
/// run's seed.
pub(crate) fn initial_network(config: &TrainConfig, train: &SpikeDataset, device: &Device) -> Result<DecolleNet, TrainError> {
    let crate::spike::SpikeConfig::Surrogate { surrogate, implementation } = config.model.spike else {
        return Err(TrainError::config("model.stochastic", "no entry with [decolle]: DECOLLE layers spike deterministically"));
    };
    let spike_fn = crate::spike::SpikeFn::new(surrogate).with_implementation(implementation);
    settings(config)
        .init(train.channels(), &config.model.hidden_sizes, train.classes(), spike_fn, config.run.seed, device)
        .map_err(|e| TrainError::Config(e.within("decolle")))
}

/// `net` initialised by LSUV on `train`'s first batch when the settings ask for it (a new run;
/// a resumed one keeps its checkpoint).
pub(crate) fn prepare(net: DecolleNet, config: &TrainConfig, train: &SpikeDataset, device: &Device, log: &dyn Fn(&str)) -> Result<DecolleNet, TrainError> {
    let settings = settings(config);
    if !settings.lsuv {
        return Ok(net);
    }
    let context = InitContext { config: &settings, seed: config.run.seed, train, device, batch_size: config.run.batch_size, max_batches: None, log };
    Ok(Lsuv::of(&settings).initialise(net, &context)?)
}
