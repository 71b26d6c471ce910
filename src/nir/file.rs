//! The `.nir` file: NIR's HDF5 layout, as the Python `nir` package (1.0) writes and reads it.
//!
//! ```text
//! /version                 string, the NIR release whose layout this is
//! /node/type               "NIRGraph"
//! /node/edges              string [E, 2], (from, to)
//! /node/nodes/<name>/type  "Input" | "Output" | "Affine" | "Linear" | "LIF" | …
//! /node/nodes/<name>/…     the node's fields: shape (int64), weight [out, in], bias, tau, r,
//!                          v_leak, v_threshold, v_reset (float32)
//! /node/nodes/<name>/metadata/sglab_tau_steps   (LIF, written by sglab)
//! ```
//!
//! Strings are variable-length UTF-8 (h5py's `string_dtype()`). Floats are read in whatever
//! precision the file holds (numpy writes float64) and kept as `f32`, sglab's precision.

use std::path::{Path, PathBuf};

use hdf5_metno as hdf5;
use hdf5::types::{VarLenAscii, VarLenUnicode};
use hdf5::{Dataset, File, Group, H5Type};

use super::graph::{LifNode, Matrix, NirGraph, NirNode};
use super::NirError;

/// The NIR release whose file layout this module writes.
pub const NIR_VERSION: &str = "1.0.8";

fn error(path: &Path, message: impl std::fmt::Display) -> NirError {
    NirError::File { path: path.to_path_buf(), message: message.to_string() }
}

fn text(value: &str) -> VarLenUnicode {
    value.parse().expect("node names and types hold no NUL byte")
}

fn string(group: &Group, name: &str, value: &str) -> Result<(), String> {
    let ds = group.new_dataset::<VarLenUnicode>().create(name).map_err(|e| format!("writing {name}: {e}"))?;
    ds.write_scalar(&text(value)).map_err(|e| format!("writing {name}: {e}"))
}

fn array<T: H5Type>(group: &Group, name: &str, shape: &[usize], values: &[T]) -> Result<(), String> {
    let ds = group.new_dataset::<T>().shape(shape.to_vec()).create(name).map_err(|e| format!("writing {name}: {e}"))?;
    ds.write_raw(values).map_err(|e| format!("writing {name}: {e}"))
}

fn group(parent: &Group, name: &str) -> Result<Group, String> {
    parent.create_group(name).map_err(|e| format!("creating group {name}: {e}"))
}

fn write_node(parent: &Group, name: &str, node: &NirNode) -> Result<(), String> {
    let g = group(parent, name)?;
    string(&g, "type", node.kind())?;
    let shape = |s: &[usize]| s.iter().map(|&d| d as i64).collect::<Vec<i64>>();
    match node {
        NirNode::Input { shape: s } | NirNode::Output { shape: s } => array(&g, "shape", &[s.len()], &shape(s)),
        NirNode::Affine { weight, bias } => {
            array(&g, "weight", &[weight.rows, weight.cols], &weight.values)?;
            array(&g, "bias", &[bias.len()], bias)
        }
        NirNode::Linear { weight } => array(&g, "weight", &[weight.rows, weight.cols], &weight.values),
        NirNode::Lif(lif) => {
            for (field, values) in [("tau", &lif.tau), ("r", &lif.r), ("v_leak", &lif.v_leak), ("v_threshold", &lif.v_threshold), ("v_reset", &lif.v_reset)] {
                array(&g, field, &[values.len()], values)?;
            }
            if let Some(steps) = &lif.tau_steps {
                let meta = group(&g, "metadata")?;
                array(&meta, "sglab_tau_steps", &[steps.len()], steps)?;
            }
            Ok(())
        }
        NirNode::Other { kind } => Err(format!("node `{name}` is a {kind}, which sglab cannot write")),
    }
}

/// Writes `graph` to `path` in NIR's HDF5 layout, replacing the file whole or not at all
/// ([`crate::durable::replace`]).
pub fn write(graph: &NirGraph, path: &Path) -> Result<(), NirError> {
    crate::durable::replace(path, |tmp| {
        let file = File::create(tmp).map_err(|e| format!("creating the file: {e}"))?;
        string(&file, "version", NIR_VERSION)?;
        let root = group(&file, "node")?;
        string(&root, "type", "NIRGraph")?;
        let nodes = group(&root, "nodes")?;
        for (name, node) in &graph.nodes {
            write_node(&nodes, name, node)?;
        }
        let edges: Vec<VarLenUnicode> = graph.edges.iter().flat_map(|(a, b)| [text(a), text(b)]).collect();
        array(&root, "edges", &[graph.edges.len(), 2], &edges)?;
        file.close().map_err(|e| format!("closing the file: {e}"))
    })
    .map_err(|message| error(path, message))
}

struct Reader {
    path: PathBuf,
}

impl Reader {
    fn dataset(&self, group: &Group, at: &str, name: &str) -> Result<Dataset, NirError> {
        group.dataset(name).map_err(|_| error(&self.path, format!("{at} has no `{name}` dataset")))
    }

    fn string(&self, ds: &Dataset, at: &str) -> Result<String, NirError> {
        if let Ok(s) = ds.read_scalar::<VarLenUnicode>() {
            return Ok(s.as_str().to_string());
        }
        ds.read_scalar::<VarLenAscii>().map(|s| s.as_str().to_string()).map_err(|e| error(&self.path, format!("{at} is not a string: {e}")))
    }

