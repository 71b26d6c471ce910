//! The event-driven simulator against independent references: the closed forms against the
//! maps they stand for, spike times against a fine time grid, exact gradients against central
//! differences, and the continuity of the theta loss against the jumps of the LIF loss.

use rand::{RngExt, SeedableRng, rngs::StdRng};
use sglab::event::{CurrentLif, EventModel, EventNetwork, EventSample, EventTrainConfig, FirstSpikeLoss, Theta, train};

fn samples(inputs: usize, count: usize, span: f64, seed: u64) -> Vec<EventSample> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|k| {
            let mut events: Vec<(f64, u32)> = (0..2 * inputs).map(|_| (rng.random_range(0.0..span), rng.random_range(0..inputs as u32))).collect();
            events.sort_by(|a, b| a.0.total_cmp(&b.0));
            EventSample { times: events.iter().map(|e| e.0).collect(), channels: events.iter().map(|e| e.1).collect(), label: k % 3 }
        })
        .collect()
}

fn theta() -> EventModel {
    EventModel::Theta(Theta::new(0.3, 1.25).unwrap())
}

fn lif() -> EventModel {
    EventModel::Lif(CurrentLif::new(0.5, 1.0).unwrap())
}

#[test]
fn theta_transfer_is_the_potential_jump_with_its_derivatives() {
    let m = Theta::new(0.7, 1.6).unwrap();
    let period = m.period();
    assert!((period - 0.7 * std::f64::consts::PI / (1.6f64 - 0.25).sqrt()).abs() < 1e-12);
    for k in 1..20 {
        let phi = period * k as f64 / 20.0;
        for w in [-2.0, -0.3, 0.5, 3.0] {
            let (h, h_phi, h_w) = m.transfer(phi, w);
            assert!((h - m.phase(m.potential(phi) + w)).abs() < 1e-9, "H({phi}, {w})");
            let d = 1e-6;
            let fd_phi = (m.transfer(phi + d, w).0 - m.transfer(phi - d, w).0) / (2.0 * d);
            let fd_w = (m.transfer(phi, w + d).0 - m.transfer(phi, w - d).0) / (2.0 * d);
            assert!((h_phi - fd_phi).abs() < 1e-6 * fd_phi.abs().max(1.0), "∂H/∂φ at ({phi}, {w}): {h_phi} vs {fd_phi}");
            assert!((h_w - fd_w).abs() < 1e-6 * fd_w.abs().max(1.0), "∂H/∂w at ({phi}, {w}): {h_w} vs {fd_w}");
        }
    }
    // V = ∓∞ does not move.
    assert_eq!(m.transfer(0.0, 2.0).0, 0.0);
    assert!((m.transfer(period, -2.0).0 - period).abs() < 1e-12);
}

/// A neuron's spike times on a time grid of step 10⁻⁶ (RK4 for the theta neuron's V, with the
/// spike where V passes 10⁴ and the restart at −10⁴, which loses τ/10⁴ at each end; the LIF's
/// exact flow per step).
fn grid_spikes(model: EventModel, inputs: &[(f64, f64)], duration: f64) -> Vec<f64> {
    let dt = 1e-6;
    let steps = (duration / dt) as usize;
    let mut spikes = Vec::new();
    let mut next = 0;
    match model {
        EventModel::Theta(m) => {
            let mut v = m.potential(m.period() / 2.0);
            let f = |v: f64| (v * (v - 1.0) + m.drive) / m.tau;
            for k in 0..steps {
                let t = k as f64 * dt;
                while next < inputs.len() && inputs[next].0 <= t {
                    v += inputs[next].1;
                    next += 1;
                }
                let (k1, k2) = (f(v), f(v + 0.5 * dt * f(v)));
                let k3 = f(v + 0.5 * dt * k2);
                let k4 = f(v + dt * k3);
                v += dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
                if v > 1e4 {
                    spikes.push(t + dt);
                    v = -1e4;
                }
            }
        }
        EventModel::Lif(m) => {
            let (mut v, mut i) = (0.0, 0.0);
            for k in 0..steps {
                let t = k as f64 * dt;
                while next < inputs.len() && inputs[next].0 <= t {
                    i += inputs[next].1;
                    next += 1;
                }
                (v, i) = m.flow(v, i, dt);
                if v >= m.threshold {
                    spikes.push(t + dt);
                    v = 0.0;
                }
            }
        }
    }
    spikes
}

