//! One neuron's event-driven trajectory and its adjoint.
//!
//! The state s ∈ ℝ³ is the theta neuron's phase offset ψ = φ − t (other entries unused) or the
//! LIF's (V, I, t_c), its potential and current at the time t_c of its last event. The
//! trajectory is a chain of closed-form maps, one per event:
//!
//! ```text
//! input e at t_e, weight w:   s' = f(s, t_e, w)
//! own spike k:                t_k = g(s),   s' = h(s)
//! trial end T:                u = e(s)      (the potential the pseudospikes read)
//! ```
//!
//! The forward pass records each map's Jacobian (∂s'/∂s, and ∂s'/∂t_e, ∂s'/∂w or ∂t_k/∂s);
//! the backward pass runs the chain in reverse, s̄ ← (∂s'/∂s)ᵀ s̄ (+ t̄_k ∂t_k/∂s at a spike),
//! and hands out t̄_e += s̄·∂s'/∂t_e and w̄ += s̄·∂s'/∂w. These are exact derivatives of the
//! spike times while the order of events does not change.

use super::lif::CurrentLif;
use super::theta::Theta;

/// The state of one neuron (module docs).
pub type State = [f64; 3];
/// ∂s'/∂s, rows the outputs.
type Jacobian = [[f64; 3]; 3];

/// The neuron model of an event-driven network.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum EventModel {
    /// The theta (oscillatory QIF) neuron with delta synapses.
    Theta(Theta),
    /// The current-based LIF neuron with τ_m = 2τ_s.
    Lif(CurrentLif),
}

/// Sharpness β of the softplus in the LIF's pseudospike time (spikegd's α for the QIF).
pub const PSEUDO_SHARPNESS: f64 = 10.0;

/// One recorded map of the trajectory.
#[derive(Debug, Clone)]
enum Op {
    /// An input spike: index into the layer's input list and the map's partials.
    Input { event: u32, jacobian: Jacobian, d_time: State, d_weight: State },
    /// An own spike: the map's partials and ∂t_k/∂s.
    Spike { jacobian: Jacobian, d_time: State },
}

/// A neuron's trajectory over one trial.
#[derive(Debug, Clone, Default)]
pub struct Trajectory {
    /// Its spike times, in order.
    pub spikes: Vec<f64>,
    /// The potential u at the trial end read by the pseudospikes.
    pub end: f64,
    /// Spikes dropped because the neuron reached the spike limit.
    pub dropped: usize,
    ops: Vec<Op>,
    d_end: State,
    d_initial: f64,
}

fn identity() -> Jacobian {
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
}

fn dot(a: &State, b: &State) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Jᵀ s̄.
fn transpose_times(j: &Jacobian, adj: &State) -> State {
    let mut out = [0.0; 3];
    for (row, a) in j.iter().zip(adj) {
        for (o, v) in out.iter_mut().zip(row) {
            *o += a * v;
        }
    }
    out
}

impl EventModel {
    /// Whether the initial state is a trained parameter (the theta neuron's initial phase).
    pub fn has_initial_phase(&self) -> bool {
        matches!(self, EventModel::Theta(_))
    }

