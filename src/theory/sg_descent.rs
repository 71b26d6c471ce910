//! Surrogate-gradient descent of the network of [`super::sg_ntk`] (d → n → … → 1 in the NTK
//! parametrisation, φ = erf(m₁ ·) or sign), for an ensemble of independently drawn networks
//! trained side by side: full-batch gradient descent on L = ½·mean_p (f(x_p) − y_p)² with the
//! backward written out, φ′ replaced by the surrogate φ̃′ (Eilers, Memmesheimer & Goedeke 2024;
//! other_seeds.md §C.3). With E networks and P points, every tensor carries the ensemble as its
//! first axis:
//!
//! ```text
//! h¹ = (σ_w/√d) X W¹ᵀ + σ_b b¹          a^l = φ(h^l)          f = (σ_w/√n) a^L w + σ_b b
//! δf = (f − y)/P                        ∂w = (σ_w/√n) δfᵀ a^L        ∂b = σ_b Σ_p δf
//! δ^L = (σ_w/√n) δf wᵀ ⊙ φ̃′(h^L)       δ^{l−1} = (σ_w/√n) δ^l W^l ⊙ φ̃′(h^{l−1})
//! ∂W^l = (σ_w/√fan_in) δ^lᵀ a^{l−1}     ∂b^l = σ_b Σ_p δ^l                  (a⁰ = X)
//! ```
//!
//! With φ̃′ = φ′ (finite m₁) this is the exact gradient (checked against autodiff in the tests).

use burn::Tensor;
use burn::tensor::{Device, TensorData};
use rand_distr::{Distribution, StandardNormal};

use super::sg_ntk::{NetworkParameters, SgNtk, SurrogateDerivative};

/// An ensemble of networks of one width: per layer W^l `[E, n, fan_in]` and b^l `[E, n]`, then
/// the output weights `[E, n]` and bias `[E]`.
#[derive(Debug, Clone)]
pub struct Ensemble {
    /// The architecture and the backward.
    pub kernel: SgNtk,
    /// Hidden width n.
    pub width: usize,
    weights: Vec<Tensor<3>>,
    biases: Vec<Tensor<2>>,
    w_out: Tensor<2>,
    b_out: Tensor<1>,
}

fn normal(shape: &[usize], rng: &mut rand::rngs::StdRng) -> Vec<f32> {
    (0..shape.iter().product::<usize>()).map(|_| StandardNormal.sample(rng)).collect()
}

impl Ensemble {
    /// `networks` networks of width `width` with every weight and bias drawn N(0, 1) from `seed`.
    pub fn new(kernel: SgNtk, width: usize, networks: usize, seed: u64, device: &Device) -> Self {
        let mut rng = crate::rng::rng(seed, 0x56D5);
        let (e, n, d) = (networks, width, kernel.input_dim);
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for l in 0..kernel.hidden_layers {
            let fan_in = if l == 0 { d } else { n };
            weights.push(Tensor::<3>::from_data(TensorData::new(normal(&[e, n, fan_in], &mut rng), [e, n, fan_in]), device));
            biases.push(Tensor::<2>::from_data(TensorData::new(normal(&[e, n], &mut rng), [e, n]), device));
        }
        let w_out = Tensor::<2>::from_data(TensorData::new(normal(&[e, n], &mut rng), [e, n]), device);
        let b_out = Tensor::<1>::from_data(TensorData::new(normal(&[e], &mut rng), [e]), device);
        Ensemble { kernel, width, weights, biases, w_out, b_out }
    }

    /// Number of networks E.
    pub fn networks(&self) -> usize {
        self.w_out.dims()[0]
    }

    fn phi(&self, h: Tensor<3>) -> Tensor<3> {
        match self.kernel.m_forward {
            Some(m) => (h * m).erf(),
            None => h.sign(),
        }
    }

