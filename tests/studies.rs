//! The study helpers behind notebook 01: the sweep grid, the paper's sensitivity measure on a
//! table computed by hand, and the shape tests and their summary.

use polars::prelude::{Column, DataFrame};
use sglab::studies::{Scale, sg_shapes};

#[test]
fn the_quick_sweep_covers_shapes_learning_rates_and_seeds() {
    for task in sg_shapes::TASKS {
        let spec = sg_shapes::sweep(Scale::Quick, task);
        let points = spec.points().unwrap();
        assert_eq!(points.len(), 6 * 4 * 4, "{task}");
        assert!(points.iter().all(|p| p.config.task.name() == task));
    }
    assert_eq!(sg_shapes::sweep(Scale::Paper, "slmnist").points().unwrap().len(), 6 * 7 * 4);
    assert_eq!(sg_shapes::surrogates().len(), 6);
}

/// Two learning rates, two shapes, one seed each: metric values 0.2, 0.6 (lr 1) and 0.4, 1.0
/// (lr 2). Min–max normalised over the task: 0, 0.5 and 0.25, 1; the standard deviations
/// (n − 1) per lr are 0.5/√2 and 0.75/√2; sensitivity = their mean, error = their sd / 2.
#[test]
fn sensitivity_is_the_papers_measure() {
    let df = DataFrame::new_infer_height(vec![
        Column::new(sg_shapes::TASK.into(), vec!["t"; 4]),
        Column::new(sg_shapes::SHAPE.into(), vec!["a", "b", "a", "b"]),
        Column::new(sg_shapes::LR.into(), vec![1.0, 1.0, 2.0, 2.0]),
        Column::new("acc".into(), vec![0.2, 0.6, 0.4, 1.0]),
    ])
    .unwrap();
    let s = sg_shapes::sensitivity(&df, "acc").unwrap();
    let value = s.column("sensitivity").unwrap().f64().unwrap().get(0).unwrap();
    let error = s.column("error").unwrap().f64().unwrap().get(0).unwrap();
    let (a, b) = (0.5 / 2f64.sqrt(), 0.75 / 2f64.sqrt());
    assert!((value - (a + b) / 2.0).abs() < 1e-12, "{value}");
    assert!((error - (b - a).abs() / 2f64.sqrt() / 2.0).abs() < 1e-12, "{error}");
}

/// The reference is better than "worse" at every (lr, seed) and tied in sign with "noise":
/// the Holm-adjusted test finds the first and not the second, and the summary says so.
#[test]
fn shape_tests_and_summary_name_what_was_beaten() {
    let (mut task, mut shape, mut lr, mut seed, mut acc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, rate) in [1e-3, 1e-2, 3e-2].iter().enumerate() {
        for s in 0..4i64 {
            let base = 0.6 + 0.05 * k as f64 + 0.01 * s as f64;
            for (name, value) in [("fast-sigmoid", base), ("worse", base - 0.1 - 0.001 * s as f64), ("noise", base + if (s + k as i64) % 2 == 0 { 0.02 } else { -0.02 })] {
                task.push("randman");
                shape.push(name);
                lr.push(*rate);
                seed.push(s);
                acc.push(value);
            }
        }
    }
    let df = DataFrame::new_infer_height(vec![
        Column::new(sg_shapes::TASK.into(), task),
        Column::new(sg_shapes::SHAPE.into(), shape),
        Column::new(sg_shapes::LR.into(), lr),
        Column::new("seed".into(), seed),
        Column::new("acc".into(), acc),
    ])
    .unwrap();
    let tests = sg_shapes::shape_tests(&df, "acc", "fast-sigmoid").unwrap();
    assert_eq!(tests.height(), 2);
    let summary = sg_shapes::summary(&tests, 0.05).unwrap();
    println!("{summary}");
    assert!(summary.starts_with("randman: fast-sigmoid beats 1 of 2 shapes"), "{summary}");
    assert!(summary.contains("n = 12 pairs") && summary.contains("better than worse") && summary.contains("not shown better than noise"), "{summary}");
}