#[test]
fn spike_times_match_a_fine_time_grid() {
    let inputs = [(0.05, 1.5), (0.12, 2.0), (0.3, -0.8), (0.31, 3.0), (0.55, 2.5), (0.6, 1.0), (0.8, 4.0)];
    let (times, sources): (Vec<f64>, Vec<u32>) = inputs.iter().enumerate().map(|(k, e)| (e.0, k as u32)).unzip();
    let weights: Vec<f64> = inputs.iter().map(|e| e.1).collect();
    for model in [theta(), lif()] {
        let initial = match model {
            EventModel::Theta(m) => m.period() / 2.0,
            EventModel::Lif(_) => 0.0,
        };
        let exact = model.run(initial, &times, &sources, &weights, 1.0, 64).spikes;
        let grid = grid_spikes(model, &inputs, 1.0);
        assert!(!exact.is_empty(), "{}: the test needs spikes", model.name());
        let shown = &grid[..grid.len().min(8)];
        assert_eq!(exact.len(), grid.len(), "{}: {exact:?} vs {shown:?}", model.name());
        for (a, b) in exact.iter().zip(&grid) {
            assert!((a - b).abs() < 2e-4, "{}: {exact:?} vs {shown:?}", model.name());
        }
    }
}

#[test]
fn lif_crossing_is_the_first_threshold_crossing() {
    let m = CurrentLif::new(0.8, 1.0).unwrap();
    for (v, i) in [(0.0, 4.5), (0.5, 3.0), (0.9, 0.5), (-0.5, 8.0), (0.0, 3.9), (0.2, 1.0), (0.0, -2.0)] {
        let grid: Vec<f64> = (1..200_000).map(|k| k as f64 * 2e-5).collect();
        let first = grid.iter().copied().find(|&t| m.flow(v, i, t).0 >= m.threshold);
        match (m.crossing(v, i), first) {
            (Some((dt, x)), Some(t)) => {
                assert!((dt - t).abs() < 3e-5, "({v}, {i}): {dt} vs grid {t}");
                assert!((m.flow(v, i, dt).0 - m.threshold).abs() < 1e-10);
                assert!((x - (-dt / m.tau).exp()).abs() < 1e-14);
            }
            (None, None) => {}
            (a, b) => panic!("({v}, {i}): closed form {a:?}, grid {b:?}"),
        }
    }
}

/// The events of a pass: per layer the order of its input sources and each neuron's count.
fn signature(net: &EventNetwork, data: &[EventSample]) -> Vec<(Vec<u32>, Vec<usize>)> {
    data.iter().flat_map(|s| net.forward(s).layers.into_iter().map(|l| (l.sources, l.neurons.iter().map(|n| n.spikes.len()).collect()))).collect()
}

fn total_loss(net: &EventNetwork, data: &[EventSample], loss: &FirstSpikeLoss) -> f64 {
    net.evaluate(&data.iter().collect::<Vec<_>>(), loss, false).loss
}

#[test]
fn exact_gradients_equal_central_differences() {
    let loss = FirstSpikeLoss { gamma: 0.05 };
    for model in [EventModel::Theta(Theta::new(0.4, 1.25).unwrap()), lif()] {
        for sizes in [vec![6, 8, 3], vec![6, 7, 5, 3]] {
            let scale = if matches!(model, EventModel::Lif(_)) { 16.0 } else { 3.0 };
            let mut net = EventNetwork::new(model, sizes.clone(), 1.0, scale, 7).unwrap();
            if model.has_initial_phase() {
                let mut rng = StdRng::seed_from_u64(3);
                for l in 1..=net.depth() {
                    let (_, p0) = net.offsets(l);
                    for p in &mut net.params[p0..p0 + net.sizes[l]] {
                        *p = rng.random_range(0.1..0.8);
                    }
                }
            }
            let data = samples(6, 4, 0.8, 11);
            let r = net.evaluate(&data.iter().collect::<Vec<_>>(), &loss, true);
            let (spikes, outputs) = (r.hidden_spikes.iter().sum::<usize>(), r.output_spikes);
            assert!(spikes > 0 && outputs > 0 && outputs < 4 * 3, "{} {sizes:?}: the test needs hidden spikes and both spiking and silent outputs ({spikes}, {outputs})", model.name());
            let (mut checked, mut skipped) = (0, 0);
            let h = 1e-6;
            for p in 0..net.params.len() {
                let (mut plus, mut minus) = (net.clone(), net.clone());
                plus.params[p] += h;
                minus.params[p] -= h;
                if signature(&plus, &data) != signature(&minus, &data) {
                    skipped += 1;
                    continue;
                }
                let fd = (total_loss(&plus, &data, &loss) - total_loss(&minus, &data, &loss)) / (2.0 * h);
                let exact = r.gradient[p];
                assert!((exact - fd).abs() < 1e-5 * fd.abs().max(1.0), "{} {sizes:?} parameter {p}: exact {exact}, central difference {fd}", model.name());
                checked += 1;
            }
            assert!(checked > 9 * (checked + skipped) / 10, "{}: only {checked} of {} parameters away from event-order changes", model.name(), checked + skipped);
            let nonzero = r.gradient.iter().filter(|g| g.abs() > 1e-8).count();
            assert!(nonzero > net.params.len() / 4, "{} {sizes:?}: {nonzero} of {} gradients non-zero", model.name(), net.params.len());
        }
    }
}

