//! NIR, the Neuromorphic Intermediate Representation (Pedersen et al. 2024, neuroir.org): export
//! of a trained sglab network to a NIR graph, import of a NIR graph as a sglab network, and (with
//! the `nir` feature) the `.nir` HDF5 file that snnTorch, Norse, Spyx, SpikingJelly, Rockpool,
//! lava-dl and Sinabs read and write.
//!
//! # The mapping
//!
//! NIR's nodes are continuous-time; the importers of snnTorch and Norse step them by forward
//! Euler with a time step dt of their choosing, and so does this module. One sglab time step is
//! dt (the export's and import's `dt`, in the unit of NIR's τ). A LIF node steps as
//!
//! ```text
//! v ← v + (dt/τ)·(v_leak − v + R·I)  =  (1 − dt/τ)·v + (dt/τ)·v_leak + (dt·R/τ)·I
//! z = 1[v > v_threshold],   and v ← v_reset where z = 1
//! ```
//!
//! and a sglab LIF layer with the `multreset2` reset ([`crate::dynamics`]) steps as
//! v_t = α v_{t−1}(1 − z_{t−1}) + I_t, z_t = 1[v_t > ϑ]: the voltage of a neuron that spiked is
//! set to 0 before the leak, which is NIR's reset with v_reset = 0. The two agree exactly when
//!
//! | sglab | NIR |
//! |---|---|
//! | α = exp(−1/τ_steps) (per neuron) | LIF `tau` = dt/(1 − α) |
//! | current gain 1 | LIF `r` = 1/(1 − α), so that dt·R/τ = 1 |
//! | (no leak voltage) | LIF `v_leak` = 0 |
//! | ϑ (per neuron) | LIF `v_threshold` = ϑ |
//! | reset `multreset2` | LIF `v_reset` = 0 |
//! | W_in `[n_in, n]`, bias b | `Affine` weight W_inᵀ `[n, n_in]`, bias b (`Linear` without bias) |
//! | M ⊙ W_rec `[n, n]` (row = presynaptic, diagonal masked) | `Linear` weight (M ⊙ W_rec)ᵀ on the edges LIF → Linear → LIF (none for a feed-forward layer) |
//! | readout W `[n_L, C]`, bias | `Affine` (or `Linear`) weight Wᵀ `[C, n_L]` → `Output` |
//!
//! The recurrent edge carries the previous step's spikes (the one-step delay every discrete-time
//! importer puts on a cycle); the feed-forward edges carry the same step's. Each LIF node also
//! carries sglab's τ in steps as metadata (`sglab_tau_steps`), so that sglab reads its own files
//! back bit for bit; other tools ignore it.
//!
//! Import inverts the table for any graph of this shape, by the Euler step above:
//! α = 1 − dt/τ (τ ≥ dt; sglab's τ_steps = −1/ln α), the gain g = dt·R/τ multiplies every
//! weight and bias into the neuron, and (dt/τ)·v_leak joins the bias. A LIF node whose
//! `sglab_tau_steps` agrees with its τ and R at this dt (to 1e-5) is read as sglab's own.
//! A chain in which no LIF node has a recurrent projection becomes feed-forward layers; where
//! some have one, the others get zero recurrent weights.
//!
//! Refused with an error that says why: ALIF and QIF layers (NIR 1.0 has no adaptive or
//! quadratic neuron), the `subtract` reset (v ← v − ϑ: NIR's LIF resets to a voltage) and
//! `multreset1` (it also drops the input of the step after a spike), escape noise and a smooth
//! forward (NIR's spike is the deterministic Heaviside); on import, nodes of other types
//! (CubaLIF, convolutions, subgraphs, …), v_reset ≠ 0, τ < dt, and graphs that are not a chain
//! of recurrent LIF layers with a linear readout.

pub mod graph;
#[cfg(feature = "nir")]
pub mod file;

use std::collections::BTreeMap;

use burn::Tensor;
use burn::module::Param;
use burn::tensor::{Device, TensorData};

pub use graph::{LifNode, Matrix, NirGraph, NirNode};

use crate::dynamics::Reset;
use crate::network::{Network, NetworkConfig, NetworkError};
use crate::neuron::lif::MIN_TAU;
use crate::neuron::{Layer, LifConfig, NeuronConfig, replace_param};
use crate::spike::{Forward, SpikeFn};
use crate::surrogate::Surrogate;

