//! Trains a theta (QIF) and a LIF network with exact spike-time gradients on randman and
//! prints their learning curves.
//!
//! ```text
//! cargo run --release --example exact_gradients -- [tau] [duration] [weight_scale] [lr] [epochs]
//! ```

use sglab::data::randman::RandmanConfig;
use sglab::event::{CurrentLif, EventModel, EventSample, EventTrainConfig, FirstSpikeLoss, Theta, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<f64> = std::env::args().skip(1).map(|a| a.parse()).collect::<Result<_, _>>()?;
    let arg = |k: usize, default: f64| args.get(k).copied().unwrap_or(default);
    let (tau, duration, scale, lr, epochs) = (arg(0, 0.5), arg(1, 1.0), arg(2, 4.0), arg(3, 5e-3), arg(4, 20.0) as usize);
    let data = RandmanConfig { classes: 10, units: 20, steps: 1000, samples_per_class: 500, ..RandmanConfig::default() }.splits()?;
    let (train_set, val, test) = (EventSample::all_of(&data.train, 1.0), EventSample::all_of(&data.validation, 1.0), EventSample::all_of(&data.test, 1.0));
    for model in [EventModel::Theta(Theta::new(tau, 1.25)?), EventModel::Lif(CurrentLif::new(tau, 1.0)?)] {
        let config = EventTrainConfig {
            model,
            hidden: vec![64],
            duration,
            weight_scale: scale,
            lr,
            lr_decay_epochs: 100.0,
            batch_size: 64,
            max_epochs: epochs,
            patience: 10,
            loss: FirstSpikeLoss::default(),
            max_spikes: 64,
            seed: 0,
        };
        let start = std::time::Instant::now();
        let run = train(&config, &train_set, &val, &test, 10)?;
        for e in &run.history {
            println!(
                "{} epoch {:>3}: train loss {:.3} acc {:.3} | val loss {:.3} acc {:.3} | rate {:.2} silent {} outputs in trial {:.2}",
                model.name(), e.epoch, e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy, e.hidden_rate, e.silent, e.output_spike_share
            );
        }
        println!("{}: test accuracy {:.3} at epoch {} ({:.1} s)", model.name(), run.test.accuracy(), run.best_epoch, start.elapsed().as_secs_f64());
    }
    Ok(())
}