/// The largest jump of the loss where a spike count changes, along a weight scanned over
/// [lo, hi]: each change located by bisection to 10⁻¹² and measured across ±10⁻¹⁰.
fn jumps_at_spike_changes(net: &EventNetwork, p: usize, lo: f64, hi: f64, data: &[EventSample]) -> (usize, f64) {
    let loss = FirstSpikeLoss::default();
    let at = |w: f64| {
        let mut n = net.clone();
        n.params[p] = w;
        n
    };
    let count = |w: f64| signature(&at(w), data).iter().map(|(_, c)| c.iter().sum::<usize>()).sum::<usize>();
    let (mut changes, mut largest) = (0, 0.0f64);
    let steps = 400;
    for k in 0..steps {
        let (mut a, mut b) = (lo + (hi - lo) * k as f64 / steps as f64, lo + (hi - lo) * (k + 1) as f64 / steps as f64);
        let ca = count(a);
        if ca == count(b) {
            continue;
        }
        while b - a > 1e-12 {
            let m = 0.5 * (a + b);
            if count(m) == ca { a = m } else { b = m }
        }
        changes += 1;
        let gap = (total_loss(&at(b + 1e-10), data, &loss) - total_loss(&at(a - 1e-10), data, &loss)).abs();
        largest = largest.max(gap);
    }
    (changes, largest)
}

#[test]
fn theta_loss_is_continuous_where_spikes_appear_and_lif_loss_jumps() {
    let data = samples(4, 3, 0.8, 5);
    let theta_net = EventNetwork::new(theta(), vec![4, 5, 3], 1.0, 3.0, 2).unwrap();
    let (changes, gap) = jumps_at_spike_changes(&theta_net, 0, -6.0, 6.0, &data);
    assert!(changes >= 2, "theta: the scan needs spikes that appear or vanish ({changes})");
    assert!(gap < 1e-6, "theta: the loss jumps by {gap} where a spike appears");
    let lif_net = EventNetwork::new(lif(), vec![4, 5, 3], 1.0, 8.0, 2).unwrap();
    let (changes, gap) = jumps_at_spike_changes(&lif_net, 0, -6.0, 12.0, &data);
    assert!(changes >= 2, "lif: the scan needs spikes that appear or vanish ({changes})");
    assert!(gap > 1e-3, "lif: the loss should jump where a spike vanishes at a tangency, largest jump {gap}");
}

/// Hidden spikes that cross the trial end while every output is silent: the pseudospikes carry
/// the theta loss across continuously (a spike just inside the trial reaches the outputs as an
/// input at T⁻; just outside, the hidden neuron's progress ≈ 1 enters the same map H), and the
/// scan must meet such crossings.
#[test]
fn theta_loss_is_continuous_where_hidden_spikes_cross_the_trial_end_with_silent_outputs() {
    let model = EventModel::Theta(Theta::new(0.5, 1.25).unwrap());
    let mut net = EventNetwork::new(model, vec![4, 6, 3], 1.0, 1.0, 9).unwrap();
    let (_, hidden_phases) = net.offsets(1);
    let (out_weights, out_phases) = net.offsets(2);
    for (k, p) in net.params[hidden_phases..hidden_phases + 6].iter_mut().enumerate() {
        *p = 0.45 + 0.03 * k as f64; // free spikes at Θ − φ₀ ≈ 1.1 down to 0.97: around T = 1
    }
    net.params[out_weights..out_phases].iter_mut().for_each(|w| *w *= 0.2);
    net.params[out_phases..out_phases + 3].iter_mut().for_each(|p| *p = 0.0); // free spikes at Θ ≈ 1.57
    let data = samples(4, 3, 0.8, 5);
    let outputs_silent = data.iter().all(|s| (0..3).all(|i| !net.forward(s).output_spiked(i)));
    assert!(outputs_silent, "the test needs silent outputs");
    let (changes, gap) = jumps_at_spike_changes(&net, 0, -3.0, 3.0, &data);
    assert!(changes >= 2, "theta: the scan needs hidden spikes that cross T ({changes})");
    assert!(gap < 1e-6, "theta: the loss jumps by {gap} where a hidden spike crosses T");
}

