//! NIR export and import (`sglab::nir`): the parameter mapping against its formulas, the round
//! trip through a graph and through a `.nir` file bit for bit, a graph written by another tool
//! run against NIR's own equations stepped by forward Euler (written out here in f64), the
//! Python `nir` package reading sglab's file, and the refusals.

mod common;

use sglab::burn::Tensor;
use sglab::burn::tensor::{Device, TensorData};
use sglab::network::{Network, NetworkConfig};
use sglab::neuron::{AlifConfig, LifConfig, NeuronConfig, Reset};
use sglab::nir::{LifNode, Matrix, NirError, NirGraph, NirNode, export, import};
use sglab::spike::SpikeFn;
use sglab::spike::escape::{EscapeBackward, EscapeNoise, EscapeSpike};
use sglab::surrogate::Surrogate;

const DT: f64 = 1e-3;

fn device() -> Device {
    sglab::device("flex").unwrap()
}

/// SplitMix64 on [0, 1): the test's own stream of numbers.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uniform(&mut self, lo: f64, hi: f64, n: usize) -> Vec<f32> {
        (0..n).map(|_| (lo + (hi - lo) * self.next()) as f32).collect()
    }
}

/// A 3 → [5, 4] → 2 network with the `multreset2` reset, spread τ and ϑ, and nonzero biases.
fn network(config: LifConfig) -> Network {
    let device = device();
    let mut net = NetworkConfig::new(3, vec![5, 4], 2).with_neuron(NeuronConfig::Lif(config)).with_seed(7).init(&device).unwrap();
    let mut numbers = Numbers(3);
    for layer in &mut net.layers {
        let n = layer.hidden_size();
        layer.replace_bias(Tensor::from_data(TensorData::new(numbers.uniform(-0.2, 0.4, n), [n]), &device));
    }
    net
}

fn paper_lif() -> LifConfig {
    LifConfig::new().with_reset(Reset::MultReset2).with_tau(4.0).with_tau_spread(0.4).with_threshold(0.3).with_threshold_spread(0.3)
}

/// Spike input `[T, B, n]` with about 30 % of the entries 1.
fn input(t: usize, b: usize, n: usize, seed: u64) -> Tensor<3> {
    let mut numbers = Numbers(seed);
    let values: Vec<f32> = (0..t * b * n).map(|_| if numbers.next() < 0.3 { 1.0 } else { 0.0 }).collect();
    Tensor::from_data(TensorData::new(values, [t, b, n]), &device())
}

/// Logits and every layer's spikes, as host values.
fn run(net: &Network, x: Tensor<3>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let out = net.forward(x).unwrap();
    (common::values(out.logits), out.spikes.into_iter().map(common::values).collect())
}

fn lif_of<'g>(graph: &'g NirGraph, name: &str) -> &'g LifNode {
    match &graph.nodes[name] {
        NirNode::Lif(l) => l,
        other => panic!("{name} is {other:?}"),
    }
}

fn weight_of<'g>(graph: &'g NirGraph, name: &str) -> &'g Matrix {
    match &graph.nodes[name] {
        NirNode::Affine { weight, .. } | NirNode::Linear { weight } => weight,
        other => panic!("{name} is {other:?}"),
    }
}

