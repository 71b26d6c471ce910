//! Fluctuation-driven initialisation (Rossbroich, Gygax & Zenke 2022; stork `initializers.py`;
//! other_seeds.md §E).
//!
//! The membrane potential is a sum of postsynaptic potentials, U(t) = Σ_j w_j Σ_k ε(t − t_j^k).
//! For N Poisson inputs at rate ν and i.i.d. weights (μ_w, σ_w²):
//!
//! ```text
//! μ_U = N ν μ_w ε̄,      σ²_U = N ν (μ_w² + σ_w²) ε̂,      ε̄ = ∫ ε dt,  ε̂ = ∫ ε² dt
//! ξ = (ϑ − μ_U)/σ_U     (distance of the mean from threshold in standard deviations)
//! ```
//!
//! Solving for the weights, with the variance budget split over afferent projections
//! (share s = a/n_ff for each feed-forward and (1 − a)/n_rec for each recurrent one, a = 0.9,
//! a = 1 without recurrence):
//!
//! ```text
//! μ_w = μ_U / (N_tot ν ε̄),      σ²_w,c = s_c/(N_c ν ε̂) · ((ϑ − μ_U)/ξ)² − μ_w²
//! ```
//!
//! Variants: `Centred` (μ_U = 0, the stork default), `MeanAtThreshold` (μ_U = ϑ, stable_spike's
//! `muchange`: the mean voltage at threshold, about 50 % initial rate; there the code sets
//! σ²_w = s/(N ν ε̂), i.e. σ²_U = 1 + N ν μ_w² ε̂ rather than 0) and `UnitRates` (`muchange_nu:1_eps:1`: μ_U = ϑ,
//! ν = ε̄ = ε̂ = 1, i.e. μ_w = 1/N_tot and σ²_w = s/N).
//!
//! PSP kernels, sampled every Δt for 10·max(τ):
//!
//! ```text
//! current-based LIF (stork): I_0 = 1, I ← e^{−Δt/τ_s} I;  U ← e^{−Δt/τ_m} U + (1 − e^{−Δt/τ_m}) I
//!                            (U recorded before each update);  analytic ε̄ = τ_s, ε̂ = τ_s²/(2(τ_s + τ_m))
//! sglab's LIF (no synaptic filter, per step): ε_t = α^t,  ε̄ = 1/(1 − α),  ε̂ = 1/(1 − α²)
//! ```

use serde::{Deserialize, Serialize};

use super::{InitContext, InitError, Initialiser};
use crate::network::{Network, NetworkConfig};
use crate::validate::{ConfigError, Validate};

/// A postsynaptic-potential kernel and its integrals ε̄ = ∫ε, ε̂ = ∫ε².
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum PspKernel {
    /// stork's current-based LIF, times in seconds, sampled every `dt`.
    CurrentBased {
        /// Membrane time constant τ_m.
        tau_mem: f64,
        /// Synaptic time constant τ_s.
        tau_syn: f64,
        /// Time step Δt.
        dt: f64,
    },
    /// sglab's LIF layer, v_t = α v_{t−1} + I_t, in units of time steps.
    Lif {
        /// Membrane time constant τ in steps (α = e^{−1/τ}).
        tau: f64,
    },
}

impl PspKernel {
    /// (ε̄, ε̂) from the sampled kernel (what stork recommends for Δt ≥ 1 ms).
    pub fn integrals(&self) -> (f64, f64) {
        match *self {
            PspKernel::CurrentBased { tau_mem, tau_syn, dt } => {
                let (ds, dm) = ((-dt / tau_syn).exp(), (-dt / tau_mem).exp());
                let steps = (10.0 * tau_mem.max(tau_syn) / dt).ceil() as usize;
                let (mut i, mut u, mut bar, mut hat) = (1.0, 0.0, 0.0, 0.0);
                for _ in 0..steps {
                    bar += u * dt;
                    hat += u * u * dt;
                    u = dm * u + (1.0 - dm) * i;
                    i *= ds;
                }
                (bar, hat)
            }
            PspKernel::Lif { tau } => {
                let alpha = (-1.0 / tau).exp();
                (1.0 / (1.0 - alpha), 1.0 / (1.0 - alpha * alpha))
            }
        }
    }

    /// (ε̄, ε̂) in closed form: τ_s and τ_s²/(2(τ_s + τ_m)) for the current-based kernel in
    /// continuous time; the geometric sums for sglab's LIF (exact there).
    pub fn analytic_integrals(&self) -> (f64, f64) {
        match *self {
            PspKernel::CurrentBased { tau_mem, tau_syn, .. } => (tau_syn, tau_syn * tau_syn / (2.0 * (tau_syn + tau_mem))),
            PspKernel::Lif { .. } => self.integrals(),
        }
    }
}