/// Why a network could not be exported, or a graph or file not imported.
#[derive(Debug, thiserror::Error)]
pub enum NirError {
    /// The network uses something NIR cannot express.
    #[error("cannot export to NIR: {0}")]
    Unsupported(String),
    /// The graph is not one sglab can import.
    #[error("cannot import the NIR graph: {0}")]
    Graph(String),
    /// The time step is not a positive finite number.
    #[error("the time step dt must be positive and finite, got {0}")]
    TimeStep(f64),
    /// A file could not be read or written.
    #[error("NIR file {path}: {message}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The imported network could not be built.
    #[error(transparent)]
    Network(#[from] NetworkError),
}

fn check_dt(dt: f64) -> Result<(), NirError> {
    if dt.is_finite() && dt > 0.0 { Ok(()) } else { Err(NirError::TimeStep(dt)) }
}

fn host(t: Tensor<2>) -> (Vec<f32>, [usize; 2]) {
    let dims = t.dims();
    (crate::host_values(t).into_iter().map(|v| v as f32).collect(), dims)
}

fn host_vector(t: Tensor<1>) -> Vec<f32> {
    crate::host_values(t).into_iter().map(|v| v as f32).collect()
}

/// sglab's `[in, out]` weights as NIR's `[out, in]`.
fn nir_weight(t: Tensor<2>) -> Matrix {
    let (values, [rows, cols]) = host(t);
    Matrix { rows, cols, values }.transposed()
}

fn projection(weight: Matrix, bias: Option<Vec<f32>>) -> NirNode {
    match bias {
        Some(bias) => NirNode::Affine { weight, bias },
        None => NirNode::Linear { weight },
    }
}

/// The NIR graph of `net`, one sglab step being `dt` (see the module docs for the mapping).
/// Node names: `input`, per layer l `w_in_l`, `lif_l`, `w_rec_l` (recurrent layers), then
/// `readout`, `output`.
pub fn export(net: &Network, dt: f64) -> Result<NirGraph, NirError> {
    check_dt(dt)?;
    let mut graph = NirGraph::default();
    let edge = |g: &mut NirGraph, a: &str, b: &str| g.edges.push((a.to_string(), b.to_string()));
    graph.nodes.insert("input".into(), NirNode::Input { shape: vec![net.input_size()] });
    let mut previous = "input".to_string();
    for (l, layer) in net.layers.iter().enumerate() {
        let lif = match layer {
            Layer::Lif(lif) => lif,
            Layer::Alif(_) => return Err(NirError::Unsupported(format!("layer {l} is ALIF; NIR 1.0 has no neuron with an adaptive threshold"))),
            Layer::Qif(_) => return Err(NirError::Unsupported(format!("layer {l} is QIF; NIR has no quadratic integrate-and-fire neuron"))),
        };
        match lif.reset {
            Reset::MultReset2 => {}
            Reset::Subtract => {
                return Err(NirError::Unsupported(format!(
                    "layer {l} resets by subtraction (v ← v − ϑ); NIR's LIF resets the voltage to v_reset, which is sglab's `multreset2`"
                )));
            }
            Reset::MultReset1 => {
                return Err(NirError::Unsupported(format!(
                    "layer {l} resets with `multreset1`, which also drops the input of the step after a spike; NIR's LIF resets only the voltage (sglab's `multreset2`)"
                )));
            }
        }
        match layer.spike_fn() {
            SpikeFn::Escape(_) => return Err(NirError::Unsupported(format!("layer {l} spikes with escape noise; NIR's spike is the deterministic 1[v > v_threshold]"))),
            SpikeFn::Builtin { forward: Forward::Smooth, .. } => {
                return Err(NirError::Unsupported(format!("layer {l} has a smooth forward (the surrogate's antiderivative); NIR's spike is 1[v > v_threshold]")));
            }
            _ => {}
        }
        let tau_steps = host_vector(lif.tau.val());
        let threshold = host_vector(lif.threshold.val());
        let n = tau_steps.len();
        let mut node = LifNode { tau: Vec::with_capacity(n), r: Vec::with_capacity(n), v_leak: vec![0.0; n], v_threshold: threshold, v_reset: vec![0.0; n], tau_steps: Some(tau_steps.clone()) };
        for &steps in &tau_steps {
            let alpha = (-1.0 / (steps as f64).max(MIN_TAU)).exp();
            node.tau.push((dt / (1.0 - alpha)) as f32);
            node.r.push((1.0 / (1.0 - alpha)) as f32);
        }
        let (w_in, lif_name, w_rec) = (format!("w_in_{l}"), format!("lif_{l}"), format!("w_rec_{l}"));
        graph.nodes.insert(w_in.clone(), projection(nir_weight(lif.w_in.val()), lif.bias.as_ref().map(|b| host_vector(b.val()))));
        graph.nodes.insert(lif_name.clone(), NirNode::Lif(node));
        edge(&mut graph, &previous, &w_in);
        edge(&mut graph, &w_in, &lif_name);
        if let Some(recurrent) = lif.masked_recurrent() {
            graph.nodes.insert(w_rec.clone(), NirNode::Linear { weight: nir_weight(recurrent) });
            edge(&mut graph, &lif_name, &w_rec);
            edge(&mut graph, &w_rec, &lif_name);
        }
        previous = lif_name;
    }
    let readout = projection(nir_weight(net.readout_weight.val()), net.readout_bias.as_ref().map(|b| host_vector(b.val())));
    graph.nodes.insert("readout".into(), readout);
    graph.nodes.insert("output".into(), NirNode::Output { shape: vec![net.output_size()] });
    edge(&mut graph, &previous, "readout");
    edge(&mut graph, "readout", "output");
    Ok(graph)
}

/// One recurrent LIF layer found in a graph, in NIR's terms.
struct FoundLayer<'g> {
    input: (&'g Matrix, Option<&'g [f32]>),
    lif: &'g LifNode,
    recurrent: Option<&'g Matrix>,
}

