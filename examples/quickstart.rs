//! Train a one-layer recurrent LIF network on a tiny synthetic spike-timing task and print the
//! loss and firing rate as it learns.
//!
//! The task: 20 input channels each fire once; in class 0 channel c fires at step c, in class 1
//! at step 19 − c (the same spikes, reversed in time), plus one random extra spike per sample.
//! Only spike timing separates the classes.
//!
//! ```text
//! cargo run --release --example quickstart [-- BACKEND]     # flex (default), ndarray or wgpu
//! ```

use sglab::burn::Tensor;
use sglab::burn::optim::{AdamConfig, GradientsParams};
use sglab::burn::tensor::{Device, TensorData};
use sglab::network::{NetworkConfig, time_averaged_cross_entropy};
use sglab::surrogate::{Shape, Surrogate};
use rand::RngExt;

const CHANNELS: usize = 20;
const STEPS: usize = 25;
const BATCH: usize = 32;

fn batch(rng: &mut rand::rngs::StdRng, device: &Device) -> (Tensor<3>, Vec<usize>) {
    let mut x = vec![0.0f64; STEPS * BATCH * CHANNELS];
    let mut labels = Vec::with_capacity(BATCH);
    for b in 0..BATCH {
        let label = rng.random_range(0..2usize);
        labels.push(label);
        for c in 0..CHANNELS {
            let t = if label == 0 { c } else { CHANNELS - 1 - c };
            x[(t * BATCH + b) * CHANNELS + c] = 1.0;
        }
        let (t, c) = (rng.random_range(0..STEPS), rng.random_range(0..CHANNELS));
        x[(t * BATCH + b) * CHANNELS + c] = 1.0;
    }
    (Tensor::from_data(TensorData::new(x, [STEPS, BATCH, CHANNELS]), device), labels)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = std::env::args().nth(1).unwrap_or_else(|| "flex".into());
    let device = sglab::device(&backend)?.autodiff();
    let mut net = NetworkConfig::new(CHANNELS, vec![64], 2)
        .with_surrogate(Surrogate::new(Shape::FastSigmoid, 0.5, 1.0)?)
        .with_seed(1)
        .init(&device)?;
    let mut optim = AdamConfig::new().init();
    let mut rng = sglab::rng::rng(7, 0);
    println!("backend {backend}: 1 recurrent LIF layer of 64, {STEPS} steps, batch {BATCH}");
    println!("{:>5} {:>8} {:>9} {:>13}", "step", "loss", "accuracy", "firing rate");
    for step in 0..=60 {
        let (x, labels) = batch(&mut rng, &device);
        let out = net.forward(x)?;
        let rate = out.firing_rates()[0];
        let predictions = out.logits.clone().detach().mean_dim(0).squeeze_dim::<2>(0).argmax(1);
        let predictions: Vec<i64> = predictions.into_data().convert::<i64>().try_to_vec()?;
        let correct = predictions.iter().zip(&labels).filter(|(p, l)| **p as usize == **l).count();
        let loss = time_averaged_cross_entropy(out.logits, &labels)?;
        let loss_value = loss.clone().detach().into_scalar::<f64>();
        if step % 10 == 0 {
            println!(
                "{step:>5} {loss_value:>8.4} {:>9.3} {rate:>13.4}",
                correct as f64 / BATCH as f64
            );
        }
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(2e-3, net, grads);
    }
    Ok(())
}
