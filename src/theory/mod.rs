//! Theory studies that need no task data: what the surrogate gradient is (and is not) a gradient
//! of ([`surrogate_field`]), where it descends to when it is biased ([`surrogate_bias`]), and the kernel that governs surrogate-gradient learning in wide
//! networks ([`sg_ntk`]).

pub mod landscape;
pub mod sg_descent;
pub mod sg_ntk;
pub mod surrogate_bias;
pub mod surrogate_field;
