//! DECOLLE: the trace dynamics against a host recurrence, the locality of its gradient against
//! the closed form, LSUV's moments, the rate control and learning on randman.

mod common;

use common::{assert_close, values};
use sglab::burn::Tensor;
use sglab::burn::module::Param;
use sglab::burn::tensor::TensorData;
use sglab::data::randman::RandmanConfig;
use sglab::neuron::decolle::{DecolleConfig, DecolleNet, RateControl, smooth_l1};
use sglab::spike::SpikeFn;
use sglab::surrogate::{Shape, Surrogate};
use sglab::train::{Method, ProgressMode, RunOptions, RunStatus, SpikeConfig, TaskConfig, TrainConfig, train_with};

fn surrogate() -> Surrogate {
    // DECOLLE's 1/(10|U| + 1)²: fast sigmoid with peak 1 and 2β = 10.
    Surrogate::new(Shape::FastSigmoid, 1.0, 5.0).unwrap()
}

fn matrix(v: &[f64], rows: usize, cols: usize, device: &sglab::burn::tensor::Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v.to_vec(), [rows, cols]), device)
}

fn net(input: usize, hidden: &[usize], classes: usize, seed: u64, device: &sglab::burn::tensor::Device) -> DecolleNet {
    DecolleConfig::default().init(input, hidden, classes, SpikeFn::new(surrogate()), seed, device).unwrap()
}

#[test]
fn traces_and_spikes_follow_the_decolle_recurrence() {
    let device = sglab::device("flex").unwrap();
    let (n_in, n, classes, steps) = (3, 2, 2, 8);
    let mut net = net(n_in, &[n], classes, 0, &device);
    let w = [0.9, -0.4, 0.5, 1.2, -0.3, 0.8];
    let b = [0.05, -0.1];
    net.layers[0].weight = Param::from_tensor(matrix(&w, n_in, n, &device));
    net.layers[0].bias = Param::from_tensor(common::tensor1(&b, &device));
    let input: Vec<[f64; 3]> = (0..steps).map(|t| [((t % 2) == 0) as u8 as f64, (t % 3 == 0) as u8 as f64, 1.0]).collect();

    let (alpha, beta, alpha_rp, w_rp) = (0.97, 0.92, 0.65, 1.0);
    let (mut q, mut p, mut r, mut s) = ([0.0; 3], [0.0; 3], [0.0; 2], [0.0; 2]);
    let mut state = net.initial_state(1);
    for x in &input {
        // Host recurrence (module docs of sglab::neuron::decolle).
        let q_old = q;
        for i in 0..n_in {
            q[i] = beta * q[i] + (1.0 - beta) * x[i];
            p[i] = alpha * p[i] + (1.0 - alpha) * q_old[i];
        }
        let mut u = [0.0; 2];
        for j in 0..n {
            r[j] = alpha_rp * r[j] - (1.0 - alpha_rp) * w_rp * s[j];
            u[j] = (0..n_in).map(|i| p[i] * w[i * n + j]).sum::<f64>() + b[j] + r[j];
        }
        s = u.map(|v| (v > 0.0) as u8 as f64);

        let (next, out) = net.step(matrix(x, 1, n_in, &device), &state);
        assert_close(&values(out[0].u.clone()), &u, 1e-5, 1e-5, "U_t");
        assert_eq!(values(out[0].s.clone()), s.to_vec(), "S_t = H(U_t)");
        state = next;
    }
}