/// A projection node's weight and bias (`None` for `Linear`), or an error naming what it is.
fn as_projection<'g>(graph: &'g NirGraph, name: &str, role: &str) -> Result<(&'g Matrix, Option<&'g [f32]>), NirError> {
    match graph.nodes.get(name) {
        Some(NirNode::Affine { weight, bias }) => {
            if bias.len() != weight.rows {
                return Err(NirError::Graph(format!("Affine `{name}` has a [{}, {}] weight and {} biases", weight.rows, weight.cols, bias.len())));
            }
            Ok((weight, Some(bias.as_slice())))
        }
        Some(NirNode::Linear { weight }) => Ok((weight, None)),
        Some(other) => Err(NirError::Graph(format!("{role} `{name}` is a {} node; sglab expects an Affine or Linear projection there", other.kind()))),
        None => Err(NirError::Graph(format!("an edge names `{name}`, which is not a node of the graph"))),
    }
}

fn only<'a>(names: Vec<&'a str>, what: impl Fn() -> String) -> Result<&'a str, NirError> {
    match names.as_slice() {
        [one] => Ok(one),
        [] => Err(NirError::Graph(format!("{} has no successor", what()))),
        many => Err(NirError::Graph(format!("{} feeds {} nodes ({}); sglab imports a chain of layers", what(), many.len(), many.join(", ")))),
    }
}