/// Which target the initialiser aims at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FluctuationVariant {
    /// μ_U = 0 (stork's default).
    #[default]
    Centred,
    /// μ_U = ϑ (`muchange`).
    MeanAtThreshold,
    /// μ_U = ϑ with ν = ε̄ = ε̂ = 1 (`muchange_nu:1_eps:1`).
    UnitRates,
}

/// Settings of the fluctuation-driven initialiser.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FluctuationInit {
    /// Target mean μ_U (ignored by the variants that fix it at ϑ).
    pub mu_u: f64,
    /// Target ξ = (ϑ − μ_U)/σ_U; stork uses ξ = 1/σ_U with σ_U = 1.
    pub xi: f64,
    /// Estimated presynaptic rate ν per unit of the kernel's time (Hz for stork's kernel,
    /// spikes per step for sglab's LIF).
    pub nu: f64,
    /// The PSP kernel.
    pub kernel: PspKernel,
    /// Share a of the variance budget taken by feed-forward projections (0.9; 1 without
    /// recurrence).
    pub feedforward_share: f64,
    /// Firing threshold ϑ.
    pub threshold: f64,
    /// Target variant.
    pub variant: FluctuationVariant,
}

/// One afferent projection onto a population.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Projection {
    /// Fan-in N_c.
    pub fan_in: usize,
    /// Whether it is recurrent.
    pub recurrent: bool,
}

/// Mean and variance of one projection's weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WeightMoments {
    /// μ_w.
    pub mean: f64,
    /// σ²_w (0 with `clamped` when the formula gave a negative value).
    pub variance: f64,
    /// Whether the variance had to be clamped to 0.
    pub clamped: bool,
}

impl FluctuationInit {
    /// (ε̄, ε̂, ν) of the variant: all 1 for `UnitRates`, else the kernel's integrals and ν.
    fn integrals_and_rate(&self) -> (f64, f64, f64) {
        match self.variant {
            FluctuationVariant::UnitRates => (1.0, 1.0, 1.0),
            _ => {
                let (bar, hat) = self.kernel.integrals();
                (bar, hat, self.nu)
            }
        }
    }

    /// μ_U and the budget ((ϑ − μ_U)/ξ)² of the variant.
    fn targets(&self) -> (f64, f64) {
        match self.variant {
            FluctuationVariant::Centred => (self.mu_u, ((self.threshold - self.mu_u) / self.xi).powi(2)),
            FluctuationVariant::MeanAtThreshold | FluctuationVariant::UnitRates => (self.threshold, 1.0),
        }
    }

    /// Weight moments of every projection onto one population (module docs).
    pub fn weight_moments(&self, projections: &[Projection]) -> Vec<WeightMoments> {
        let (bar, hat, nu) = self.integrals_and_rate();
        let (mu_u, budget) = self.targets();
        let n_total: usize = projections.iter().map(|p| p.fan_in).sum();
        let n_rec = projections.iter().filter(|p| p.recurrent).count();
        let n_ff = projections.len() - n_rec;
        let ff_share = if n_rec == 0 { 1.0 } else { self.feedforward_share };
        let mean = mu_u / (n_total as f64 * nu * bar);
        projections
            .iter()
            .map(|p| {
                let share = if p.recurrent { (1.0 - ff_share) / n_rec as f64 } else { ff_share / n_ff.max(1) as f64 };
                // The threshold variants use σ²_w = s/(N ν ε̂) as stable_spike's code does.
                let subtract = if self.variant == FluctuationVariant::Centred { mean * mean } else { 0.0 };
                let variance = share / (p.fan_in as f64 * nu * hat) * budget - subtract;
                WeightMoments { mean, variance: variance.max(0.0), clamped: variance < 0.0 }
            })
            .collect()
    }

    /// The membrane statistics these weights produce: (μ_U, σ_U) = (N ν μ_w ε̄,
    /// √(Σ_c N_c ν (μ_w² + σ²_w,c) ε̂)), for checking against the targets.
    pub fn membrane_moments(&self, projections: &[Projection], weights: &[WeightMoments]) -> (f64, f64) {
        let (bar, hat, nu) = self.integrals_and_rate();
        let mean = projections.iter().zip(weights).map(|(p, w)| p.fan_in as f64 * nu * w.mean * bar).sum();
        let var: f64 = projections.iter().zip(weights).map(|(p, w)| p.fan_in as f64 * nu * (w.mean * w.mean + w.variance) * hat).sum();
        (mean, var.sqrt())
    }
}