    /// Short name: "theta" or "lif".
    pub fn name(&self) -> &'static str {
        match self {
            EventModel::Theta(_) => "theta",
            EventModel::Lif(_) => "lif",
        }
    }

    /// The time constant τ.
    pub fn tau(&self) -> f64 {
        match self {
            EventModel::Theta(m) => m.tau,
            EventModel::Lif(m) => m.tau,
        }
    }

    /// The state at t = 0 (the theta neuron at phase `initial`, clipped to [0, Θ]; the LIF at
    /// rest) and ∂s₀/∂initial.
    fn start(&self, initial: f64) -> (State, f64) {
        match self {
            EventModel::Theta(m) => {
                let clipped = initial.clamp(0.0, m.period());
                ([clipped, 0.0, 0.0], if clipped == initial { 1.0 } else { 0.0 })
            }
            EventModel::Lif(_) => ([0.0; 3], 0.0),
        }
    }

    /// The absolute time of the next spike without input.
    fn next_spike(&self, s: &State) -> Option<f64> {
        match self {
            EventModel::Theta(m) => Some(m.period() - s[0]),
            EventModel::Lif(m) => m.crossing(s[0], s[1]).map(|(dt, _)| s[2] + dt),
        }
    }

    /// An input of weight `w` at `t`: the new state and the partials.
    fn input(&self, s: &State, t: f64, w: f64) -> (State, Jacobian, State, State) {
        match self {
            EventModel::Theta(m) => {
                let (phi, h_phi, h_w) = m.transfer(s[0] + t, w);
                let mut j = identity();
                j[0][0] = h_phi;
                ([phi - t, 0.0, 0.0], j, [h_phi - 1.0, 0.0, 0.0], [h_w, 0.0, 0.0])
            }
            EventModel::Lif(m) => {
                let x = (-(t - s[2]) / m.tau).exp();
                let v = s[0] * x + s[1] * (x - x * x);
                let i_flow = s[1] * x * x;
                let (v_dot, i_dot) = ((i_flow - v) / m.tau, -2.0 * i_flow / m.tau);
                let j = [[x, x - x * x, -v_dot], [0.0, x * x, -i_dot], [0.0, 0.0, 0.0]];
                ([v, i_flow + w, t], j, [v_dot, i_dot, 1.0], [0.0, 1.0, 0.0])
            }
        }
    }

    /// The spike due at `next_spike(s)`: its time, the state after the reset and the partials.
    fn spike(&self, s: &State) -> (f64, State, Jacobian, State) {
        match self {
            EventModel::Theta(m) => {
                let theta = m.period();
                (theta - s[0], [s[0] - theta, 0.0, 0.0], identity(), [-1.0, 0.0, 0.0])
            }
            EventModel::Lif(m) => {
                let (dt, x) = m.crossing(s[0], s[1]).expect("a spike is only taken when a crossing exists");
                let current = s[1] * x * x;
                let slope = (current - m.threshold) / m.tau;
                let (a, b) = (-x / slope, -(x - x * x) / slope);
                let k = -2.0 * current / m.tau;
                let j = [[0.0; 3], [k * a, x * x + k * b, 0.0], [a, b, 1.0]];
                (s[2] + dt, [0.0, current, s[2] + dt], j, [a, b, 1.0])
            }
        }
    }

    /// The potential u read by the pseudospikes at the trial end `duration`, and ∂u/∂s.
    fn end(&self, s: &State, duration: f64) -> (f64, State) {
        match self {
            EventModel::Theta(m) => {
                let phi = s[0] + duration;
                let clipped = phi.clamp(0.0, m.period());
                (clipped, [if clipped == phi { 1.0 } else { 0.0 }, 0.0, 0.0])
            }
            EventModel::Lif(m) => {
                let x = (-(duration - s[2]) / m.tau).exp();
                let v = s[0] * x + s[1] * (x - x * x);
                (v, [x, x - x * x, -(s[1] * x * x - v) / m.tau])
            }
        }
    }

    /// The pseudospike time of a neuron silent in the trial, from its end potential u and its
    /// rate-network input x, with (∂/∂u, ∂/∂x): T + P (1 − ρ(u, x)), one period P at most after
    /// the trial, for the progress ρ of [`EventModel::pseudo_rate`]. Theta (spikegd):
    /// P = Θ and ρ = H(u, x)/Θ, so T + Θ − H(u, x) is the next spike of the oscillation after a
    /// kick x. LIF (sglab's continuation; spikegd's LIF has none): P = τ and ρ = e^{−z},
    /// z = softplus_β((ϑ − u − x)/ϑ), the distance of u + x below threshold made positive and
    /// smooth.
    pub fn pseudo_time(&self, u: f64, x: f64, duration: f64) -> (f64, f64, f64) {
        match self {
            EventModel::Theta(m) => {
                let (h, h_u, h_x) = m.transfer(u, x);
                (duration + m.period() - h, -h_u, -h_x)
            }
            EventModel::Lif(m) => {
                let (rho, d_u, d_x) = self.pseudo_rate(u, x);
                (duration + m.tau * (1.0 - rho), -m.tau * d_u, -m.tau * d_x)
            }
        }
    }

    /// A hidden neuron's progress ρ ∈ [0, 1] towards its next spike after the trial, its rate
    /// in the pseudospikes' rate network, with (∂/∂u, ∂/∂x). Theta (spikegd's pseudo-rate):
    /// H(u, x)/Θ. LIF: e^{−z} with z of [`EventModel::pseudo_time`].
    pub fn pseudo_rate(&self, u: f64, x: f64) -> (f64, f64, f64) {
        match self {
            EventModel::Theta(m) => {
                let (h, h_u, h_x) = m.transfer(u, x);
                let theta = m.period();
                (h / theta, h_u / theta, h_x / theta)
            }
            EventModel::Lif(m) => {
                let (z, dz) = lif_gap(m, u, x);
                let r = (-z).exp();
                (r, -r * dz, -r * dz)
            }
        }
    }

    /// Runs one neuron over a trial of length `duration`: inputs at `times` (sorted) from
    /// `sources`, weighted by `weights[source]`, starting from `initial`; at most `max_spikes`
    /// spikes, after which the neuron is frozen and further spikes are counted as dropped.
    pub fn run(&self, initial: f64, times: &[f64], sources: &[u32], weights: &[f64], duration: f64, max_spikes: usize) -> Trajectory {
        let (mut s, d_initial) = self.start(initial);
        let mut out = Trajectory { d_initial, ops: Vec::with_capacity(times.len() + 4), ..Trajectory::default() };
        let mut frozen = false;
        let fire_until = |s: &mut State, out: &mut Trajectory, frozen: &mut bool, until: f64| {
            while !*frozen {
                match self.next_spike(s) {
                    Some(t) if t <= until && t < duration => {
                        if out.spikes.len() == max_spikes {
                            *frozen = true;
                            out.dropped += 1;
                            break;
                        }
                        let (ts, next, jacobian, d_time) = self.spike(s);
                        out.spikes.push(ts);
                        out.ops.push(Op::Spike { jacobian, d_time });
                        *s = next;
                    }
                    _ => break,
                }
            }
        };
        for (e, (&t, &src)) in times.iter().zip(sources).enumerate() {
            if t >= duration {
                break;
            }
            fire_until(&mut s, &mut out, &mut frozen, t);
            if frozen {
                break;
            }
            let (next, jacobian, d_time, d_weight) = self.input(&s, t, weights[src as usize]);
            out.ops.push(Op::Input { event: e as u32, jacobian, d_time, d_weight });
            s = next;
        }
        fire_until(&mut s, &mut out, &mut frozen, duration);
        let (u, d_end) = if frozen { (self.end(&s, out.spikes.last().copied().unwrap_or(0.0)).0, [0.0; 3]) } else { self.end(&s, duration) };
        out.end = u;
        out.d_end = d_end;
        out
    }
}

