//! The NIR graph as typed values: the node types sglab writes and reads, with NIR's field names
//! and NIR's conventions (a weight is `[out, in]`, y = W x + b; every neuron parameter is one
//! value per neuron). A node of another NIR type is kept by its type name, so that a file with
//! one can be read and the import can name it.

use std::collections::BTreeMap;

/// A dense `[rows, cols]` matrix, row-major: NIR's `weight`, `[out, in]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of rows (outputs).
    pub rows: usize,
    /// Number of columns (inputs).
    pub cols: usize,
    /// The entries, row after row.
    pub values: Vec<f32>,
}

impl Matrix {
    /// The matrix with these entries; fails when there are not `rows·cols` of them.
    pub fn new(rows: usize, cols: usize, values: Vec<f32>) -> Result<Self, String> {
        if values.len() != rows * cols {
            return Err(format!("a [{rows}, {cols}] matrix needs {} values, got {}", rows * cols, values.len()));
        }
        Ok(Matrix { rows, cols, values })
    }

    /// The transpose `[cols, rows]`.
    pub fn transposed(&self) -> Matrix {
        let mut values = vec![0.0; self.values.len()];
        for r in 0..self.rows {
            for c in 0..self.cols {
                values[c * self.rows + r] = self.values[r * self.cols + c];
            }
        }
        Matrix { rows: self.cols, cols: self.rows, values }
    }

    /// Entry (r, c).
    pub fn at(&self, r: usize, c: usize) -> f32 {
        self.values[r * self.cols + c]
    }
}

/// NIR's leaky integrate-and-fire neuron, one value per neuron:
///
/// ```text
/// τ dv/dt = (v_leak − v) + R I,    z = 1[v > v_threshold],    v ← v_reset when z = 1
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LifNode {
    /// Membrane time constant τ (in the unit of the export's time step).
    pub tau: Vec<f32>,
    /// Resistance R.
    pub r: Vec<f32>,
    /// Leak (resting) voltage.
    pub v_leak: Vec<f32>,
    /// Firing threshold.
    pub v_threshold: Vec<f32>,
    /// Voltage after a spike.
    pub v_reset: Vec<f32>,
    /// sglab's own τ in time steps, carried in the node's metadata (`sglab_tau_steps`) so that
    /// sglab reads its own file back exactly; other tools ignore it.
    pub tau_steps: Option<Vec<f32>>,
}

impl LifNode {
    /// Number of neurons.
    pub fn size(&self) -> usize {
        self.tau.len()
    }
}

/// One node of a NIR graph.
#[derive(Debug, Clone, PartialEq)]
pub enum NirNode {
    /// The graph's input, of this shape.
    Input {
        /// Shape of one input sample (one time step).
        shape: Vec<usize>,
    },
    /// The graph's output, of this shape.
    Output {
        /// Shape of one output sample (one time step).
        shape: Vec<usize>,
    },
    /// y = W x + b.
    Affine {
        /// W `[out, in]`.
        weight: Matrix,
        /// b `[out]`.
        bias: Vec<f32>,
    },
    /// y = W x.
    Linear {
        /// W `[out, in]`.
        weight: Matrix,
    },
    /// A LIF population.
    Lif(LifNode),
    /// A node of a NIR type sglab does not map (CubaLIF, Conv2d, …), by its type name.
    Other {
        /// NIR's type name.
        kind: String,
    },
}

impl NirNode {
    /// NIR's type name of the node (`"Affine"`, `"LIF"`, …).
    pub fn kind(&self) -> &str {
        match self {
            NirNode::Input { .. } => "Input",
            NirNode::Output { .. } => "Output",
            NirNode::Affine { .. } => "Affine",
            NirNode::Linear { .. } => "Linear",
            NirNode::Lif(_) => "LIF",
            NirNode::Other { kind } => kind,
        }
    }
}

/// A NIR graph: named nodes and directed edges between their names.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NirGraph {
    /// The nodes by name.
    pub nodes: BTreeMap<String, NirNode>,
    /// The edges (from, to), in the order written.
    pub edges: Vec<(String, String)>,
}

impl NirGraph {
    /// The names of the nodes that `name` sends to, in edge order.
    pub fn successors(&self, name: &str) -> Vec<&str> {
        self.edges.iter().filter(|(a, _)| a == name).map(|(_, b)| b.as_str()).collect()
    }

    /// The names of the nodes that send to `name`, in edge order.
    pub fn predecessors(&self, name: &str) -> Vec<&str> {
        self.edges.iter().filter(|(_, b)| b == name).map(|(a, _)| a.as_str()).collect()
    }
}