#[test]
fn export_writes_every_parameter_by_the_mapping_formulas() {
    let net = network(paper_lif());
    let graph = export(&net, DT).unwrap();
    let kinds = sglab::nir::node_kinds(&graph);
    assert_eq!(kinds.get("LIF"), Some(&2));
    assert_eq!(kinds.get("Affine"), Some(&3), "two input projections with bias and the readout");
    assert_eq!(kinds.get("Linear"), Some(&2), "two recurrent projections");
    assert_eq!(graph.edges.len(), 10);
    assert!(graph.edges.contains(&("lif_0".into(), "w_rec_0".into())) && graph.edges.contains(&("w_rec_0".into(), "lif_0".into())));
    for (l, layer) in net.layers.iter().enumerate() {
        let lif = lif_of(&graph, &format!("lif_{l}"));
        let membrane = layer.lif_membrane().unwrap();
        let tau_steps = sglab::host_values(membrane.tau.val());
        let thresholds = sglab::host_values(membrane.threshold.val());
        for i in 0..tau_steps.len() {
            let alpha = (-1.0 / tau_steps[i]).exp();
            assert!((lif.tau[i] as f64 - DT / (1.0 - alpha)).abs() <= 1e-6 * lif.tau[i] as f64, "layer {l} neuron {i}: tau");
            assert!((lif.r[i] as f64 - 1.0 / (1.0 - alpha)).abs() <= 1e-6 * lif.r[i] as f64, "layer {l} neuron {i}: r");
            // The Euler step of NIR's equation with these values decays by α and passes the current with gain 1.
            assert!(((1.0 - DT / lif.tau[i] as f64) - alpha).abs() < 1e-6);
            assert!((DT * lif.r[i] as f64 / lif.tau[i] as f64 - 1.0).abs() < 1e-6);
            assert_eq!(lif.v_threshold[i] as f64, thresholds[i]);
            assert_eq!((lif.v_leak[i], lif.v_reset[i]), (0.0, 0.0));
        }
        let w_in = sglab::host_values(layer.input_weights().val());
        let nir_in = weight_of(&graph, &format!("w_in_{l}"));
        let n = layer.hidden_size();
        assert_eq!((nir_in.rows, nir_in.cols), (n, layer.input_size()), "NIR weights are [out, in]");
        for i in 0..layer.input_size() {
            for j in 0..n {
                assert_eq!(nir_in.at(j, i) as f64, w_in[i * n + j]);
            }
        }
        let rec = weight_of(&graph, &format!("w_rec_{l}"));
        let w_rec = sglab::host_values(layer.recurrent_weights().expect("recurrent layers").val());
        for i in 0..n {
            for j in 0..n {
                let expected = if i == j { 0.0 } else { w_rec[i * n + j] };
                assert_eq!(rec.at(j, i) as f64, expected, "recurrent ({i} → {j}), diagonal masked");
            }
        }
    }
}

#[test]
fn an_exported_network_imports_to_the_same_outputs_bit_for_bit() {
    let net = network(paper_lif());
    let graph = export(&net, DT).unwrap();
    let back = import(&graph, DT, Surrogate::default(), &device()).unwrap();
    let x = input(40, 3, 3, 5);
    let (logits, spikes) = run(&net, x.clone());
    let (logits_back, spikes_back) = run(&back, x);
    assert!(spikes.iter().flatten().sum::<f64>() > 20.0, "the network spikes");
    assert_eq!(spikes, spikes_back);
    assert_eq!(logits, logits_back);
    assert_eq!(export(&back, DT).unwrap(), graph, "export ∘ import ∘ export = export");
}

/// A feed-forward network exports without recurrent nodes (input projection → LIF only) and
/// imports back as feed-forward layers with the same outputs.
#[test]
fn a_feed_forward_network_round_trips_without_recurrent_nodes() {
    let net = network(paper_lif().with_recurrent(false));
    let graph = export(&net, DT).unwrap();
    assert!(graph.nodes.keys().all(|name| !name.starts_with("w_rec")), "no recurrent projection");
    assert!(graph.edges.iter().all(|(a, b)| !(a.starts_with("lif") && b.starts_with("lif"))));
    let back = import(&graph, DT, Surrogate::default(), &device()).unwrap();
    assert!(back.layers.iter().all(|l| !l.is_recurrent()), "imported as feed-forward layers");
    let x = input(40, 3, 3, 5);
    let (logits, spikes) = run(&net, x.clone());
    assert!(spikes.iter().flatten().sum::<f64>() > 20.0, "the network spikes");
    assert_eq!(run(&back, x), (logits, spikes));
    assert_eq!(export(&back, DT).unwrap(), graph);
}