#[test]
fn each_layer_learns_only_from_its_own_readout_through_the_closed_form_gradient() {
    let device = sglab::device("flex").unwrap().autodiff();
    let (n_in, hidden, classes, batch) = (6, [5, 4], 3, 2);
    let net = net(n_in, &hidden, classes, 7, &device);
    let mut state = net.initial_state(batch);
    let x = |t: usize| matrix(&(0..batch * n_in).map(|k| ((k * 7 + t * 3) % 5 < 2) as u8 as f64).collect::<Vec<_>>(), batch, n_in, &device);
    // Fill the traces, then take the gradient of one step's summed loss.
    for t in 0..4 {
        state = net.step(x(t), &state).0;
    }
    let p0 = values(state[0].p.clone() * 0.97 + state[0].q.clone() * 0.03);
    let (_, out) = net.step(x(4), &state);
    let target = matrix(&[1.0, 0.0, 0.0, 0.0, 0.0, 1.0], batch, classes, &device);
    let loss = smooth_l1(out[0].y.clone(), target.clone()) + smooth_l1(out[1].y.clone(), target.clone());
    let grads = loss.backward();

    // ∂/∂W₀ of SmoothL1(Y₀) only: dY = clip(Y₀ − target, ±1)/(B·C); dS = dY Gᵀ; dU = dS ⊙ σ′(U₀); dW = Pᵀ dU.
    let (y, u, g) = (values(out[0].y.clone()), values(out[0].u.clone()), values(net.layers[0].readout.val()));
    let t = values(target);
    let n = hidden[0];
    let d_y: Vec<f64> = y.iter().zip(&t).map(|(a, b)| (a - b).clamp(-1.0, 1.0) / (batch * classes) as f64).collect();
    let mut d_u = vec![0.0; batch * n];
    for bi in 0..batch {
        for j in 0..n {
            let d_s: f64 = (0..classes).map(|c| d_y[bi * classes + c] * g[j * classes + c]).sum();
            d_u[bi * n + j] = d_s * surrogate().derivative(u[bi * n + j]);
        }
    }
    let mut d_w = vec![0.0; n_in * n];
    for i in 0..n_in {
        for j in 0..n {
            d_w[i * n + j] = (0..batch).map(|bi| p0[bi * n_in + i] * d_u[bi * n + j]).sum();
        }
    }
    let d_b: Vec<f64> = (0..n).map(|j| (0..batch).map(|bi| d_u[bi * n + j]).sum()).collect();
    assert_close(&values(net.layers[0].weight.grad(&grads).unwrap()), &d_w, 1e-6, 1e-4, "dL/dW₀");
    assert_close(&values(net.layers[0].bias.grad(&grads).unwrap()), &d_b, 1e-6, 1e-4, "dL/db₀");
    assert!(d_w.iter().any(|v| v.abs() > 1e-6), "the test needs a non-zero gradient");
    // The fixed readouts get none.
    assert!(net.layers[0].readout.grad(&grads).is_none() && net.layers[1].readout_bias.grad(&grads).is_none());
}

fn randman(steps: usize) -> RandmanConfig {
    RandmanConfig { classes: 3, units: 10, steps, alpha: 2.0, samples_per_class: 40, seed: 2, ..Default::default() }
}

#[test]
fn lsuv_centres_every_layer_at_zero_mean_and_unit_variance() {
    let device = sglab::device("flex").unwrap();
    let splits = randman(40).splits().unwrap();
    let batch = splits.train.batches(32, Some(1), &device).unwrap().next().unwrap();
    let (net, reported) = net(10, &[32, 16], 3, 3, &device).lsuv(&batch.inputs, 5, 20, 0.05);
    // Recompute U's moments over the steps after the burn-in, independently of lsuv.
    let mut state = net.initial_state(batch.labels.len());
    let mut us: Vec<Vec<f64>> = vec![Vec::new(), Vec::new()];
    for (t, xt) in batch.inputs.clone().iter_dim(0).enumerate() {
        let (next, out) = net.step(xt.squeeze_dim(0), &state);
        state = next;
        if t >= 5 {
            for l in 0..2 {
                us[l].extend(values(out[l].u.clone()));
            }
        }
    }
    for (l, u) in us.iter().enumerate() {
        let mean = u.iter().sum::<f64>() / u.len() as f64;
        let var = u.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / u.len() as f64;
        assert!(mean.abs() < 0.06, "layer {l}: mean U = {mean}");
        assert!((var - 1.0).abs() < 0.1, "layer {l}: var U = {var}");
        assert!((reported[l].0 - mean).abs() < 1e-3, "layer {l}: reported mean {} vs {mean}", reported[l].0);
    }
}

fn decolle_config(epochs: usize, control: Option<RateControl>) -> TrainConfig {
    let mut config = TrainConfig::new(TaskConfig::Randman(randman(30)), epochs);
    config.model.hidden_sizes = vec![32];
    config.model.spike = SpikeConfig::surrogate(surrogate());
    config.run.batch_size = 16;
    config.optimizer.lr = 1e-2;
    config.optimizer.beta1 = 0.0;
    config.optimizer.beta2 = 0.95;
    config.run.seed = 1;
    config.method = Method::Decolle(DecolleConfig { rate_control: control, ..DecolleConfig::default() });
    config
}