/// Settings of `InitScheme::Fluctuation` of a training configuration. The PSP kernel is the LIF layer's (α = e^{−1/τ}
/// per step) and the threshold the neuron's ϑ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FluctuationScheme {
    /// Target mean membrane potential μ_U (the `centred` variant; the others fix it at ϑ).
    pub mu_u: f64,
    /// ξ = (ϑ − μ_U)/σ_U.
    pub xi: f64,
    /// Presynaptic rate ν of the first layer in spikes per step; `None`: the training data's
    /// mean input (its μ_x).
    pub nu: Option<f64>,
    /// ν of the deeper layers; `None`: the first layer's (as stork does).
    pub deeper_nu: Option<f64>,
    /// Share of the variance budget for the feed-forward projection (0.9 in stork).
    pub feedforward_share: f64,
    /// Centred (stork), mean-at-threshold (`muchange`) or unit rates (`ν = ε = 1`).
    pub variant: FluctuationVariant,
}

impl Default for FluctuationScheme {
    fn default() -> Self {
        FluctuationScheme {
            mu_u: 0.0,
            xi: 1.0,
            nu: None,
            deeper_nu: None,
            feedforward_share: 0.9,
            variant: FluctuationVariant::Centred,
        }
    }
}

impl Initialiser<Network> for FluctuationScheme {
    /// The first layer's presynaptic rate ν is `nu` or the training data's mean input; the PSP
    /// kernel and threshold are the configured LIF membrane's.
    fn initialise(&self, net: Network, context: &InitContext<'_, NetworkConfig>) -> Result<Network, InitError> {
        let config = context.config;
        let lif = config
            .neuron
            .lif_membrane()
            .ok_or_else(|| ConfigError::new("kind", format!("a LIF or ALIF neuron for the fluctuation-driven scheme, got {}", config.neuron.name())))?;
        let nu = match self.nu {
            Some(nu) => nu,
            None => context.train.statistics()?.mean,
        };
        if !(nu > 0.0) {
            return Err(ConfigError::new("nu", format!("a presynaptic rate > 0 per step; the training data's mean input is {nu}")).into());
        }
        let first = FluctuationInit {
            mu_u: self.mu_u,
            xi: self.xi,
            nu,
            kernel: PspKernel::Lif { tau: lif.tau },
            feedforward_share: self.feedforward_share,
            threshold: lif.threshold,
            variant: self.variant,
        };
        let deeper = FluctuationInit { nu: self.deeper_nu.unwrap_or(nu), ..first };
        Ok(apply(net, &first, &deeper, config.seed))
    }
}