/// NIR's equations stepped by forward Euler in f64, for a chain graph: per step and layer
/// I = W x + b (+ W_rec z_prev), v ← v + dt/τ (v_leak − v + R I), z = 1[v > v_th], v ← 0 where
/// z = 1; logits = W_out z_L + b_out. Returns the logits `[T, B, C]` flattened and the smallest
/// |v − v_th| met, so that a caller knows the comparison is not decided by rounding.
fn euler_reference(graph: &NirGraph, x: &[f32], [t_len, batch, n_in]: [usize; 3]) -> (Vec<f64>, f64) {
    struct Layer<'g> {
        w: &'g Matrix,
        b: Option<&'g [f32]>,
        rec: Option<&'g Matrix>,
        lif: &'g LifNode,
    }
    let input = graph.nodes.iter().find(|(_, n)| matches!(n, NirNode::Input { .. })).unwrap().0.clone();
    let mut layers = Vec::new();
    let mut current = input;
    let readout;
    loop {
        let projection = graph.successors(&current).into_iter().find(|s| graph.successors(s) != [current.as_str()]).unwrap().to_string();
        let (w, b) = match &graph.nodes[&projection] {
            NirNode::Affine { weight, bias } => (weight, Some(bias.as_slice())),
            NirNode::Linear { weight } => (weight, None),
            other => panic!("{other:?}"),
        };
        let next = graph.successors(&projection)[0].to_string();
        if let NirNode::Lif(lif) = &graph.nodes[&next] {
            let rec = graph.successors(&next).into_iter().find(|s| graph.successors(s) == [next.as_str()]).map(|r| weight_of(graph, r));
            layers.push(Layer { w, b, rec, lif });
            current = next;
        } else {
            readout = (w, b);
            break;
        }
    }
    let mut margin = f64::INFINITY;
    let classes = readout.0.rows;
    let mut logits = vec![0.0; t_len * batch * classes];
    for s in 0..batch {
        let mut v: Vec<Vec<f64>> = layers.iter().map(|l| vec![0.0; l.lif.size()]).collect();
        let mut z: Vec<Vec<f64>> = v.clone();
        for t in 0..t_len {
            let mut below: Vec<f64> = (0..n_in).map(|i| x[(t * batch + s) * n_in + i] as f64).collect();
            for (l, layer) in layers.iter().enumerate() {
                let n = layer.lif.size();
                let mut spikes = vec![0.0; n];
                for j in 0..n {
                    let mut current: f64 = (0..layer.w.cols).map(|i| layer.w.at(j, i) as f64 * below[i]).sum::<f64>() + layer.b.map_or(0.0, |b| b[j] as f64);
                    if let Some(rec) = layer.rec {
                        current += (0..n).map(|i| rec.at(j, i) as f64 * z[l][i]).sum::<f64>();
                    }
                    let (tau, r, leak, th) = (layer.lif.tau[j] as f64, layer.lif.r[j] as f64, layer.lif.v_leak[j] as f64, layer.lif.v_threshold[j] as f64);
                    let mut u = v[l][j] + DT / tau * (leak - v[l][j] + r * current);
                    margin = margin.min((u - th).abs());
                    if u > th {
                        spikes[j] = 1.0;
                        u = 0.0;
                    }
                    v[l][j] = u;
                }
                z[l] = spikes.clone();
                below = spikes;
            }
            for c in 0..classes {
                logits[(t * batch + s) * classes + c] = (0..readout.0.cols).map(|i| readout.0.at(c, i) as f64 * below[i]).sum::<f64>() + readout.1.map_or(0.0, |b| b[c] as f64);
            }
        }
    }
    (logits, margin)
}

/// A graph as another tool writes it: Linear input projection (no bias), a recurrent Linear
/// with a diagonal, R ≠ τ/dt, v_leak ≠ 0, an Affine between layers, and an Affine readout.
fn foreign_graph() -> NirGraph {
    let mut numbers = Numbers(21);
    let mut matrix = |rows: usize, cols: usize, lo: f64, hi: f64| Matrix::new(rows, cols, numbers.uniform(lo, hi, rows * cols)).unwrap();
    let (w0, rec0, w1, head) = (matrix(4, 3, -0.2, 1.2), matrix(4, 4, -0.6, 0.6), matrix(3, 4, -0.4, 1.0), matrix(2, 3, -1.0, 1.0));
    let mut numbers = Numbers(22);
    let mut lif = |n: usize| {
        let tau = numbers.uniform(2e-3, 2e-2, n);
        let gain = numbers.uniform(0.6, 1.4, n);
        LifNode {
            r: tau.iter().zip(&gain).map(|(&t, &g)| (g as f64 * t as f64 / DT) as f32).collect(),
            tau,
            v_leak: numbers.uniform(-0.2, 0.3, n),
            v_threshold: numbers.uniform(0.4, 0.9, n),
            v_reset: vec![0.0; n],
            tau_steps: None,
        }
    };
    let mut graph = NirGraph::default();
    for (name, node) in [
        ("in", NirNode::Input { shape: vec![3] }),
        ("proj0", NirNode::Linear { weight: w0 }),
        ("lif0", NirNode::Lif(lif(4))),
        ("rec0", NirNode::Linear { weight: rec0 }),
        ("proj1", NirNode::Affine { weight: w1, bias: vec![0.1, -0.05, 0.2] }),
        ("lif1", NirNode::Lif(lif(3))),
        ("head", NirNode::Affine { weight: head, bias: vec![0.05, -0.1] }),
        ("out", NirNode::Output { shape: vec![2] }),
    ] {
        graph.nodes.insert(name.into(), node);
    }
    for (a, b) in [("in", "proj0"), ("proj0", "lif0"), ("lif0", "rec0"), ("rec0", "lif0"), ("lif0", "proj1"), ("proj1", "lif1"), ("lif1", "head"), ("head", "out")] {
        graph.edges.push((a.into(), b.into()));
    }
    graph
}