    fn floats(&self, group: &Group, at: &str, name: &str) -> Result<(Vec<f32>, Vec<usize>), NirError> {
        let ds = self.dataset(group, at, name)?;
        let values = ds.read_raw::<f32>().map_err(|e| error(&self.path, format!("{at}/{name} is not a float array: {e}")))?;
        Ok((values, ds.shape()))
    }

    fn vector(&self, group: &Group, at: &str, name: &str) -> Result<Vec<f32>, NirError> {
        let (values, shape) = self.floats(group, at, name)?;
        if shape.len() > 1 {
            return Err(error(&self.path, format!("{at}/{name} has shape {shape:?}; a vector was expected")));
        }
        Ok(values)
    }

    fn matrix(&self, group: &Group, at: &str) -> Result<Matrix, NirError> {
        let (values, shape) = self.floats(group, at, "weight")?;
        let [rows, cols] = shape.as_slice() else {
            return Err(error(&self.path, format!("{at}/weight has shape {shape:?}; a [out, in] matrix was expected")));
        };
        Matrix::new(*rows, *cols, values).map_err(|e| error(&self.path, format!("{at}/weight: {e}")))
    }

    fn shape(&self, group: &Group, at: &str) -> Result<Vec<usize>, NirError> {
        let ds = self.dataset(group, at, "shape")?;
        let values = ds.read_raw::<i64>().map_err(|e| error(&self.path, format!("{at}/shape is not an integer array: {e}")))?;
        values.into_iter().map(|v| usize::try_from(v).map_err(|_| error(&self.path, format!("{at}/shape holds {v}")))).collect()
    }

    fn node(&self, group: &Group, at: &str) -> Result<NirNode, NirError> {
        let kind = self.string(&self.dataset(group, at, "type")?, &format!("{at}/type"))?;
        Ok(match kind.as_str() {
            "Input" => NirNode::Input { shape: self.shape(group, at)? },
            "Output" => NirNode::Output { shape: self.shape(group, at)? },
            "Affine" => NirNode::Affine { weight: self.matrix(group, at)?, bias: self.vector(group, at, "bias")? },
            "Linear" => NirNode::Linear { weight: self.matrix(group, at)? },
            "LIF" => {
                let tau = self.vector(group, at, "tau")?;
                let v_reset = if group.link_exists("v_reset") { self.vector(group, at, "v_reset")? } else { vec![0.0; tau.len()] };
                let tau_steps = match group.group("metadata") {
                    Ok(meta) if meta.link_exists("sglab_tau_steps") => Some(self.vector(&meta, &format!("{at}/metadata"), "sglab_tau_steps")?),
                    _ => None,
                };
                NirNode::Lif(LifNode {
                    r: self.vector(group, at, "r")?,
                    v_leak: self.vector(group, at, "v_leak")?,
                    v_threshold: self.vector(group, at, "v_threshold")?,
                    tau,
                    v_reset,
                    tau_steps,
                })
            }
            _ => NirNode::Other { kind },
        })
    }
}

/// Reads the NIR graph in `path`. Nodes of types sglab does not map are kept by type name
/// ([`NirNode::Other`]); a missing file, a file that is not HDF5, or one without NIR's layout is
/// an error naming the file and what was expected.
pub fn read(path: &Path) -> Result<NirGraph, NirError> {
    if !path.exists() {
        return Err(error(path, "no such file"));
    }
    let r = Reader { path: path.to_path_buf() };
    let file = File::open(path).map_err(|e| error(path, format!("not a readable HDF5 file: {e}")))?;
    let root = file.group("node").map_err(|_| error(path, "no /node group: not a NIR file"))?;
    let kind = r.string(&r.dataset(&root, "/node", "type")?, "/node/type")?;
    if kind != "NIRGraph" {
        return Err(error(path, format!("/node is a {kind}; a NIRGraph was expected")));
    }
    let nodes_group = root.group("nodes").map_err(|_| error(path, "/node has no `nodes` group"))?;
    let mut graph = NirGraph::default();
    for name in nodes_group.member_names().map_err(|e| error(path, format!("listing /node/nodes: {e}")))? {
        let at = format!("/node/nodes/{name}");
        let group = nodes_group.group(&name).map_err(|_| error(path, format!("{at} is not a group")))?;
        graph.nodes.insert(name, r.node(&group, &at)?);
    }
    let edges = r.dataset(&root, "/node", "edges")?;
    let shape = edges.shape();
    let names: Vec<String> = match edges.read_raw::<VarLenUnicode>() {
        Ok(v) => v.iter().map(|s| s.as_str().to_string()).collect(),
        Err(_) => edges.read_raw::<VarLenAscii>().map_err(|e| error(path, format!("/node/edges is not a string array: {e}")))?.iter().map(|s| s.as_str().to_string()).collect(),
    };
    if !(shape.len() == 2 && shape[1] == 2) && !names.is_empty() {
        return Err(error(path, format!("/node/edges has shape {shape:?}; [E, 2] was expected")));
    }
    for pair in names.chunks(2) {
        let [a, b] = pair else { unreachable!("shape [E, 2]") };
        for end in [a, b] {
            if !graph.nodes.contains_key(end) {
                return Err(error(path, format!("an edge names `{end}`, which is not under /node/nodes")));
            }
        }
        graph.edges.push((a.clone(), b.clone()));
    }
    Ok(graph)
}
