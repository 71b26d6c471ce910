//! The van Rossum distance between spike trains (van Rossum 2001), the loss of Gygax & Zenke's
//! spike-train matching (other_seeds.md §A.4 b): both trains are filtered with the
//! post-synaptic kernel
//!
//! ```text
//! ε(t) = ε₀ (e^{−t/τ_m} − e^{−t/τ_s}),  t ≥ 0        (0 before the spike)
//! ```
//!
//! and the distance is D = ½ Σ_{t, b, i} (F_out[t, b, i] − F_target[t, b, i])² with
//! F[t] = Σ_{t′ ≤ t} ε((t − t′)Δt) s[t′]. In steps, the filter is the lower-triangular Toeplitz
//! matrix K[t, t′] = ε((t − t′)Δt), so F = K·S over the time axis: one matrix product, which
//! autodiff differentiates like any other.

use burn::Tensor;
use burn::tensor::{Device, TensorData};

/// The kernel ε of the distance, its time constants in steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VanRossum {
    /// Membrane time constant τ_m in steps.
    pub tau_mem: f64,
    /// Synaptic time constant τ_s in steps (< τ_m).
    pub tau_syn: f64,
    /// Scale ε₀.
    pub scale: f64,
}

impl Default for VanRossum {
    /// Gygax & Zenke's: τ_m = 10, τ_s = 5 (ms at Δt = 1 ms), ε₀ = 0.2.
    fn default() -> Self {
        VanRossum { tau_mem: 10.0, tau_syn: 5.0, scale: 0.2 }
    }
}

impl VanRossum {
    /// ε at lag `lag` steps (0 for negative lags).
    pub fn kernel(&self, lag: f64) -> f64 {
        if lag < 0.0 { 0.0 } else { self.scale * ((-lag / self.tau_mem).exp() - (-lag / self.tau_syn).exp()) }
    }

    /// The filter matrix K `[T, T]`, K[t, t′] = ε(t − t′).
    pub fn filter_matrix(&self, steps: usize, device: &Device) -> Tensor<2> {
        let values: Vec<f64> = (0..steps * steps).map(|k| self.kernel((k / steps) as f64 - (k % steps) as f64)).collect();
        Tensor::from_data(TensorData::new(values, [steps, steps]), device)
    }

    /// The filtered trains F = K·S of spikes `[T, B, N]`.
    pub fn filter(&self, spikes: Tensor<3>) -> Tensor<3> {
        let [t, b, n] = spikes.dims();
        let k = self.filter_matrix(t, &spikes.device());
        k.matmul(spikes.reshape([t, b * n])).reshape([t, b, n])
    }

    /// D = ½ Σ (F_out − F_target)² between `spikes` and `target` (both `[T, B, N]`), per batch
    /// row: `[B]`.
    pub fn distance(&self, spikes: Tensor<3>, target: Tensor<3>) -> Tensor<1> {
        let difference = self.filter(spikes) - self.filter(target);
        let [_, b, _] = difference.dims();
        (difference.powi_scalar(2).swap_dims(0, 1).reshape([b as i32, -1]).sum_dim(1).squeeze_dim::<1>(1)) * 0.5
    }
}