fn quiet() -> RunOptions {
    RunOptions { checkpoint_dir: None, progress: ProgressMode::Quiet, model_file: None }
}

#[test]
fn decolle_learns_randman_and_the_rate_control_sets_the_early_rate() {
    let plain = train_with(&decolle_config(8, None), &quiet()).unwrap();
    assert_eq!(plain.status, RunStatus::Completed);
    for e in &plain.history {
        println!("epoch {}: train loss {:.4} acc {:.3} rates {:?}; val acc {:?}", e.epoch, e.train.loss, e.train.accuracy, e.train.rates, e.validation.as_ref().map(|v| (v.accuracy, v.samples)));
    }
    let accuracy = plain.max_validation_accuracy().unwrap();
    println!("DECOLLE on randman (3 classes): initial rate {:?}, best validation accuracy {accuracy}", plain.initial_rates);
    assert!(accuracy > 0.6, "chance is 1/3, got {accuracy}");
    // LSUV starts the layer near half of the neurons firing.
    assert!((plain.initial_rates[0] - 0.5).abs() < 0.15, "initial rate {:?}", plain.initial_rates);

    let control = RateControl { target: 0.158, weight: 100.0, until_epoch: 1 };
    let controlled = train_with(&decolle_config(2, Some(control)), &quiet()).unwrap();
    let rate = controlled.history[1].train.rates[0];
    println!("rate in epoch 2 with control towards 0.158: {rate}; without: {}", plain.history[1].train.rates[0]);
    assert!((rate - 0.158).abs() < 0.05, "controlled rate {rate}");
    assert!(controlled.history[1].regularizer_loss > 0.0);
    assert!((plain.history[1].train.rates[0] - 0.158).abs() > 0.1, "the uncontrolled rate should not sit at the target by chance");
}

#[test]
fn decolle_configuration_errors_name_the_field() {
    let field = |config: TrainConfig| sglab::validate::Validate::validate(&config).expect_err("a configuration error").path;
    // BPTT-only settings cannot sit beside DECOLLE in a value; in a file they are refused by name.
    let text = decolle_config(1, None).to_toml();
    assert!(text.contains("[init]\nkind = \"configured\""), "{text}");
    let refused = [
        (format!("{text}\n[rate_targeting]\nrate = 0.5\n"), "rate_targeting"),
        (text.replace("[init]\nkind = \"configured\"", "[init]\nkind = \"fluctuation\""), "init"),
        (format!("{text}\n[regularizer]\nweight = 1.0\ntarget = 0.1\n"), "regularizer"),
    ];
    for (file, field) in refused {
        let err = TrainConfig::from_toml(&file).unwrap_err().to_string();
        assert!(err.contains(&format!("`{field}`")) && err.contains("[decolle]"), "{field}: {err}");
    }
    let decolle = |c: &mut TrainConfig| match &mut c.method {
        Method::Decolle(d) => *d,
        Method::Bptt(_) => panic!("a DECOLLE configuration"),
    };
    let with = |f: &dyn Fn(&mut DecolleConfig)| {
        let mut c = decolle_config(1, None);
        let mut d = decolle(&mut c);
        f(&mut d);
        c.method = Method::Decolle(d);
        c
    };
    assert_eq!(field(with(&|d| d.alpha = 1.0)), "decolle.alpha");
    let c = decolle_config(1, Some(RateControl { target: 1.5, weight: 1.0, until_epoch: 0 }));
    assert_eq!(field(c), "decolle.rate_control.target");
    // Too long a burn-in for the samples is reported when training starts.
    let c = with(&|d| d.burn_in = 30);
    let err = train_with(&c, &quiet()).unwrap_err().to_string();
    assert!(err.contains("decolle.burn_in"), "{err}");
    // TOML round trip with the section.
    let text = c.to_toml();
    assert!(text.contains("[decolle]"), "{text}");
    assert_eq!(TrainConfig::from_toml(&text).unwrap(), c);
}