    fn surrogate(&self, h: Tensor<3>) -> Tensor<3> {
        let erf_prime = |h: Tensor<3>, m: f64| (h.powi_scalar(2) * (-m * m)).exp() * (2.0 * m / std::f64::consts::PI.sqrt());
        match self.kernel.surrogate {
            SurrogateDerivative::Erf { m } => erf_prime(h, m),
            SurrogateDerivative::Identity => h.ones_like(),
            SurrogateDerivative::True => erf_prime(h, self.kernel.m_forward.expect("the true derivative of the sign is not a function")),
        }
    }

    /// The input `[P, d]` as `[E, P, d]`.
    fn batch(&self, x: &Tensor<2>) -> Tensor<3> {
        let [p, d] = x.dims();
        x.clone().unsqueeze_dim::<3>(0).expand([self.networks(), p, d])
    }

    /// Pre-activations of every layer and the outputs `[E, P]` at the inputs `x` `[P, d]`.
    fn forward_layers(&self, x: &Tensor<2>) -> (Vec<Tensor<3>>, Vec<Tensor<3>>, Tensor<2>) {
        let (sw, sb) = (self.kernel.sigma_w, self.kernel.sigma_b);
        let mut activations = vec![self.batch(x)];
        let mut pre = Vec::new();
        for (w, b) in self.weights.iter().zip(&self.biases) {
            let fan_in = w.dims()[2] as f64;
            let a = activations.last().expect("the input").clone();
            let h = a.matmul(w.clone().swap_dims(1, 2)) * (sw / fan_in.sqrt()) + b.clone().unsqueeze_dim::<3>(1) * sb;
            activations.push(self.phi(h.clone()));
            pre.push(h);
        }
        let top = activations.last().expect("a hidden layer").clone();
        let f = top.matmul(self.w_out.clone().unsqueeze_dim::<3>(2)).squeeze_dim::<2>(2) * (sw / (self.width as f64).sqrt()) + self.b_out.clone().unsqueeze_dim::<2>(1) * sb;
        (activations, pre, f)
    }

    /// The outputs `[E, P]` of every network at the inputs `x` `[P, d]`.
    pub fn forward(&self, x: &Tensor<2>) -> Tensor<2> {
        self.forward_layers(x).2
    }

    /// ½·mean_p (f − y)² per network, `[E]`.
    pub fn loss(&self, x: &Tensor<2>, y: &Tensor<1>) -> Tensor<1> {
        let residual = self.forward(x) - y.clone().unsqueeze_dim::<2>(0);
        residual.powi_scalar(2).mean_dim(1).squeeze_dim::<1>(1) * 0.5
    }

    /// The (surrogate) gradients of the loss of every network: per layer (∂W^l, ∂b^l), then
    /// (∂w, ∂b) of the output (module docs).
    pub fn gradients(&self, x: &Tensor<2>, y: &Tensor<1>) -> (Vec<(Tensor<3>, Tensor<2>)>, (Tensor<2>, Tensor<1>)) {
        let (sw, sb) = (self.kernel.sigma_w, self.kernel.sigma_b);
        let (activations, pre, f) = self.forward_layers(x);
        let p = x.dims()[0] as f64;
        let top_scale = sw / (self.width as f64).sqrt();
        let delta_f = (f - y.clone().unsqueeze_dim::<2>(0)) / p;
        let top = activations.last().expect("a hidden layer").clone();
        let grad_w_out = delta_f.clone().unsqueeze_dim::<3>(1).matmul(top).squeeze_dim::<2>(1) * top_scale;
        let grad_b_out = delta_f.clone().sum_dim(1).squeeze_dim::<1>(1) * sb;
        let mut delta = delta_f.unsqueeze_dim::<3>(2) * self.w_out.clone().unsqueeze_dim::<3>(1) * top_scale * self.surrogate(pre.last().expect("a hidden layer").clone());
        let mut layers = Vec::with_capacity(self.weights.len());
        for l in (0..self.weights.len()).rev() {
            let fan_in = self.weights[l].dims()[2] as f64;
            let scale = sw / fan_in.sqrt();
            let grad_w = delta.clone().swap_dims(1, 2).matmul(activations[l].clone()) * scale;
            let grad_b = delta.clone().sum_dim(1).squeeze_dim::<2>(1) * sb;
            layers.push((grad_w, grad_b));
            if l > 0 {
                delta = delta.matmul(self.weights[l].clone()) * scale * self.surrogate(pre[l - 1].clone());
            }
        }
        layers.reverse();
        (layers, (grad_w_out, grad_b_out))
    }

