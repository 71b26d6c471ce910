//! Crash safety through the `sglab` binary. A training process is killed (SIGKILL, through the
//! `SGLAB_KILL_AT_RENAME` hook of `sglab::durable`) just before each rename it makes: the
//! three files of each checkpoint, its state, and the history and runs tables. Rerun, it
//! resumes from what the kill left, and its tables equal those of an uninterrupted run in
//! every column but the wall-clock ones, bit for bit, for a LIF, a DECOLLE and an escape-noise
//! network. Four processes writing one table: each either writes its row or fails with the
//! lock's message, and the table is readable with every written row once.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use common::sglab_binary as sglab;
use sglab::results;

/// A small randman task and network, `epochs` epochs, the model section `model`.
fn config(model: &str, extra: &str) -> String {
    format!(
        r#"
epochs = 2
batch_size = 16
seed = 3
{extra}
[task]
name = "randman"
classes = 3
units = 10
steps = 20
alpha = 2.0
samples_per_class = 24

[model]
hidden_sizes = [12]
{model}
"#
    )
}

fn kinds() -> Vec<(&'static str, String)> {
    vec![
        ("lif", config("", "")),
        ("decolle", config("", "[optimizer]\nkind = \"adamax\"\nlr = 1e-2\nbeta1 = 0.0\nbeta2 = 0.95\n[decolle]\nburn_in = 3\n")),
        ("escape", config("stochastic = { noise = { kind = \"sigmoid\", beta = 10.0 } }", "")),
    ]
}

/// `sglab train` of `file` with checkpoints in `dir/checkpoint` and tables at `dir/runs.parquet`,
/// killed before its `kill_at`-th rename when given.
fn train(file: &Path, dir: &Path, kill_at: Option<usize>) -> Output {
    let mut cmd = sglab();
    cmd.args(["train", file.to_str().unwrap(), "--quiet", "--checkpoint"])
        .arg(dir.join("checkpoint"))
        .arg("--out")
        .arg(dir.join("runs.parquet"))
        .env_remove(sglab::durable::KILL_AT_RENAME);
    if let Some(n) = kill_at {
        cmd.env(sglab::durable::KILL_AT_RENAME, n.to_string());
    }
    cmd.output().unwrap()
}

/// Every cell of the table at `path` but the wall-clock columns, numbers as their bits.
fn cells(path: &Path) -> Vec<(String, Vec<String>)> {
    let df = results::read_parquet(path).unwrap();
    let mut out = Vec::new();
    for column in df.columns() {
        let name = column.name().to_string();
        if name == "wall_time_s" || name == "seconds" {
            continue;
        }
        let values = match sglab::table::optional_f64_column(&df, &name) {
            Ok(v) if column.dtype().is_primitive_numeric() || column.dtype().is_bool() => {
                v.iter().map(|x| x.map_or("null".into(), |x| format!("{:016x}", x.to_bits()))).collect()
            }
            _ => sglab::table::string_column(&df, &name).unwrap(),
        };
        out.push((name, values));
    }
    out
}

fn history(dir: &Path) -> PathBuf {
    sglab::train::sweep::history_path(&dir.join("runs.parquet"))
}

#[test]
fn a_run_killed_at_any_rename_resumes_to_the_uninterrupted_tables() {
    let root = common::scratch_dir("crash");
    for (kind, text) in kinds() {
        let file = root.join(format!("{kind}.toml"));
        std::fs::write(&file, &text).unwrap();
        let reference = root.join(format!("{kind}-reference"));
        let done = train(&file, &reference, None);
        assert!(done.status.success(), "{kind}: {}", String::from_utf8_lossy(&done.stderr));
        let (runs, epochs) = (cells(&reference.join("runs.parquet")), cells(&history(&reference)));

        let mut kills = 0;
        for n in 1.. {
            let dir = root.join(format!("{kind}-{n}"));
            let killed = train(&file, &dir, Some(n));
            if killed.status.success() {
                // Past the last rename: the run had nothing left to interrupt.
                break;
            }
            assert_eq!(killed.status.signal(), Some(libc::SIGKILL), "{kind}, rename {n}: {}", String::from_utf8_lossy(&killed.stderr));
            kills += 1;
            let resumed = train(&file, &dir, None);
            assert!(resumed.status.success(), "{kind}, rename {n}: {}", String::from_utf8_lossy(&resumed.stderr));
            assert_eq!(cells(&dir.join("runs.parquet")), runs, "{kind}: runs table after a kill at rename {n}");
            assert_eq!(cells(&history(&dir)), epochs, "{kind}: history after a kill at rename {n}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
        // Four renames per epoch's checkpoint (weights, best, optimiser, state) and two tables.
        assert_eq!(kills, 4 * 2 + 2, "{kind}");
    }
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn four_writers_of_one_table_never_lose_or_duplicate_a_row() {
    let root = common::scratch_dir("writers");
    let out = root.join("runs.parquet");
    let children: Vec<_> = (0..4)
        .map(|seed| {
            let file = root.join(format!("seed{seed}.toml"));
            std::fs::write(&file, config("", "").replace("seed = 3", &format!("seed = {seed}"))).unwrap();
            sglab()
                .args(["train", file.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut written = 0;
    for child in children {
        let output = child.wait_with_output().unwrap();
        if output.status.success() {
            written += 1;
        } else {
            let err = String::from_utf8_lossy(&output.stderr);
            assert!(err.contains("runs.parquet is being written by another process ("), "{err}");
        }
    }
    assert!(written >= 1);
    let table = results::read_parquet(&out).unwrap();
    let ids = results::string_column(&table, "run_id").unwrap();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((ids.len(), unique.len()), (written, written), "{ids:?}");
    std::fs::remove_dir_all(root).unwrap();
}