impl Validate for FluctuationScheme {
    /// The settings alone; that μ_U lies below the neuron's threshold is checked where the
    /// neuron is known (the training configuration).
    fn validate(&self) -> Result<(), ConfigError> {
        crate::validate::positive("xi", self.xi)?;
        for (field, nu) in [("nu", self.nu), ("deeper_nu", self.deeper_nu)] {
            if let Some(nu) = nu {
                crate::validate::positive(field, nu)?;
            }
        }
        if !(self.feedforward_share > 0.0 && self.feedforward_share <= 1.0) {
            return Err(ConfigError::new("feedforward_share", format!("a share in (0, 1], got {}", self.feedforward_share)));
        }
        crate::validate::finite("mu_u", self.mu_u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values derived in other_seeds.md §E.1 from stork's kernel.
    #[test]
    fn numeric_psp_integrals_match_the_derived_values() {
        let (bar, hat) = PspKernel::CurrentBased { tau_mem: 0.020, tau_syn: 0.010, dt: 0.002 }.integrals();
        assert!((bar - 0.01103).abs() < 5e-6 && (hat - 0.002036).abs() < 5e-7, "{bar} {hat}");
        let (bar, hat) = PspKernel::CurrentBased { tau_mem: 0.020, tau_syn: 0.010, dt: 0.001 }.integrals();
        assert!((bar - 0.01051).abs() < 5e-6 && (hat - 0.001842).abs() < 5e-7, "{bar} {hat}");
        let (bar, hat) = PspKernel::CurrentBased { tau_mem: 0.020, tau_syn: 0.010, dt: 0.002 }.analytic_integrals();
        assert!((bar - 0.010).abs() < 1e-12 && (hat - 0.0001 / 0.06).abs() < 1e-12);
        // sglab's LIF: geometric sums.
        let (bar, hat) = PspKernel::Lif { tau: 20.0 }.integrals();
        let a = (-1.0f64 / 20.0).exp();
        let direct: (f64, f64) = (0..2000).map(|t| (a.powi(t), a.powi(2 * t))).fold((0.0, 0.0), |s, x| (s.0 + x.0, s.1 + x.1));
        assert!((bar - direct.0).abs() < 1e-9 && (hat - direct.1).abs() < 1e-9);
    }

    /// SHD input layer, N = 700, ν = 15.8 Hz, σ_U = 1, Δt = 2 ms, no recurrence: σ_w ≈ 0.211.
    #[test]
    fn centred_weights_on_the_shd_input_layer() {
        let init = FluctuationInit {
            mu_u: 0.0,
            xi: 1.0,
            nu: 15.8,
            kernel: PspKernel::CurrentBased { tau_mem: 0.020, tau_syn: 0.010, dt: 0.002 },
            feedforward_share: 0.9,
            threshold: 1.0,
            variant: FluctuationVariant::Centred,
        };
        let projections = [Projection { fan_in: 700, recurrent: false }];
        let w = init.weight_moments(&projections);
        assert_eq!(w[0].mean, 0.0);
        assert!((w[0].variance.sqrt() - 0.211).abs() < 5e-4, "{}", w[0].variance.sqrt());
        let (mu, sigma) = init.membrane_moments(&projections, &w);
        assert!(mu.abs() < 1e-12 && (sigma - 1.0).abs() < 1e-12);
    }

    /// With a recurrent projection the budget splits 0.9 / 0.1 and the membrane targets hold;
    /// `UnitRates` is the plain fan-in rule μ_w = 1/N_tot, σ²_w = s/N.
    #[test]
    fn variance_budget_split_and_variants() {
        let projections = [Projection { fan_in: 100, recurrent: false }, Projection { fan_in: 50, recurrent: true }];
        let mut init = FluctuationInit {
            mu_u: 0.3,
            xi: 2.0,
            nu: 0.05,
            kernel: PspKernel::Lif { tau: 10.0 },
            feedforward_share: 0.9,
            threshold: 1.0,
            variant: FluctuationVariant::Centred,
        };
        let w = init.weight_moments(&projections);
        let (mu, sigma) = init.membrane_moments(&projections, &w);
        assert!((mu - 0.3).abs() < 1e-12 && (sigma - 0.35).abs() < 1e-12, "{mu} {sigma}");
        let (_, hat) = init.kernel.integrals();
        let ff_part = 100.0 * 0.05 * (w[0].mean.powi(2) + w[0].variance) * hat;
        assert!((ff_part / sigma.powi(2) - 0.9).abs() < 1e-9);
        init.variant = FluctuationVariant::UnitRates;
        let w = init.weight_moments(&projections);
        assert!((w[0].mean - 1.0 / 150.0).abs() < 1e-15);
        assert!((w[0].variance - 0.9 / 100.0).abs() < 1e-15);
        assert!((w[1].variance - 0.1 / 50.0).abs() < 1e-15);
        // muchange: the mean sits at ϑ.
        init.variant = FluctuationVariant::MeanAtThreshold;
        let w = init.weight_moments(&projections);
        let (mu, _) = init.membrane_moments(&projections, &w);
        assert!((mu - 1.0).abs() < 1e-12);
    }
}

/// Draws every layer's weights of `net` as normals with the moments of
/// [`FluctuationInit::weight_moments`]: the input projection (fan-in n_in) and, when
/// `feedforward_share` < 1, the recurrent one (fan-in n − 1, sharing the mean over
/// N_tot = n_in + n − 1 and the remaining variance budget); with a share of 1 the recurrent
/// weights are zero, as for a network without recurrence. A feed-forward layer has only the
/// input projection, whatever the share. The first layer uses `init`, deeper
/// layers `deeper` (typically the same with ν set to the expected rate of the layer below).
pub fn apply(mut net: crate::network::Network, init: &FluctuationInit, deeper: &FluctuationInit, seed: u64) -> crate::network::Network {
    for (l, layer) in net.layers.iter_mut().enumerate() {
        let settings = if l == 0 { init } else { deeper };
        let (n_in, n) = (layer.input_size(), layer.hidden_size());
        let recurrent = settings.feedforward_share < 1.0 && layer.is_recurrent();
        let mut projections = vec![Projection { fan_in: n_in, recurrent: false }];
        if recurrent {
            projections.push(Projection { fan_in: n.max(2) - 1, recurrent: true });
        }
        let moments = settings.weight_moments(&projections);
        let device = layer.input_weights().val().device();
        let draw = |m: &WeightMoments, rows: usize, stream: u64| {
            let w = crate::weights::WeightInit::Normal { mean: m.mean, std: m.variance.sqrt() };
            w.tensor(rows, n, &mut crate::rng::rng(seed, FLUCTUATION_STREAM + 2 * l as u64 + stream), &device)
        };
        let w_rec = if recurrent { draw(&moments[1], n, 1) } else { burn::Tensor::zeros([n, n], &device) };
        layer.replace_input_weights(draw(&moments[0], n_in, 0));
        layer.replace_recurrent_weights(w_rec);
    }
    net
}

/// Random streams of the fluctuation-driven weights.
const FLUCTUATION_STREAM: u64 = 0x464C_5543_0000_0000; // "FLUC"