#[test]
fn training_lowers_the_loss_and_bad_input_is_named() {
    let data = samples(6, 60, 0.8, 21);
    let config = EventTrainConfig {
        model: theta(),
        hidden: vec![12],
        duration: 1.0,
        weight_scale: 3.0,
        lr: 1e-2,
        lr_decay_epochs: f64::INFINITY,
        batch_size: 10,
        max_epochs: 8,
        patience: 8,
        loss: FirstSpikeLoss::default(),
        max_spikes: 64,
        seed: 1,
    };
    let run = train(&config, &data[..40], &data[40..50], &data[50..], 3).unwrap();
    let first = run.history.first().unwrap().train_loss;
    let last = run.history.last().unwrap().train_loss;
    assert!(last < first - 0.05, "training loss {first} -> {last}");
    assert_eq!(run.snapshots.len(), run.history.len());

    let bad = EventTrainConfig { lr: -1.0, ..config.clone() };
    assert!(train(&bad, &data[..40], &data[40..50], &data[50..], 3).unwrap_err().to_string().contains("lr"));
    let mut wrong = data[..40].to_vec();
    wrong[0].label = 7;
    assert!(train(&config, &wrong, &data[40..50], &data[50..], 3).unwrap_err().to_string().contains("label 7"));
    assert!(Theta::new(1.0, 0.2).unwrap_err().to_string().contains("drive"));
    let unchecked = EventTrainConfig { model: EventModel::Theta(Theta { tau: 1.0, drive: 0.1 }), ..config.clone() };
    assert!(train(&unchecked, &data[..40], &data[40..50], &data[50..], 3).unwrap_err().to_string().contains("drive"));
}

/// The fragmentation measures on slices written by hand: a staircase whose steps fall where the
/// spike count changes, and a smooth parabola whose spike count changes without a loss step.
#[test]
fn fragmentation_attributes_loss_jumps_to_spike_changes() {
    use sglab::results::{Cell, frame};
    use sglab::studies::exact_gradients::{fragmentation, fragmentation_at};
    let alphas: Vec<f64> = (0..=40).map(|k| -1.0 + k as f64 / 20.0).collect();
    let mut rows = Vec::new();
    for (id, model) in [("a", "lif"), ("b", "qif")] {
        for (k, &a) in alphas.iter().enumerate() {
            // lif: a smooth ramp with unit steps at k = 10 and 30, where the spike count changes;
            // qif: a parabola whose spike count changes at k = 20 without a step.
            let (loss, spikes) = if model == "lif" {
                (0.01 * a + if k > 10 { 1.0 } else { 0.0 } + if k > 30 { 1.0 } else { 0.0 }, 5 + i64::from(k > 10) + i64::from(k > 30))
            } else {
                (a * a, 7 + i64::from(k > 20))
            };
            rows.push(vec![
                ("run_id".to_string(), Cell::Str(id.into())),
                ("neuron".to_string(), Cell::Str(model.into())),
                ("seed".to_string(), Cell::Int(0)),
                ("point".to_string(), Cell::Str("matched".into())),
                ("batch".to_string(), Cell::Str("sample 0".into())),
                ("direction".to_string(), Cell::Int(0)),
                ("alpha".to_string(), Cell::Float(a)),
                ("loss".to_string(), Cell::Float(loss)),
                ("gradient_norm".to_string(), Cell::Float(1.0)),
                ("hidden_spikes".to_string(), Cell::Int(spikes)),
                ("output_spikes".to_string(), Cell::Int(0)),
            ]);
        }
    }
    let table = fragmentation_at(&fragmentation(&frame(&rows).unwrap()).unwrap(), "matched", "single").unwrap();
    let column = |name: &str| sglab::table::optional_f64_column(&table, name).unwrap();
    let ids = sglab::table::string_column(&table, "run_id").unwrap();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(column("loss_jumps"), [Some(2.0), Some(0.0)]);
    assert_eq!(column("spike_changes"), [Some(2.0), Some(1.0)]);
    assert_eq!(column("jumps_at_spike_changes"), [Some(1.0), None], "no jump, no share");
    // α² sampled at step h = 0.05 over [−1, 1]: every second difference is 2h², so
    // Σ|Δ²L| / Σ|ΔL| = 39 · 2h² / 2 = 0.0975.
    assert!((column("loss_roughness")[1].unwrap() - 0.0975).abs() < 1e-9, "{:?}", column("loss_roughness"));
}

/// Loss and gradient are the same bits on one thread and on three: the chunks' sums are added
/// in sample order.
#[test]
fn evaluation_does_not_depend_on_the_number_of_threads() {
    let net = EventNetwork::new(theta(), vec![6, 9, 3], 1.0, 3.0, 4).unwrap();
    let data = samples(6, 45, 0.8, 13);
    let batch: Vec<&EventSample> = data.iter().collect();
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| net.evaluate(&batch, &FirstSpikeLoss::default(), true))
    };
    let (one, three) = (on(1), on(3));
    assert_eq!(one.loss.to_bits(), three.loss.to_bits());
    assert!(one.gradient.iter().zip(&three.gradient).all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(one.hidden_spikes, three.hidden_spikes);
}
