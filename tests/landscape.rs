//! Loss-landscape slices: fragmentation measures on closed forms, filter-normalised directions,
//! and slices that start at the trained network's own loss.

mod common;

use sglab::burn::Tensor;
use sglab::burn::tensor::TensorData;
use sglab::network::{ClassificationLoss, NetworkConfig};
use sglab::theory::landscape::{Weights, jumps, roughness, slice_1d, slice_2d};

/// x² on K + 1 points of [−1, 1]: no jumps, roughness 4(K − 1)/K²; a 4-step staircase: 4
/// jumps, roughness 2 (each step enters and leaves once, Σ|Δ²| = 2 Σ|Δ|); a constant: 0.
#[test]
fn fragmentation_measures_match_closed_forms() {
    let k = 200;
    let parabola: Vec<f64> = (0..=k).map(|i| (-1.0 + 2.0 * i as f64 / k as f64).powi(2)).collect();
    assert_eq!(jumps(&parabola, 5.0), 0);
    let expected = 4.0 * (k - 1) as f64 / (k * k) as f64;
    assert!((roughness(&parabola) - expected).abs() < 1e-9, "{} vs {expected}", roughness(&parabola));
    let staircase: Vec<f64> = (0..=k).map(|i| ((i * 5) / (k + 1)) as f64 * 0.3).collect();
    assert_eq!(jumps(&staircase, 5.0), 4);
    assert!((roughness(&staircase) - 2.0).abs() < 1e-12, "{}", roughness(&staircase));
    assert_eq!(roughness(&[1.0; 10]), 0.0);
    assert_eq!(jumps(&[1.0], 5.0), 0);
    // A smooth ramp with one added discontinuity: exactly one jump.
    let broken: Vec<f64> = (0..=k).map(|i| i as f64 * 0.01 + if i > 120 { 1.0 } else { 0.0 }).collect();
    assert_eq!(jumps(&broken, 5.0), 1);
}

/// Each column of a direction's matrices has the norm of the trained column; biases are not
/// displaced; the weights round-trip through a network; a wrong shape is an error.
#[test]
fn directions_are_filter_normalised_and_weights_round_trip() {
    let device = sglab::device("flex").unwrap().autodiff();
    let net = NetworkConfig::new(6, vec![5], 3).with_seed(4).init(&device).unwrap();
    let w = Weights::of(&net);
    assert_eq!(w.tensors.len(), 5, "W_in, W_rec, bias, readout weight and bias");
    let d = w.random_direction(9);
    for ((values, shape), (dv, _)) in w.tensors.iter().zip(&d.tensors) {
        if shape.len() == 1 {
            assert!(dv.iter().all(|&x| x == 0.0));
            continue;
        }
        let (rows, cols) = (shape[0], shape[1]);
        for j in 0..cols {
            let norm = |v: &[f64]| (0..rows).map(|i| v[i * cols + j].powi(2)).sum::<f64>().sqrt();
            assert!((norm(values) - norm(dv)).abs() < 1e-9 * norm(values).max(1.0), "column {j} of {shape:?}");
        }
    }
    assert_ne!(d, w.random_direction(10), "seeds give different directions");
    let moved = w.displaced(&[(0.5, &d)]);
    let back = Weights::of(&moved.apply(&net, &device).unwrap());
    for ((a, _), (b, _)) in back.tensors.iter().zip(&moved.tensors) {
        common::assert_close(a, b, 1e-6, 1e-6, "weights after apply");
    }
    let mut wrong = w.clone();
    wrong.tensors[0].1 = vec![5, 6];
    let err = wrong.apply(&net, &device).unwrap_err().to_string();
    assert!(err.contains("[6, 5]"), "{err}");
}

/// At α = 0 the 1-D slice is the network's own loss and gradient norm (from an independent
/// backward), and the 2-D slice at (0, 0) is that loss; along α the smooth-forward network's
/// loss changes at the rate ∇L · d (central differences).
#[test]
fn slices_start_at_the_network_and_follow_the_gradient() {
    use sglab::spike::{Forward, SpikeFn};
    use sglab::surrogate::{Shape, Surrogate};
    let device = sglab::device("flex").unwrap().autodiff();
    let smooth = SpikeFn::new(Surrogate::new(Shape::Sigmoid, 1.0, 1.0).unwrap()).with_forward(Forward::Smooth).unwrap();
    let net = NetworkConfig::new(4, vec![6], 3).with_seed(2).init_with_spike_fn(smooth, &device).unwrap();
    let (steps, batch) = (10, 5);
    let x: Vec<f64> = (0..steps * batch * 4).map(|k| ((k * 7) % 3) as f64 / 2.0).collect();
    let inputs = Tensor::<3>::from_data(TensorData::new(x, [steps, batch, 4]), &device);
    let labels = [0, 1, 2, 1, 0];
    let loss = ClassificationLoss::TimeAveraged;
    let own = loss.loss(net.forward(inputs.clone()).unwrap().logits, &labels).unwrap();
    let own_value = own.clone().into_scalar::<f64>();
    let grads = own.backward();
    let g: Vec<Vec<f64>> = vec![
        common::values(net.layers[0].input_weights().grad(&grads).unwrap()),
        common::values(net.layers[0].recurrent_weights().expect("a recurrent layer").grad(&grads).unwrap()),
        common::values(net.layers[0].bias().unwrap().grad(&grads).unwrap()),
        common::values(net.readout_weight.grad(&grads).unwrap()),
        common::values(net.readout_bias.as_ref().unwrap().grad(&grads).unwrap()),
    ];
    let norm = g.iter().flatten().map(|v| v * v).sum::<f64>().sqrt();
    let d = Weights::of(&net).random_direction(3);
    let h = 1e-3;
    let slice = slice_1d(&net, &d, &[-h, 0.0, h], &inputs, &labels, loss, &device).unwrap();
    assert!((slice[1].0 - own_value).abs() < 1e-6 && (slice[1].1 - norm).abs() < 1e-5 * norm, "{:?} vs ({own_value}, {norm})", slice[1]);
    let directional: f64 = g.iter().flatten().zip(d.tensors.iter().flat_map(|(v, _)| v.iter())).map(|(a, b)| a * b).sum();
    let fd = (slice[2].0 - slice[0].0) / (2.0 * h);
    assert!((fd - directional).abs() < 2e-3 * directional.abs().max(1e-2), "finite difference {fd} vs ∇L·d {directional}");
    let plane = slice_2d(&net, (&d, &d), &[0.0], &[0.0], &inputs, &labels, loss, &device).unwrap();
    assert!((plane[0] - own_value).abs() < 1e-6);
}
