//! Helpers shared by the integration tests.
#![allow(dead_code)]

use sglab::BackendKind;
use sglab::burn::Tensor;
use sglab::burn::tensor::{Device, TensorData};

/// Every backend compiled into this build with its default device. A compiled backend that
/// cannot start (e.g. wgpu without any Vulkan driver) fails the test, by design.
pub fn backends() -> Vec<(BackendKind, Device)> {
    BackendKind::compiled()
        .into_iter()
        .map(|b| (b, b.device().expect("compiled backend")))
        .collect()
}

/// The tensor's values as f64.
pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data().convert::<f64>().try_to_vec::<f64>().unwrap()
}

/// A 1-D tensor from f64 values on `device`.
pub fn tensor1(v: &[f64], device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

/// Asserts |a − b| ≤ atol + rtol·|b| elementwise, naming the first offending index.
pub fn assert_close(a: &[f64], b: &[f64], atol: f64, rtol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= atol + rtol * y.abs(),
            "{what}: index {i}: {x} vs {y} (|diff| = {})",
            (x - y).abs()
        );
    }
}

/// An empty directory under the system's temporary directory, private to this test process.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sglab-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `sglab` binary cargo built for the integration tests, found beside the test executable's
/// `deps/` folder when the target directory has moved since the build.
pub fn sglab_binary() -> std::process::Command {
    let built = std::path::PathBuf::from(env!("CARGO_BIN_EXE_sglab"));
    let exe = if built.exists() {
        built
    } else {
        let test_exe = std::env::current_exe().unwrap();
        test_exe.parent().and_then(std::path::Path::parent).unwrap().join(built.file_name().unwrap())
    };
    std::process::Command::new(exe)
}