/// The graph as a chain: input → (projection → LIF ⟲ recurrent projection)… → readout → output.
fn chain(graph: &NirGraph) -> Result<(usize, Vec<FoundLayer<'_>>, (&Matrix, Option<&[f32]>), usize), NirError> {
    for (name, node) in &graph.nodes {
        if let NirNode::Other { kind } = node {
            return Err(NirError::Graph(format!(
                "node `{name}` is a {kind}; sglab imports Input, Affine, Linear, LIF and Output nodes (a chain of recurrent LIF layers with a linear readout)"
            )));
        }
    }
    let inputs: Vec<(&String, &Vec<usize>)> = graph.nodes.iter().filter_map(|(k, n)| if let NirNode::Input { shape } = n { Some((k, shape)) } else { None }).collect();
    let [(input_name, input_shape)] = inputs.as_slice() else {
        return Err(NirError::Graph(format!("the graph has {} Input nodes; sglab imports graphs with one", inputs.len())));
    };
    let [input_size] = input_shape.as_slice() else {
        return Err(NirError::Graph(format!("the Input has shape {input_shape:?}; sglab's inputs are vectors (one dimension)")));
    };
    let mut layers = Vec::new();
    let mut current: &str = input_name;
    let mut width = *input_size;
    loop {
        let forward: Vec<&str> = graph.successors(current).into_iter().filter(|s| !is_recurrent_of(graph, s, current)).collect();
        let projection_name = only(forward, || format!("`{current}`"))?;
        let (weight, bias) = as_projection(graph, projection_name, &format!("the node after `{current}`"))?;
        if weight.cols != width {
            return Err(NirError::Graph(format!("`{projection_name}` takes {} inputs but `{current}` gives {width}", weight.cols)));
        }
        let next = only(graph.successors(projection_name), || format!("`{projection_name}`"))?;
        match graph.nodes.get(next) {
            Some(NirNode::Output { shape }) => {
                if shape.as_slice() != [weight.rows] {
                    return Err(NirError::Graph(format!("the Output has shape {shape:?} but the readout `{projection_name}` gives {}", weight.rows)));
                }
                if layers.is_empty() {
                    return Err(NirError::Graph("the graph has no LIF layer".into()));
                }
                return Ok((*input_size, layers, (weight, bias), weight.rows));
            }
            Some(NirNode::Lif(lif)) => {
                let n = lif.size();
                for (field, len) in [("r", lif.r.len()), ("v_leak", lif.v_leak.len()), ("v_threshold", lif.v_threshold.len()), ("v_reset", lif.v_reset.len())] {
                    if len != n {
                        return Err(NirError::Graph(format!("LIF `{next}` has {n} values of tau but {len} of {field}")));
                    }
                }
                if weight.rows != n {
                    return Err(NirError::Graph(format!("`{projection_name}` gives {} outputs but LIF `{next}` has {n} neurons", weight.rows)));
                }
                let recurrent_names: Vec<&str> = graph.successors(next).into_iter().filter(|s| is_recurrent_of(graph, s, next)).collect();
                let recurrent = match recurrent_names.as_slice() {
                    [] => None,
                    [r] => {
                        let (w, b) = as_projection(graph, r, "the recurrent projection")?;
                        if b.is_some_and(|b| b.iter().any(|&v| v != 0.0)) {
                            return Err(NirError::Graph(format!("the recurrent projection `{r}` has a bias; sglab's recurrent weights have none")));
                        }
                        if (w.rows, w.cols) != (n, n) {
                            return Err(NirError::Graph(format!("the recurrent projection `{r}` is [{}, {}], not [{n}, {n}]", w.rows, w.cols)));
                        }
                        Some(w)
                    }
                    many => return Err(NirError::Graph(format!("LIF `{next}` has {} recurrent projections ({}); sglab imports one", many.len(), many.join(", ")))),
                };
                let expected_in = 1 + recurrent.is_some() as usize;
                if graph.predecessors(next).len() != expected_in {
                    return Err(NirError::Graph(format!("LIF `{next}` receives {} edges; sglab's layer has its input projection and at most one recurrent one", graph.predecessors(next).len())));
                }
                layers.push(FoundLayer { input: (weight, bias), lif, recurrent });
                current = next;
                width = n;
            }
            Some(other) => return Err(NirError::Graph(format!("`{projection_name}` feeds a {} node `{next}`; sglab expects a LIF or the Output", other.kind()))),
            None => return Err(NirError::Graph(format!("an edge names `{next}`, which is not a node of the graph"))),
        }
    }
}

/// Whether `candidate` is a projection whose only successor and only predecessor is `lif`.
fn is_recurrent_of(graph: &NirGraph, candidate: &str, lif: &str) -> bool {
    matches!(graph.nodes.get(lif), Some(NirNode::Lif(_))) && graph.successors(candidate) == [lif] && graph.predecessors(candidate) == [lif]
}

/// One LIF node's neurons in sglab's terms: τ in steps, the gain g on their input, the extra
/// bias (dt/τ)·v_leak.
struct Neurons {
    tau_steps: Vec<f32>,
    gain: Vec<f64>,
    leak_bias: Vec<f64>,
}

