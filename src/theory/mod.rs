//! Theory studies that need no task data: what the surrogate gradient is (and is not) a gradient
//! of ([`surrogate_field`]).

pub mod surrogate_field;