    /// One gradient-descent step with learning rate `lr` on (`x`, `y`).
    pub fn step(&mut self, x: &Tensor<2>, y: &Tensor<1>, lr: f64) {
        let (layers, (gw, gb)) = self.gradients(x, y);
        for (l, (grad_w, grad_b)) in layers.into_iter().enumerate() {
            self.weights[l] = self.weights[l].clone() - grad_w * lr;
            self.biases[l] = self.biases[l].clone() - grad_b * lr;
        }
        self.w_out = self.w_out.clone() - gw * lr;
        self.b_out = self.b_out.clone() - gb * lr;
    }

    /// Every network's parameters, copied to the host once (for their empirical kernels,
    /// [`super::sg_ntk::empirical_kernel_of`]), in ensemble order.
    pub fn members(&self) -> Vec<NetworkParameters> {
        let e = self.networks();
        let split = |values: Vec<f64>| -> Vec<Vec<f64>> {
            let per = values.len() / e;
            values.chunks(per).map(<[f64]>::to_vec).collect()
        };
        let mut weights: Vec<std::vec::IntoIter<Vec<f64>>> = self.weights.iter().map(|w| split(crate::host_values(w.clone())).into_iter()).collect();
        let mut biases: Vec<std::vec::IntoIter<Vec<f64>>> = self.biases.iter().map(|b| split(crate::host_values(b.clone())).into_iter()).collect();
        let w_out = split(crate::host_values(self.w_out.clone()));
        let b_out = crate::host_values(self.b_out.clone());
        w_out
            .into_iter()
            .zip(b_out)
            .map(|(w_out, b_out)| NetworkParameters {
                weights: weights.iter_mut().map(|w| w.next().expect("one block per network")).collect(),
                biases: biases.iter_mut().map(|b| b.next().expect("one block per network")).collect(),
                w_out,
                b_out,
            })
            .collect()
    }

    /// Network `e`'s parameters ([`Ensemble::members`]).
    pub fn network(&self, e: usize) -> NetworkParameters {
        self.members().swap_remove(e)
    }

    /// Every parameter tensor, for checks against autodiff: per layer W^l and b^l, then w and b.
    pub fn parameters(&self) -> (Vec<(Tensor<3>, Tensor<2>)>, (Tensor<2>, Tensor<1>)) {
        (self.weights.iter().cloned().zip(self.biases.iter().cloned()).collect(), (self.w_out.clone(), self.b_out.clone()))
    }

    /// The ensemble with these parameters (the shapes of [`Ensemble::parameters`]).
    pub fn with_parameters(&self, layers: Vec<(Tensor<3>, Tensor<2>)>, output: (Tensor<2>, Tensor<1>)) -> Ensemble {
        let (weights, biases) = layers.into_iter().unzip();
        Ensemble { kernel: self.kernel, width: self.width, weights, biases, w_out: output.0, b_out: output.1 }
    }
}

/// Points `[P, d]` as a tensor.
pub fn points_tensor(points: &[Vec<f64>], device: &Device) -> Tensor<2> {
    let d = points.first().map_or(0, Vec::len);
    Tensor::from_data(TensorData::new(points.iter().flatten().copied().collect::<Vec<f64>>(), [points.len(), d]), device)
}