fn neurons(lif: &LifNode, dt: f64, name: usize) -> Result<Neurons, NirError> {
    if let Some(reset) = lif.v_reset.iter().find(|&&v| v != 0.0) {
        return Err(NirError::Graph(format!("LIF layer {name} resets to v_reset = {reset}; sglab's reset (`multreset2`) sets the voltage to 0")));
    }
    if let Some(own) = &lif.tau_steps
        && own.len() == lif.size()
        && lif.v_leak.iter().all(|&v| v == 0.0)
        && own.iter().zip(&lif.tau).zip(&lif.r).all(|((&steps, &tau), &r)| {
            let decay = 1.0 - (-1.0 / (steps as f64).max(MIN_TAU)).exp();
            ((dt / decay) / tau as f64 - 1.0).abs() <= 1e-5 && (r as f64 * decay - 1.0).abs() <= 1e-5
        })
    {
        return Ok(Neurons { tau_steps: own.clone(), gain: vec![1.0; own.len()], leak_bias: vec![0.0; own.len()] });
    }
    let mut out = Neurons { tau_steps: Vec::new(), gain: Vec::new(), leak_bias: Vec::new() };
    for i in 0..lif.size() {
        let (tau, r, v_leak) = (lif.tau[i] as f64, lif.r[i] as f64, lif.v_leak[i] as f64);
        if !(tau.is_finite() && tau >= dt) {
            return Err(NirError::Graph(format!(
                "LIF layer {name}, neuron {i}: τ = {tau} is below the time step dt = {dt}; the Euler step decays by 1 − dt/τ < 0. Import with a smaller dt"
            )));
        }
        let alpha = 1.0 - dt / tau;
        let steps = if alpha > 0.0 { -1.0 / alpha.ln() } else { MIN_TAU };
        out.tau_steps.push(steps as f32);
        out.gain.push(dt * r / tau);
        out.leak_bias.push(dt / tau * v_leak);
    }
    Ok(out)
}

fn tensor2(values: Vec<f32>, dims: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, dims), device)
}

fn tensor1(values: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

/// NIR's `[out, in]` weight as sglab's `[in, out]`, each output column j scaled by `gain[j]`.
fn sglab_weight(weight: &Matrix, gain: &[f64], device: &Device) -> Tensor<2> {
    let t = weight.transposed();
    let values = t.values.iter().enumerate().map(|(k, &v)| (v as f64 * gain[k % t.cols]) as f32).collect();
    tensor2(values, [t.rows, t.cols], device)
}

/// The sglab network of `graph` (see the module docs for the mapping), one step being `dt`, its
/// spikes trained through `surrogate`; τ and ϑ are loaded as fixed (not trained) parameters.
pub fn import(graph: &NirGraph, dt: f64, surrogate: Surrogate, device: &Device) -> Result<Network, NirError> {
    check_dt(dt)?;
    let (input_size, found, readout, classes) = chain(graph)?;
    let mask_diagonal = found.iter().all(|l| l.recurrent.is_none_or(|w| (0..w.rows).all(|i| w.at(i, i) == 0.0)));
    // Feed-forward layers when no LIF node has a recurrent projection; otherwise recurrent ones,
    // those without a projection getting zero weights.
    let recurrent = found.iter().any(|l| l.recurrent.is_some());
    let lif = LifConfig::new().with_reset(Reset::MultReset2).with_bias(true).with_recurrent(recurrent).with_mask_diagonal(mask_diagonal);
    let config = NetworkConfig::new(input_size, found.iter().map(|l| l.lif.size()).collect(), classes)
        .with_neuron(NeuronConfig::Lif(lif))
        .with_readout_bias(readout.1.is_some());
    let mut net = config.init_with_spike_fn(SpikeFn::new(surrogate), device)?;
    for (l, (layer, source)) in net.layers.iter_mut().zip(&found).enumerate() {
        let neurons = neurons(source.lif, dt, l)?;
        let n = source.lif.size();
        let (w_in, bias) = source.input;
        layer.replace_input_weights(sglab_weight(w_in, &neurons.gain, device));
        let recurrent = match source.recurrent {
            Some(w) => sglab_weight(w, &neurons.gain, device),
            None => Tensor::zeros([n, n], device),
        };
        layer.replace_recurrent_weights(recurrent);
        let b: Vec<f32> = (0..n).map(|j| (bias.map_or(0.0, |b| b[j]) as f64 * neurons.gain[j] + neurons.leak_bias[j]) as f32).collect();
        layer.replace_bias(tensor1(b, device));
        let Layer::Lif(lif) = layer else { unreachable!("the configuration builds LIF layers") };
        replace_param(&mut lif.tau, tensor1(neurons.tau_steps, device));
        replace_param(&mut lif.threshold, tensor1(source.lif.v_threshold.clone(), device));
    }
    net.readout_weight = Param::from_tensor(sglab_weight(readout.0, &vec![1.0; classes], device));
    if let (Some(param), Some(bias)) = (net.readout_bias.as_mut(), readout.1) {
        *param = Param::from_tensor(tensor1(bias.to_vec(), device));
    }
    Ok(net)
}

/// The node-type counts of a graph (`{"Affine": 2, "LIF": 1, …}`), for a quick look.
pub fn node_kinds(graph: &NirGraph) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for node in graph.nodes.values() {
        *counts.entry(node.kind().to_string()).or_insert(0) += 1;
    }
    counts
}
