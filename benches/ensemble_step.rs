//! Time of one surrogate-gradient descent step of an ensemble of networks
//! (`sglab::theory::sg_descent::Ensemble::step`), the inner loop of study 07: networks
//! 2 → n → n → 1, erf forward m₁ = 2, erf surrogate m = 1, the study's 15 training points and
//! learning rate, 100 networks, on the backend named by `SGLAB_BACKEND` (default flex).
//!
//! ```text
//! cargo bench --bench ensemble_step                      # widths 10, 30, 100, 300
//! cargo bench --bench ensemble_step -- 300 1000 --steps 20 --networks 100
//! cargo bench --bench ensemble_step -- 300 --default-allocator   # without retain_freed_memory
//! ```
//!
//! Like the `sglab` binary, the bench first keeps freed buffers for reuse
//! (`sglab::fused::retain_freed_memory`); `--default-allocator` leaves glibc's defaults, under
//! which every buffer above 32 MiB (the `[100, 300, 300]` weight gradient is 36 MB) is a fresh
//! `mmap` whose pages fault in on first touch. Reports the median, minimum and maximum milliseconds per step over the measured steps, after
//! three warm-up steps, and the study's time for 30 000 steps at that width.

use std::time::Instant;

use sglab::studies::sg_ntk::{LEARNING_RATE, kernel, task, task_tensors};
use sglab::theory::sg_descent::Ensemble;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let mut widths = Vec::new();
    let (mut steps, mut networks, mut retain) = (10usize, 100usize, true);
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--steps" => {
                steps = args[i + 1].parse().expect("--steps takes a count");
                i += 1;
            }
            "--networks" => {
                networks = args[i + 1].parse().expect("--networks takes a count");
                i += 1;
            }
            "--default-allocator" => retain = false,
            w => widths.push(w.parse::<usize>().unwrap_or_else(|_| panic!("unknown argument {w:?}: expected a width, --steps N or --networks N"))),
        }
        i += 1;
    }
    if widths.is_empty() {
        widths = vec![10, 30, 100, 300];
    }
    if retain {
        sglab::fused::retain_freed_memory();
    }
    let backend = std::env::var("SGLAB_BACKEND").unwrap_or_else(|_| "flex".into());
    let device = sglab::device(&backend).expect("a compiled backend");
    let t = task();
    let (x, y, _) = task_tensors(&t, &device);
    let allocator = if retain { "freed buffers retained" } else { "glibc defaults" };
    println!("backend {backend}, {networks} networks, {steps} measured steps, allocator: {allocator}");
    println!("| width | median ms/step | min–max | 30 000 steps (min) |");
    println!("|---|---|---|---|");
    for width in widths {
        let mut ensemble = Ensemble::new(kernel(Some(2.0)), width, networks, 1, &device);
        for _ in 0..3 {
            ensemble.step(&x, &y, LEARNING_RATE);
        }
        let mut times: Vec<f64> = (0..steps)
            .map(|_| {
                let started = Instant::now();
                ensemble.step(&x, &y, LEARNING_RATE);
                let _ = sglab::host_values(ensemble.parameters().1.1);
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!("| {width} | {median:.2} | {:.2}–{:.2} | {:.1} |", times[0], times[times.len() - 1], median * 30_000.0 / 60e3);
    }
}