fn lif_gap(m: &CurrentLif, u: f64, x: f64) -> (f64, f64) {
    let a = PSEUDO_SHARPNESS * (m.threshold - u - x) / m.threshold;
    let z = if a > 30.0 { a } else { a.exp().ln_1p() } / PSEUDO_SHARPNESS;
    let sigma = 1.0 / (1.0 + (-a).exp());
    (z, -sigma / m.threshold)
}

impl Trajectory {
    /// The adjoint pass (module docs): from t̄ of each of this neuron's spikes and ū of its end
    /// potential, accumulates w̄ into `weight_grad[source]` and t̄ of each input into
    /// `time_grad[event]`; returns the adjoint of the initial phase.
    pub fn backward(&self, spike_grad: &[f64], end_grad: f64, sources: &[u32], weight_grad: &mut [f64], time_grad: &mut [f64]) -> f64 {
        let mut adj = [end_grad * self.d_end[0], end_grad * self.d_end[1], end_grad * self.d_end[2]];
        let mut k = self.spikes.len();
        for op in self.ops.iter().rev() {
            match op {
                Op::Spike { jacobian, d_time } => {
                    k -= 1;
                    let mut prev = transpose_times(jacobian, &adj);
                    for (p, d) in prev.iter_mut().zip(d_time) {
                        *p += spike_grad[k] * d;
                    }
                    adj = prev;
                }
                Op::Input { event, jacobian, d_time, d_weight } => {
                    let e = *event as usize;
                    time_grad[e] += dot(&adj, d_time);
                    weight_grad[sources[e] as usize] += dot(&adj, d_weight);
                    adj = transpose_times(jacobian, &adj);
                }
            }
        }
        adj[0] * self.d_initial
    }
}
