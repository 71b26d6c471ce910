//! The SHD loader on small HDF5 files written here in the official layout (float16 times).
#![cfg(feature = "shd")]

mod common;

use std::path::Path;

use half::f16;
use hdf5_metno as hdf5;
use hdf5::types::VarLenArray;
use sglab::data::DataError;
use sglab::data::dataset::Event;
use sglab::data::shd::{self, ShdConfig};

/// Writes `/spikes/times` (float16), `/spikes/units` (uint16) and `/labels` (uint8).
fn write_shd(path: &Path, samples: &[(&[f32], &[u16])], labels: &[u8]) {
    let file = hdf5::File::create(path).unwrap();
    let spikes = file.create_group("spikes").unwrap();
    let times: Vec<VarLenArray<f16>> =
        samples.iter().map(|(t, _)| VarLenArray::from_slice(&t.iter().map(|&x| f16::from_f32(x)).collect::<Vec<_>>())).collect();
    let units: Vec<VarLenArray<u16>> = samples.iter().map(|(_, u)| VarLenArray::from_slice(u)).collect();
    spikes.new_dataset_builder().with_data(&times).create("times").unwrap();
    spikes.new_dataset_builder().with_data(&units).create("units").unwrap();
    file.new_dataset_builder().with_data(labels).create("labels").unwrap();
}

// Times exactly representable in float16, so the expected bins are exact:
// bin = ⌊1000 t / Δ⌋ with Δ = 4 ms.
const TIMES: [f32; 6] = [0.0, 0.0078125, 0.25, 0.998046875, 1.0, 1.25];
const UNITS: [u16; 6] = [0, 699, 5, 5, 3, 4];

#[test]
fn round_trip_with_the_papers_binning() {
    let dir = common::scratch_dir("roundtrip");
    let path = dir.join("shd_train.h5");
    write_shd(&path, &[(&TIMES, &UNITS), (&[0.5, 0.5009765625], &[7, 7])], &[19, 0]);
    let config = ShdConfig::default();
    assert_eq!(config.steps(), 250);
    let data = shd::read_file(&path, &config).unwrap();
    assert_eq!((data.len(), data.channels(), data.steps(), data.classes()), (2, 700, 250, 20));
    assert_eq!(data.labels(), &[19, 0]);
    let e = |step, channel| Event { step, channel };
    // 0 → 0; 7.8125 ms → 1; 250 ms → 62; 998.05 ms → 249; 1000 ms and 1250 ms are outside the window.
    assert_eq!(data.events(0), &[e(0, 0), e(1, 699), e(62, 5), e(249, 5)]);
    // 500 ms and 500.98 ms fall in bin 125: one spike when binary, two as counts.
    assert_eq!(data.events(1), &[e(125, 7)]);
    let counts = shd::read_file(&path, &ShdConfig { binary: false, ..config.clone() }).unwrap();
    assert_eq!(counts.events(1), &[e(125, 7), e(125, 7)]);
    assert_eq!(counts.dense(1)[125 * 700 + 7], 2.0);

    // 10 ms bins over 1.4 s: 140 steps, 1000 ms now inside (bin 100), 1250 ms in bin 125.
    let wide = shd::read_file(&path, &ShdConfig { bin_ms: 10.0, duration_ms: 1400.0, ..config.clone() }).unwrap();
    assert_eq!(wide.steps(), 140);
    assert_eq!(wide.events(0), &[e(0, 0), e(0, 699), e(25, 5), e(99, 5), e(100, 3), e(125, 4)]);

    // The directory loader with a test file and a validation fraction.
    write_shd(&dir.join("shd_test.h5"), &[(&[0.125], &[1])], &[3]);
    let splits = shd::load(&ShdConfig { dir: Some(dir.clone()), validation_fraction: 0.5, ..config.clone() }).unwrap();
    assert_eq!((splits.train.len(), splits.validation.len(), splits.test.len()), (1, 1, 1));
    assert_eq!(splits.test.events(0), &[e(31, 1)]); // 125 ms
    // The paper's time repetition: every bin twice, so the spike in bin 31 is at steps 62 and 63.
    let repeated = shd::load(&ShdConfig { dir: Some(dir.clone()), validation_fraction: 0.5, time_repeat: 2, ..config }).unwrap();
    assert_eq!(repeated.test.steps(), 2 * splits.test.steps());
    assert_eq!(repeated.test.events(0), &[e(62, 1), e(63, 1)]);
    let zero = shd::load(&ShdConfig { dir: Some(dir.clone()), time_repeat: 0, ..Default::default() }).unwrap_err().to_string();
    assert!(zero.contains("time_repeat"), "{zero}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_truncated_and_malformed_files_give_clear_errors() {
    let dir = common::scratch_dir("errors");
    let err = shd::load(&ShdConfig { dir: Some(dir.clone()), ..Default::default() }).unwrap_err();
    assert!(matches!(err, DataError::Missing { .. }));
    assert!(err.to_string().contains("shd_train.h5") && err.to_string().contains("zenkelab.org"), "{err}");

    let path = dir.join("shd_train.h5");
    write_shd(&path, &[(&TIMES, &UNITS)], &[1]);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = shd::read_file(&path, &ShdConfig::default()).unwrap_err().to_string();
    assert!(err.contains("shd_train.h5"), "{err}");

    std::fs::write(&path, b"not hdf5 at all").unwrap();
    let err = shd::read_file(&path, &ShdConfig::default()).unwrap_err().to_string();
    assert!(err.contains("not a readable HDF5 file"), "{err}");

    // A file without /labels.
    let file = hdf5::File::create(&path).unwrap();
    let spikes = file.create_group("spikes").unwrap();
    let t: Vec<VarLenArray<f16>> = vec![VarLenArray::from_slice(&[f16::from_f32(0.1)])];
    let u: Vec<VarLenArray<u16>> = vec![VarLenArray::from_slice(&[1u16])];
    spikes.new_dataset_builder().with_data(&t).create("times").unwrap();
    spikes.new_dataset_builder().with_data(&u).create("units").unwrap();
    drop((spikes, file));
    let err = shd::read_file(&path, &ShdConfig::default()).unwrap_err().to_string();
    assert!(err.contains("labels"), "{err}");

    // Times and units of different lengths; a unit outside the 700 channels; a bad label.
    write_shd(&path, &[(&[0.1, 0.2], &[1])], &[1]);
    let err = shd::read_file(&path, &ShdConfig::default()).unwrap_err().to_string();
    assert!(err.contains("2 spike times but 1 units"), "{err}");
    write_shd(&path, &[(&[0.1], &[700])], &[1]);
    let err = shd::read_file(&path, &ShdConfig::default()).unwrap_err().to_string();
    assert!(err.contains("unit 700"), "{err}");
    write_shd(&path, &[(&[0.1], &[7])], &[20]);
    let err = shd::read_file(&path, &ShdConfig::default()).unwrap_err().to_string();
    assert!(err.contains("label 20"), "{err}");

    let err = shd::read_file(&path, &ShdConfig { bin_ms: 0.0, ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("bin_ms"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
