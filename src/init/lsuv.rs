//! Layer-sequential unit-variance initialisation (Mishkin & Matas 2016) of a DECOLLE network, as
//! the DECOLLE code does before training: on one batch, each layer in turn has its weights
//! scaled by 1/√Var(U) and its bias shifted by −mean(U), over the steps after the burn-in, until
//! |mean U| and |Var U − 1| are below the tolerance ([`DecolleNet::lsuv`] has the loop).

use super::{InitContext, InitError, Initialiser};
use crate::neuron::decolle::{DecolleConfig, DecolleNet};

/// The LSUV settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lsuv {
    /// Steps at the start of the sequence left out of the statistics.
    pub burn_in: usize,
    /// At most this many rescaling rounds per layer.
    pub iterations: usize,
    /// The tolerance on |mean U| and |Var U − 1|.
    pub tolerance: f64,
}

impl Lsuv {
    /// DECOLLE's settings: the configuration's burn-in, 20 rounds, tolerance 0.05.
    pub fn of(config: &DecolleConfig) -> Self {
        Lsuv { burn_in: config.burn_in, iterations: 20, tolerance: 0.05 }
    }
}

/// The stream of the measuring batch's order.
const LSUV_STREAM: u64 = 0x15C7;

impl Initialiser<DecolleNet> for Lsuv {
    /// Measures on the first training batch (order seeded by `seed + 0x15C7`).
    fn initialise(&self, net: DecolleNet, context: &InitContext<'_, DecolleConfig>) -> Result<DecolleNet, InitError> {
        let batch = context
            .train
            .batches(context.batch_size, Some(context.seed.wrapping_add(LSUV_STREAM)), context.device)?
            .next()
            .ok_or_else(|| InitError::Data(crate::data::DataError::Invalid("LSUV needs a non-empty training set".into())))?;
        let (net, moments) = net.lsuv(&batch.inputs, self.burn_in, self.iterations, self.tolerance);
        (context.log)(&format!("LSUV: per-layer (mean U, var U) {moments:?}"));
        Ok(net)
    }
}