/// Imports `graph`, runs it and its Euler reference on one input, and compares them.
fn check_against_euler(graph: &NirGraph) {
    let net = import(graph, DT, Surrogate::default(), &device()).unwrap();
    let dims = [60, 3, 3];
    let x = input(dims[0], dims[1], dims[2], 9);
    let host: Vec<f32> = common::values(x.clone()).into_iter().map(|v| v as f32).collect();
    let (reference, margin) = euler_reference(graph, &host, dims);
    assert!(margin > 1e-4, "no voltage within 1e-4 of its threshold (closest {margin}), so f32 rounding cannot flip a spike");
    let (logits, spikes) = run(&net, x);
    assert!(spikes.iter().all(|s| s.iter().sum::<f64>() > 10.0), "every layer spikes");
    common::assert_close(&logits, &reference, 1e-4, 1e-4, "imported network against NIR's Euler equations");
}

#[test]
fn a_graph_written_elsewhere_runs_as_nirs_euler_equations() {
    let graph = foreign_graph();
    check_against_euler(&graph);
    let net = import(&graph, DT, Surrogate::default(), &device()).unwrap();
    assert!(!net.layers[0].masks_diagonal(), "a recurrent weight with a diagonal keeps it");
}

#[test]
fn what_nir_cannot_express_is_refused_with_the_reason() {
    let device = device();
    let unsupported = |net: &Network| match export(net, DT) {
        Err(NirError::Unsupported(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(unsupported(&network(LifConfig::new())).contains("subtraction"));
    assert!(unsupported(&network(LifConfig::new().with_reset(Reset::MultReset1))).contains("multreset1"));
    let alif = NetworkConfig::new(3, vec![4], 2).with_neuron(NeuronConfig::Alif(AlifConfig::new())).init(&device).unwrap();
    assert!(unsupported(&alif).contains("ALIF"));
    let escape = EscapeSpike::new(EscapeNoise::Sigmoid { beta: 10.0 }, EscapeBackward::Matched, 1).unwrap();
    let stochastic = NetworkConfig::new(3, vec![4], 2).with_neuron(NeuronConfig::Lif(paper_lif())).init_with_spike_fn(SpikeFn::Escape(escape), &device).unwrap();
    assert!(unsupported(&stochastic).contains("escape noise"));
    assert!(matches!(export(&network(paper_lif()), 0.0), Err(NirError::TimeStep(_))));

    let refused = |graph: &NirGraph| match import(graph, DT, Surrogate::default(), &device) {
        Err(NirError::Graph(why)) => why,
        other => panic!("expected a refusal, got {:?}", other.map(|_| "a network")),
    };
    let mut cuba = foreign_graph();
    cuba.nodes.insert("lif1".into(), NirNode::Other { kind: "CubaLIF".into() });
    assert!(refused(&cuba).contains("`lif1` is a CubaLIF"));
    let mut reset = foreign_graph();
    if let Some(NirNode::Lif(l)) = reset.nodes.get_mut("lif0") {
        l.v_reset[2] = -0.1;
    }
    assert!(refused(&reset).contains("v_reset = -0.1"));
    let mut fast = foreign_graph();
    if let Some(NirNode::Lif(l)) = fast.nodes.get_mut("lif1") {
        l.tau[0] = 5e-4;
    }
    assert!(refused(&fast).contains("below the time step"));
    let mut wide = foreign_graph();
    wide.nodes.insert("out".into(), NirNode::Output { shape: vec![3] });
    assert!(refused(&wide).contains("Output has shape [3]"));
    let mut branched = foreign_graph();
    branched.edges.push(("in".into(), "proj1".into()));
    assert!(refused(&branched).contains("feeds 2 nodes"));
}

#[cfg(feature = "nir")]
mod file {
    use super::*;
    use sglab::nir::file::{read, write};

    /// The interpreter with the Python `nir` package: `SGLAB_PYTHON`, else `python3`.
    fn python() -> String {
        let python = std::env::var("SGLAB_PYTHON").unwrap_or_else(|_| "python3".into());
        let probe = std::process::Command::new(&python).args(["-c", "import nir"]).output();
        assert!(
            probe.as_ref().is_ok_and(|o| o.status.success()),
            "{python} cannot import the Python `nir` package; `bash scripts/setup_python.sh` installs it, then set SGLAB_PYTHON=~/.cache/sglab/jupyter/bin/python"
        );
        python
    }

    fn nir_python(args: &[&str]) -> String {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/nir_python.py");
        let out = std::process::Command::new(python()).arg(script).args(args).output().unwrap();
        assert!(out.status.success(), "nir_python.py {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn a_network_round_trips_through_a_nir_file_bit_for_bit() {
        let dir = common::scratch_dir("nir_round_trip");
        let path = dir.join("net.nir");
        let net = network(paper_lif());
        let graph = export(&net, DT).unwrap();
        write(&graph, &path).unwrap();
        let read_back = read(&path).unwrap();
        assert_eq!(read_back, graph);
        let back = import(&read_back, DT, Surrogate::default(), &device()).unwrap();
        let x = input(40, 3, 3, 6);
        assert_eq!(run(&net, x.clone()), run(&back, x));
    }

    #[test]
    fn the_python_nir_package_reads_sglabs_file_with_every_value() {
        let dir = common::scratch_dir("nir_python_reads");
        let path = dir.join("net.nir");
        let graph = export(&network(paper_lif()), DT).unwrap();
        write(&graph, &path).unwrap();
        let described: serde_json::Value = serde_json::from_str(&nir_python(&["describe", path.to_str().unwrap()])).unwrap();
        assert_eq!(described["version"], sglab::nir::file::NIR_VERSION);
        let edges: Vec<(String, String)> = described["edges"].as_array().unwrap().iter().map(|e| (e[0].as_str().unwrap().into(), e[1].as_str().unwrap().into())).collect();
        assert_eq!(edges, graph.edges);
        // Python prints each f32 widened to f64 in its shortest round-trip form; serde_json parses
        // that to within an f64 ulp, far inside an f32's, so narrowing back to f32 is exact.
        let flat = |v: &serde_json::Value| -> Vec<f32> {
            match v {
                serde_json::Value::Array(items) => items.iter().flat_map(|i| if i.is_array() { i.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect() } else { vec![i.as_f64().unwrap() as f32] }).collect(),
                other => panic!("{other}"),
            }
        };
        let exact = |v: &[f32]| v.to_vec();
        let nodes = described["nodes"].as_object().unwrap();
        assert_eq!(nodes.len(), graph.nodes.len());
        for (name, node) in &graph.nodes {
            let py = &nodes[name];
            assert_eq!(py["type"], node.kind(), "{name}");
            match node {
                NirNode::Input { shape } | NirNode::Output { shape } => assert_eq!(flat(&py["shape"]), shape.iter().map(|&s| s as f32).collect::<Vec<_>>()),
                NirNode::Affine { weight, bias } => {
                    assert_eq!(flat(&py["weight"]), exact(&weight.values), "{name} weight");
                    assert_eq!(py["weight"].as_array().unwrap().len(), weight.rows, "{name}: [out, in]");
                    assert_eq!(flat(&py["bias"]), exact(bias));
                }
                NirNode::Linear { weight } => assert_eq!(flat(&py["weight"]), exact(&weight.values), "{name} weight"),
                NirNode::Lif(lif) => {
                    for (field, values) in [("tau", &lif.tau), ("r", &lif.r), ("v_leak", &lif.v_leak), ("v_threshold", &lif.v_threshold), ("v_reset", &lif.v_reset)] {
                        assert_eq!(flat(&py[field]), exact(values), "{name}.{field}");
                    }
                    assert_eq!(flat(&py["sglab_tau_steps"]), exact(lif.tau_steps.as_ref().unwrap()), "{name} metadata");
                }
                NirNode::Other { .. } => unreachable!(),
            }
        }
    }

    #[test]
    fn a_file_the_python_nir_package_wrote_imports_and_runs_as_nirs_equations() {
        let dir = common::scratch_dir("nir_python_writes");
        let path = dir.join("example.nir");
        nir_python(&["example", path.to_str().unwrap()]);
        let graph = read(&path).unwrap();
        let kinds = sglab::nir::node_kinds(&graph);
        assert_eq!((kinds["LIF"], kinds["Affine"], kinds["Linear"]), (2, 2, 2));
        check_against_euler(&graph);
    }

    const CLI_CONFIG: &str = r#"
epochs = 1
[task]
name = "randman"
classes = 3
units = 5
steps = 20
samples_per_class = 10
[model]
hidden_sizes = [6]
neuron = { model = "lif", reset = "RESET", tau = 3.0, threshold = 0.3 }
"#;

    /// `sglab nir CONFIG MODEL OUT --dt`: the saved network, exported by the binary, imports to
    /// the same outputs; a configuration NIR cannot express fails with the reason.
    #[test]
    fn the_nir_command_exports_a_saved_model() {
        use sglab::burn::module::Module;
        let dir = common::scratch_dir("nir_cli");
        let config_path = dir.join("run.toml");
        std::fs::write(&config_path, CLI_CONFIG.replace("RESET", "multreset2")).unwrap();
        let config = sglab::train::TrainConfig::load(&config_path).unwrap();
        let net = config.model.network(5, 3, 4).init(&device()).unwrap();
        let model = dir.join("model.bpk");
        net.clone().save_file(&model).unwrap();
        let out = dir.join("net.nir");
        let run = common::sglab_binary().args(["nir", config_path.to_str().unwrap(), model.to_str().unwrap(), out.to_str().unwrap(), "--dt", "0.002"]).output().unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        assert!(String::from_utf8_lossy(&run.stdout).contains("1 LIF"), "{}", String::from_utf8_lossy(&run.stdout));
        let back = import(&read(&out).unwrap(), 0.002, Surrogate::default(), &device()).unwrap();
        let x = input(30, 2, 5, 8);
        assert_eq!(differing(&net, &back, x), 0, "the exported model runs identically");

        std::fs::write(&config_path, CLI_CONFIG.replace("RESET", "subtract")).unwrap();
        let config = sglab::train::TrainConfig::load(&config_path).unwrap();
        config.model.network(5, 3, 4).init(&device()).unwrap().save_file(&model).unwrap();
        let refused = common::sglab_binary().args(["nir", config_path.to_str().unwrap(), model.to_str().unwrap(), dir.join("no.nir").to_str().unwrap()]).output().unwrap();
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("subtraction"), "{}", String::from_utf8_lossy(&refused.stderr));
        assert!(!dir.join("no.nir").exists());
    }

    /// How many of the logits and spikes of `a` and `b` differ on `x`.
    fn differing(a: &Network, b: &Network, x: Tensor<3>) -> usize {
        let (ra, rb) = (run(a, x.clone()), run(b, x));
        ra.0.iter().zip(&rb.0).filter(|(p, q)| p != q).count() + ra.1.iter().flatten().zip(rb.1.iter().flatten()).filter(|(p, q)| p != q).count()
    }

    #[test]
    fn a_missing_or_corrupt_file_is_an_error_naming_it() {
        let dir = common::scratch_dir("nir_bad_files");
        let missing = dir.join("absent.nir");
        let message = read(&missing).unwrap_err().to_string();
        assert!(message.contains("absent.nir") && message.contains("no such file"), "{message}");
        let corrupt = dir.join("corrupt.nir");
        std::fs::write(&corrupt, b"this is not HDF5").unwrap();
        let message = read(&corrupt).unwrap_err().to_string();
        assert!(message.contains("corrupt.nir") && message.contains("not a readable HDF5 file"), "{message}");
        let dir_path = dir.join("ok.nir");
        write(&export(&network(paper_lif()), DT).unwrap(), &dir_path).unwrap();
        let unsupported = NirGraph { nodes: [("c".to_string(), NirNode::Other { kind: "Conv2d".into() })].into(), edges: vec![] };
        let message = write(&unsupported, &dir.join("conv.nir")).unwrap_err().to_string();
        assert!(message.contains("Conv2d"), "{message}");
        assert!(!dir.join("conv.nir").exists(), "a failed write leaves no file");
    }
}
