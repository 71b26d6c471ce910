//! The study helpers behind notebook 01: the sweep grid, the paper's sensitivity measure on a
//! table computed by hand, and the shape tests and their summary.

use polars::prelude::{Column, DataFrame};
use sglab::studies::{Scale, sg_shapes};

#[test]
fn the_quick_sweep_covers_shapes_learning_rates_and_seeds() {
    for task in sg_shapes::tasks(Scale::Quick) {
        let sweep = sg_shapes::sweep(Scale::Quick, task);
        let points = sweep.points();
        assert_eq!(points.len(), 6 * 4 * 4, "{}", task.name());
        for p in &points {
            assert_eq!(p.config.task.name(), task.name());
            assert_eq!(p.config.model.spike.surrogate_of().unwrap().shape(), p.arm.label.shape, "the arm's label is the configuration's shape");
            assert_eq!(p.config.optimizer.lr, p.arm.label.lr);
            assert_eq!(p.config.run.seed, p.seed);
            sglab::validate::Validate::validate(&p.config).unwrap();
        }
    }
    // Paper scale: LIF and ALIF on sl-MNIST and SHD, LIF on randman, the paper's run control.
    for (task, networks) in [(sg_shapes::Task::Slmnist, 2), (sg_shapes::Task::Shd, 2), (sg_shapes::Task::Randman, 1)] {
        let sweep = sg_shapes::sweep(Scale::Paper, task);
        assert_eq!(sweep.points().len(), networks * 6 * 7 * 4, "{}", task.name());
        let alif = sweep.points().iter().filter(|p| p.arm.label.network == sglab::train::protocol::PaperNeuron::Alif).count();
        assert_eq!(alif, (networks - 1) * 6 * 7 * 4);
        for p in sweep.points().iter().filter(|_| task != sg_shapes::Task::Randman) {
            assert_eq!((p.config.run.patience, p.config.run.time_limit_s), (Some(10), Some(6.0 * 3600.0)));
            assert_eq!(p.config.run.epochs, if task == sg_shapes::Task::Shd { 450 } else { 300 });
            sglab::validate::Validate::validate(&p.config).unwrap();
        }
    }
    // Plateau scale: sl-MNIST only, LIF and ALIF, five learning rates from the paper's default
    // 3.16e-4 up, every run stopped by patience on the validation loss.
    assert!(sg_shapes::sweep(Scale::Plateau, sg_shapes::Task::Randman).points().is_empty());
    let plateau_sweep = sg_shapes::sweep(Scale::Plateau, sg_shapes::Task::Slmnist);
    let plateau = plateau_sweep.points();
    assert_eq!(plateau.len(), 2 * 6 * 5 * 4);
    let alif = plateau.iter().filter(|p| p.arm.label.network == sglab::train::protocol::PaperNeuron::Alif).count();
    assert_eq!(alif, 6 * 5 * 4);
    assert!(plateau.iter().any(|p| p.config.optimizer.lr == 3.16e-4));
    for p in &plateau {
        assert_eq!(p.config.run.patience, Some(5));
        assert!(!p.config.run.test_each_epoch && p.config.run.eval_samples.is_none());
        sglab::validate::Validate::validate(&p.config).unwrap();
    }
    assert_eq!(sg_shapes::surrogates().len(), 6);
}

/// CI never trains: every run of every study's quick sweep is in its committed table under
/// data/results/ (a change to a configuration's identifier would make the notebooks retrain).
#[test]
fn the_committed_results_hold_every_run_of_every_quick_sweep() {
    use sglab::studies::{extensions, landscape, results_path, sparsity, stability_init, stochastic};
    use sglab::train::arms::{ArmLabel, ArmSweep};
    fn missing<L: ArmLabel>(sweep: ArmSweep<L>, path: std::path::PathBuf) -> (String, usize, usize) {
        let table = sglab::results::read_parquet(&path).unwrap();
        let ids: std::collections::HashSet<String> = sglab::table::string_column(&table, "run_id").unwrap().into_iter().collect();
        let points = sweep.points();
        let results = sweep.results(&table).map(|r| r.len()).unwrap_or(0);
        assert!(results == 0 || results == points.len());
        (path.display().to_string(), points.len(), points.iter().filter(|p| !ids.contains(&p.run_id)).count())
    }
    let scale = Scale::Quick;
    let mut checked = Vec::new();
    for task in sg_shapes::tasks(scale) {
        checked.push(missing(sg_shapes::sweep(scale, task), sg_shapes::results_path(scale, task)));
    }
    // Notebook 01 shows plateau scale by default.
    checked.push(missing(sg_shapes::sweep(Scale::Plateau, sg_shapes::Task::Slmnist), sg_shapes::results_path(Scale::Plateau, sg_shapes::Task::Slmnist)));
    checked.push(missing(stability_init::ablation_sweep(scale), results_path("02_stability_ablation", scale)));
    // Notebook 02 shows plateau scale by default.
    checked.push(missing(stability_init::ablation_sweep(Scale::Plateau), results_path("02_stability_ablation", Scale::Plateau)));
    for p in stability_init::Parameter::ALL {
        for scale in [scale, Scale::Plateau] {
            checked.push(missing(stability_init::parameter_sweep(scale, p), results_path(&format!("02_stability_{}", p.name()), scale)));
        }
    }
    checked.push(missing(sparsity::sweep(scale), results_path("03_sparsity", scale)));
    // Notebook 03 shows plateau scale by default, with the later code's term beside it.
    checked.push(missing(sparsity::sweep(Scale::Plateau), results_path("03_sparsity", Scale::Plateau)));
    checked.push(missing(sparsity::head_sweep(Scale::Plateau), results_path("03_sparsity_head", Scale::Plateau)));
    checked.push(missing(extensions::decolle_sweep(scale), results_path("04_decolle", scale)));
    checked.push(missing(extensions::fluctuation_sweep(scale), results_path("04_fluctuation", scale)));
    // Notebook 04 shows plateau scale by default, with the σ_U sweep beside the main one.
    checked.push(missing(extensions::decolle_sweep(Scale::Plateau), results_path("04_decolle", Scale::Plateau)));
    checked.push(missing(extensions::fluctuation_sweep(Scale::Plateau), results_path("04_fluctuation", Scale::Plateau)));
    checked.push(missing(extensions::sigma_sweep(Scale::Plateau), results_path("04_fluctuation_sigma", Scale::Plateau)));
    checked.push(missing(stochastic::training_sweep(scale), results_path("05_stochastic", scale)));
    // Notebook 05 shows plateau scale by default.
    checked.push(missing(stochastic::training_sweep(Scale::Plateau), results_path("05_stochastic", Scale::Plateau)));
    checked.push(missing(landscape::training_sweep(scale), results_path("06_qif_lif", scale)));
    // Tables computed part by part: every part of the scales the notebooks show.
    fn missing_parts(keys: Vec<String>, path: std::path::PathBuf) -> (String, usize, usize) {
        let table = sglab::results::read_parquet(&path).unwrap();
        let held: std::collections::HashSet<String> = sglab::table::string_column(&table, "setting").unwrap().into_iter().collect();
        (path.display().to_string(), keys.len(), keys.iter().filter(|k| !held.contains(*k)).count())
    }
    use sglab::studies::{sg_ntk, spike_matching};
    for scale in [Scale::Quick, Scale::Plateau] {
        checked.push(missing_parts(spike_matching::matching_keys(scale), results_path("05_spike_matching", scale)));
        checked.push(missing_parts(sg_ntk::ensemble_keys(scale), results_path("07_sg_ntk", scale)));
        checked.push(missing_parts(sg_ntk::snapshot_keys(scale), results_path("07_sg_ntk_kernels", scale)));
    }
    // Study 06's exact-gradient tables: the search's points, the final runs it selects and
    // their slices.
    use sglab::studies::exact_gradients;
    for scale in [Scale::Quick, Scale::Plateau] {
        let parts = exact_gradients::search_parts(scale);
        let search = sglab::results::read_parquet(&exact_gradients::search_path(scale)).unwrap();
        let held: std::collections::HashSet<String> = sglab::table::string_column(&search, "key").unwrap().into_iter().collect();
        checked.push((exact_gradients::search_path(scale).display().to_string(), parts.keys.len(), parts.keys.iter().filter(|k| !held.contains(*k)).count()));
        let ids = exact_gradients::final_run_ids(scale, &search).unwrap();
        for name in ["06_event", "06_event_slices"] {
            let table = sglab::results::read_parquet(&results_path(name, scale)).unwrap();
            let held: std::collections::HashSet<String> = sglab::table::string_column(&table, "run_id").unwrap().into_iter().collect();
            checked.push((results_path(name, scale).display().to_string(), ids.len(), ids.iter().filter(|k| !held.contains(*k)).count()));
        }
    }
    for (path, points, absent) in &checked {
        println!("{path}: {points} runs, {absent} missing");
    }
    assert!(checked.iter().all(|(_, _, absent)| *absent == 0), "{checked:?}");
}

/// Every committed row of study 02 records the surrogate each layer trained with, and no β is
/// an edge of Condition IV's search interval (0.01 or 100): where IV has no root the configured
/// β is kept.
#[test]
fn committed_study_02_rows_record_applied_parameters_never_at_the_search_edge() {
    use sglab::studies::results_path;
    let tables = ["02_stability_ablation", "02_stability_dampening", "02_stability_sharpness", "02_stability_tail"]
        .into_iter()
        .map(|name| (name, Scale::Quick))
        .flat_map(|(name, _)| [(name, Scale::Quick), (name, Scale::Plateau)]);
    for (name, scale) in tables {
        let path = results_path(name, scale);
        let table = sglab::results::read_parquet(&path).unwrap();
        for layer in 0..2 {
            for column in [format!("applied_dampening_l{layer}"), format!("applied_sharpness_l{layer}")] {
                let values = sglab::table::optional_f64_column(&table, &column).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(values.iter().all(Option::is_some), "{}: {column} has a null", path.display());
                assert!(values.iter().flatten().all(|b| *b != 0.01 && *b != 100.0), "{}: {column} at a search edge", path.display());
            }
        }
    }
}

/// Three shapes at one learning rate on three seeds, shape "a" best and "c" worst on every seed:
/// mean ranks 1, 2, 3, and Friedman's χ² = 12/(nk(k+1)) Σ R_j² − 3n(k+1) = 6 with rank sums
/// 3, 6, 9 (n = 3 seeds, k = 3 shapes), p = e^{−3} (χ² with 2 df); a second learning rate with
/// a single seed is left out.
#[test]
fn rankings_per_lr_rank_within_seeds_and_test_with_friedman() {
    let mut rows: Vec<(&str, f64, f64, f64)> = Vec::new();
    for seed in 0..3 {
        for (shape, v) in [("a", 0.9), ("b", 0.8), ("c", 0.7)] {
            rows.push((shape, 1e-3, seed as f64, v + 0.01 * seed as f64));
        }
    }
    rows.extend([("a", 1e-2, 0.0, 0.5), ("b", 1e-2, 0.0, 0.4), ("c", 1e-2, 0.0, 0.3)]);
    let df = DataFrame::new_infer_height(vec![
        Column::new(sg_shapes::TASK.into(), vec!["t"; rows.len()]),
        Column::new(sg_shapes::SHAPE.into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        Column::new(sg_shapes::LR.into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new("seed".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
        Column::new("acc".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
    ])
    .unwrap();
    let table = sg_shapes::rankings_per_lr(&df, "acc").unwrap();
    assert_eq!(table.height(), 3, "the single-seed learning rate is left out");
    let ranks = sglab::table::f64_column(&table, "mean_rank").unwrap();
    assert_eq!(ranks, vec![1.0, 2.0, 3.0]);
    let p = sglab::table::f64_column(&table, "friedman_p").unwrap();
    assert!((p[0] - (-3.0f64).exp()).abs() < 1e-12, "{p:?}");
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

    // The same runs once from LIF and once, shifted, from ALIF networks of the same task: one
    // measure per task and network (min-max normalisation is shift-invariant), named apart.
    let mut doubled = df.vstack(&df).unwrap();
    doubled.with_column(Column::new(sg_shapes::NETWORK.into(), vec!["lif", "lif", "lif", "lif", "alif", "alif", "alif", "alif"])).unwrap();
    doubled.with_column(Column::new("acc".into(), vec![0.2, 0.6, 0.4, 1.0, 0.3, 0.7, 0.5, 1.1])).unwrap();
    let s = sg_shapes::sensitivity(&doubled, "acc").unwrap();
    let names = sglab::results::string_column(&s, "task").unwrap();
    assert_eq!(names, ["t", "t alif"].map(String::from).to_vec(), "{s}");
    for v in s.column("sensitivity").unwrap().f64().unwrap().into_no_null_iter() {
        assert!((v - value).abs() < 1e-12, "{v} vs {value}");
    }
}

/// Five learning rates, two shapes, one seed each, in two settings. LIF: the shapes differ by
/// 0.1 at every rate (values 0.4 + 0.1k and 0.5 + 0.1k, k = 0…4: range 0.5); ALIF: by 0.2
/// (0.4 + 0.1k and 0.6 + 0.1k: range 0.6). Two values d apart have sample sd d/√2, so every LIF
/// term is 0.2/√2 and every ALIF term (1/3)/√2, larger at every rate: the exact one-sided
/// signed-rank p is 2⁻⁵ = 1/32, and 1 with the settings swapped.
#[test]
fn sensitivity_comparison_pairs_the_settings_by_learning_rate() {
    let (mut network, mut shape, mut lr, mut acc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (net, gap) in [("lif", 0.1), ("alif", 0.2)] {
        for k in 0..5 {
            for (name, value) in [("a", 0.4 + 0.1 * k as f64), ("b", 0.4 + gap + 0.1 * k as f64)] {
                network.push(net);
                shape.push(name);
                lr.push(10f64.powi(k - 4));
                acc.push(value);
            }
        }
    }
    let df = DataFrame::new_infer_height(vec![
        Column::new(sg_shapes::TASK.into(), vec!["t"; acc.len()]),
        Column::new(sg_shapes::NETWORK.into(), network),
        Column::new(sg_shapes::SHAPE.into(), shape),
        Column::new(sg_shapes::LR.into(), lr),
        Column::new("acc".into(), acc),
    ])
    .unwrap();
    assert_eq!(sg_shapes::settings(&df).unwrap(), ["t", "t alif"].map(String::from).to_vec());
    let c = sg_shapes::sensitivity_comparison(&df, "acc", "t alif", "t").unwrap();
    // Two values d apart have sample sd d/√2; normalised by the setting's range.
    let (lif_term, alif_term) = (0.1 / 0.5 / 2f64.sqrt(), 0.2 / 0.6 / 2f64.sqrt());
    assert_eq!(c.lrs.len(), 5);
    assert!(c.easier_terms.iter().all(|t| (t - lif_term).abs() < 1e-12), "{c:?}");
    assert!(c.harder_terms.iter().all(|t| (t - alif_term).abs() < 1e-12), "{c:?}");
    assert!((c.mean_difference - (alif_term - lif_term)).abs() < 1e-12);
    assert!((c.p_value - 1.0 / 32.0).abs() < 1e-12, "{}", c.p_value);
    let swapped = sg_shapes::sensitivity_comparison(&df, "acc", "t", "t alif").unwrap();
    assert!((swapped.p_value - 1.0).abs() < 1e-12, "{}", swapped.p_value);
    assert!(c.to_string().contains("p = 0.031"), "{c}");
    assert!(sg_shapes::sensitivity_comparison(&df, "acc", "t qif", "t").is_err(), "an absent setting is an error");
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

/// The grids of notebooks 02–04: sizes, the paper's tail values, the arms' labels against
/// their configurations, and that every point is a valid configuration.
#[test]
fn the_quick_grids_of_studies_02_to_04_have_the_papers_values() {
    use sglab::init::stability::Conditions;
    use sglab::studies::{extensions, sparsity, stability_init::{self, Parameter}};
    use sglab::train::{InitScheme, Method};
    use sglab::validate::Validate;
    let ablation_sweep = stability_init::ablation_sweep(Scale::Quick);
    let ablation = ablation_sweep.points();
    assert_eq!(ablation.len(), 9 * 8);
    for p in &ablation {
        let Some(InitScheme::Stability(scheme)) = p.config.bptt().map(|b| b.init) else { panic!("a stability initialisation") };
        assert_eq!((scheme.conditions, scheme.recurrent_draw), (p.arm.label.conditions, p.arm.label.draw));
        p.config.validate().unwrap();
    }
    assert_eq!(ablation[7 * 8].arm.label.conditions, Conditions::ALL);
    assert_eq!(ablation[0].arm.label.to_string(), "none");
    // The A/A control differs from "none" only in drawing W_rec through the stability path.
    let control = &ablation[8 * 8];
    assert_eq!(control.arm.label.to_string(), stability_init::CONTROL);
    assert_eq!(control.arm.label.draw, sglab::init::stability::RecurrentDraw::Always);
    assert_ne!(control.run_id, ablation[0].run_id);
    assert_eq!(stability_init::parameter_sweep(Scale::Quick, Parameter::Dampening).points().len(), 7 * 4);
    // q = 1 + 10^linspace(−2, 1.2, 10), as listed in stable_spike.md §6.3.
    let paper = [1.0100, 1.0226, 1.0514, 1.1165, 1.2643, 1.5994, 2.3593, 4.0823, 7.9894, 16.8489];
    for (q, p) in Parameter::Tail.grid().iter().zip(paper) {
        assert!((q - p).abs() < 1e-4, "{q} vs {p}");
    }
    // Plateau scale: a subset of the paper's values; 8 seeds where the prediction is tested.
    let plateau: Vec<(usize, usize)> = Parameter::ALL
        .iter()
        .map(|&p| (p.grid_at(Scale::Plateau).len(), stability_init::parameter_sweep(Scale::Plateau, p).points().len()))
        .collect();
    assert_eq!(plateau, vec![(5, 5 * 8), (3, 3 * 4), (3, 3 * 4)]);
    for p in Parameter::ALL {
        assert!(p.grid_at(Scale::Plateau).iter().all(|v| p.grid().iter().any(|g| (g - v).abs() < 1e-12)), "{} plateau grid inside the paper's", p.name());
    }
    let tail_sweep = stability_init::parameter_sweep(Scale::Quick, Parameter::Tail);
    let tail = tail_sweep.points();
    assert_eq!(tail.len(), 10 * 4);
    assert_eq!(tail[0].config.model.spike.surrogate_of().unwrap().shape(), sglab::surrogate::Shape::PseudoSpike { tail: Parameter::Tail.grid()[0] });

    let sparse_sweep = sparsity::sweep(Scale::Quick);
    let sparse = sparse_sweep.points();
    assert_eq!(sparse.len(), 7 * 3 * 3 * 4);
    assert!(sparsity::head_sweep(Scale::Quick).points().is_empty());
    for p in &sparse {
        let bptt = p.config.bptt().unwrap();
        assert_eq!(bptt.regularizer.map(|r| r.target), p.arm.label.sparsity);
        assert_eq!(bptt.rate_targeting.map(|t| t.rate), Some(p.arm.label.rate));
        p.config.validate().unwrap();
    }
    // Plateau scale: the paper's neuron with multreset2 and a bias, 2 layers, the 2022 term
    // (λ = 0.8, absolute deviation, exponential switch at E/5) with selection from epoch E/5 + 1;
    // the later term (λ = T, squared per step, linear ramp to 3E/5) from epoch 3E/5.
    let plateau_sweep = sparsity::sweep(Scale::Plateau);
    let head_sweep = sparsity::head_sweep(Scale::Plateau);
    let (plateau, head) = (plateau_sweep.points(), head_sweep.points());
    assert_eq!((plateau.len(), head.len()), (3 * 3 * 3 * 4, 3 * 4));
    for p in plateau.iter().chain(&head) {
        let config = &p.config;
        let sglab::neuron::NeuronConfig::Lif(lif) = &config.model.neuron else { panic!("LIF") };
        assert_eq!((lif.tau, lif.threshold, lif.reset, lif.bias, lif.detach_reset), (0.1, 0.01, sglab::neuron::Reset::MultReset2, true, true));
        assert_eq!((config.model.hidden_sizes.clone(), config.run.epochs, config.run.patience), (vec![64, 64], 40, Some(5)));
        let bptt = config.bptt().unwrap();
        let regularizer = bptt.regularizer;
        assert_eq!(regularizer.map(|r| r.target), p.arm.label.sparsity);
        let warmup = match p.arm.label.version {
            sparsity::SparsityLoss::Paper2022 => {
                if let Some(r) = regularizer {
                    assert_eq!((r.weight, r.form, r.schedule), (0.8, sglab::regularize::RateLoss::Absolute, sglab::regularize::Schedule::default()));
                }
                9
            }
            sparsity::SparsityLoss::Head => {
                let r = regularizer.unwrap();
                assert_eq!((r.weight, r.form, r.schedule), (50.0, sglab::regularize::RateLoss::SquaredPerStep, sglab::regularize::Schedule::linear_ramp()));
                24
            }
        };
        assert_eq!(config.run.warmup_epochs, warmup);
        // The term is fully on over the whole first selectable epoch.
        if let Some(r) = regularizer {
            let batches = 100;
            let mut s = 0.0;
            for i in 0..(warmup + 1) * batches {
                s = r.schedule.value(i as f64 / batches as f64 / 40.0, s);
                if i >= warmup * batches {
                    assert!(s > 0.99, "{}: s = {s} in epoch {warmup}", p.arm.label);
                }
            }
        }
        config.validate().unwrap();
    }

    let decolle_sweep = extensions::decolle_sweep(Scale::Quick);
    let decolle = decolle_sweep.points();
    assert_eq!(decolle.len(), 3 * 8);
    for p in &decolle {
        let Method::Decolle(d) = &p.config.method else { panic!("DECOLLE") };
        assert_eq!(d.rate_control.map(|c| c.target), p.arm.label.0);
    }
    let fluctuation_sweep = extensions::fluctuation_sweep(Scale::Quick);
    let fluctuation = fluctuation_sweep.points();
    assert_eq!(fluctuation.len(), 4 * 2 * 8);
    assert!(fluctuation.iter().all(|p| p.config.model.hidden_sizes.len() == p.arm.label.depth.layers(Scale::Quick)));
}

/// Study 04 at plateau scale: randman with 10 classes at α = 1 and evaluation sets of 1,000;
/// DECOLLE with Adamax (β = (0, 0.95), lr 1e-2) where a controlled run gets its two control
/// epochs on top of the same task budget, and neither selection nor patience sees them; the
/// fluctuation grid deep (6 layers) and shallow with SuperSpike β_s = 20, Kaiming as He-normal,
/// Rossbroich's homeostasis where asked, and σ_U as ξ = 1/σ_U.
#[test]
fn the_plateau_grid_of_study_04_gives_every_arm_the_same_task_budget() {
    use sglab::validate::Validate;
    use sglab::init::fluctuation::FluctuationVariant;
    use sglab::neuron::NeuronConfig;
    use sglab::regularize::{BoundSide, CountScope};
    use sglab::studies::extensions::{self, Depth, Initialisation, PLATEAU_MAX_EPOCHS};
    use sglab::train::{InitScheme, Method, OptimizerKind, TaskConfig};
    use sglab::weights::WeightInit;

    let decolle_sweep = extensions::decolle_sweep(Scale::Plateau);
    let decolle = decolle_sweep.points();
    assert_eq!(decolle.len(), 3 * 8);
    for p in &decolle {
        let TaskConfig::Randman(task) = &p.config.task else { panic!("randman") };
        assert_eq!((task.classes, task.alpha, task.samples_per_class, task.steps), (10, 1.0, 1000, 50));
        assert_eq!(((task.classes * task.samples_per_class) as f64 * task.test_fraction).round() as usize, 1000);
        let Method::Decolle(d) = &p.config.method else { panic!("DECOLLE") };
        assert_eq!((p.config.optimizer.kind, p.config.optimizer.lr, p.config.optimizer.beta1, p.config.optimizer.beta2), (OptimizerKind::Adamax, 1e-2, 0.0, 0.95));
        let control_epochs = d.rate_control.map_or(0, |c| c.until_epoch + 1);
        assert_eq!(control_epochs, if p.arm.label.0.is_some() { 2 } else { 0 });
        assert_eq!(p.config.run.epochs - control_epochs, extensions::DECOLLE_MAX_EPOCHS);
        assert_eq!(p.config.run.warmup_epochs, control_epochs);
        assert_eq!((p.config.run.patience, p.config.run.monitor), (Some(extensions::DECOLLE_PATIENCE), sglab::train::Monitor::ValAccuracy));
        p.config.validate().unwrap();
    }

    let main_sweep = extensions::fluctuation_sweep(Scale::Plateau);
    let sigma_sweep = extensions::sigma_sweep(Scale::Plateau);
    let (main, sigma) = (main_sweep.points(), sigma_sweep.points());
    assert_eq!((main.len(), sigma.len()), (7 * 8, 4 * 8));
    // The σ_U sweep: deep centred networks at σ_U 0.2, 0.5 and 1.5 with homeostasis, 0.2 without.
    let mut cells: Vec<(u64, bool)> = sigma.iter().map(|p| ((p.arm.label.init.sigma_u().unwrap() * 10.0).round() as u64, p.arm.label.homeostasis)).collect();
    cells.dedup();
    assert_eq!(cells, vec![(2, false), (2, true), (5, true), (15, true)]);
    for p in main.iter().chain(&sigma) {
        let arm = p.arm.label;
        assert_eq!(p.config.model.hidden_sizes, vec![64; if arm.depth == Depth::Deep { 6 } else { 1 }]);
        let bptt = p.config.bptt().unwrap();
        let NeuronConfig::Lif(lif) = &p.config.model.neuron else { panic!("LIF") };
        match arm.init {
            Initialisation::Kaiming => assert_eq!((lif.input_init, lif.recurrent_init, bptt.init), (WeightInit::HeNormal, WeightInit::HeNormal, InitScheme::Configured)),
            Initialisation::Glorot => assert_eq!((lif.input_init, bptt.init), (WeightInit::GlorotUniform, InitScheme::Configured)),
            Initialisation::Fluctuation { variant, sigma_u } => {
                let InitScheme::Fluctuation(f) = bptt.init else { panic!("fluctuation") };
                assert_eq!(variant, FluctuationVariant::Centred);
                assert!((f.xi * sigma_u - 1.0).abs() < 1e-12);
            }
        }
        assert_eq!(bptt.homeostasis.len(), if arm.homeostasis { 2 } else { 0 });
        if arm.homeostasis {
            assert!(arm.depth == Depth::Deep);
            let lower = bptt.homeostasis.iter().find(|b| b.side == BoundSide::Lower).unwrap();
            assert_eq!((lower.scope, lower.strength, lower.threshold), (CountScope::Neuron, 100.0, 1e-3));
        }
        assert_eq!((p.config.run.epochs, p.config.run.patience), (PLATEAU_MAX_EPOCHS, Some(sglab::studies::scale::PLATEAU_PATIENCE)));
        // Rossbroich et al.'s surrogate: SuperSpike 1/(1 + 20|x|)², peak 1 and area 2/20.
        let sglab::train::SpikeConfig::Surrogate { surrogate, .. } = &p.config.model.spike else { panic!("a surrogate") };
        assert_eq!(surrogate.shape(), sglab::surrogate::Shape::FastSigmoid);
        assert!((surrogate.derivative(0.0) - 1.0).abs() < 1e-12 && (surrogate.derivative(0.1) - 1.0 / 9.0).abs() < 1e-12, "{surrogate}");
        p.config.validate().unwrap();
    }
    // Deep: every init without homeostasis; the centred init and Kaiming with it too.
    let deep: Vec<String> = main.iter().filter(|p| p.arm.label.depth == Depth::Deep && p.config.run.seed == 0).map(|p| p.arm.label.to_string()).collect();
    assert_eq!(deep, ["glorot deep", "kaiming deep", "centred deep", "centred deep +homeostasis", "kaiming deep +homeostasis"]);
    assert!(sigma.iter().all(|p| p.arm.label.depth == Depth::Deep));
}

/// Study 05 at plateau scale: deterministic and stochastic networks, each with the three
/// backwards, on 10-class randman with 1,000 test samples, 10 seeds, trained until the
/// validation loss stalls; the arms of one seed differ only in the spike.
#[test]
fn the_plateau_grid_of_study_05_crosses_forward_and_backward_on_the_hard_randman() {
    use sglab::studies::stochastic::{self, PLATEAU_LR, PLATEAU_MAX_EPOCHS, PLATEAU_SEEDS};
    use sglab::train::{OptimizerKind, TaskConfig};
    use sglab::validate::Validate;
    let sweep = stochastic::training_sweep(Scale::Plateau);
    let points = sweep.points();
    assert_eq!(points.len(), 6 * PLATEAU_SEEDS as usize);
    assert!(PLATEAU_SEEDS >= 8);
    for p in &points {
        let TaskConfig::Randman(task) = &p.config.task else { panic!("randman") };
        assert_eq!((task.classes, task.alpha, task.samples_per_class), (10, 1.0, 1000));
        assert_eq!(((task.classes * task.samples_per_class) as f64 * task.test_fraction).round() as usize, 1000);
        assert_eq!((p.config.optimizer.kind, p.config.optimizer.lr), (OptimizerKind::AdamW, PLATEAU_LR));
        assert_eq!((p.config.run.epochs, p.config.run.patience), (PLATEAU_MAX_EPOCHS, Some(sglab::studies::scale::PLATEAU_PATIENCE)));
        p.config.validate().unwrap();
        let twin = points.iter().find(|q| q.config.run.seed == p.config.run.seed && q.arm.label == stochastic::NeuronArm::all()[0]).unwrap();
        let (mut a, mut b) = (p.config.clone(), twin.config.clone());
        a.model.spike = Default::default();
        b.model.spike = Default::default();
        assert_eq!(a, b, "arms of one seed differ only in the spike");
    }
    assert!(sweep.keep_models);
}

/// Grid values 0.25, 0.5 and 1 on seeds 0–3 with metrics {.10, .20, .30, .40}, {.20, .35, .40,
/// .50} and {.35, .40, .55, .60}: the prediction 0.3 is nearest to 0.25 in log distance, the
/// optimum is 1; the paired t test of 1 against 0.25 (differences .25, .20, .25, .20) gives
/// t = 15.588 with 3 df, p = 5.7367e-4 (scipy `ttest_rel`), while the max-t sign-flip test that
/// accounts for picking the optimum can reach no less than 2⁻⁴ with four seeds — and reaches
/// exactly that, since every difference is positive.
#[test]
fn prediction_vs_optimum_finds_the_nearest_point_and_tests_it_against_the_best() {
    use sglab::studies::stability_init::{Parameter, prediction_vs_optimum};
    let (mut x, mut y, mut seeds) = (Vec::new(), Vec::new(), Vec::new());
    for (g, values) in [(0.25, [0.10, 0.20, 0.30, 0.40]), (0.5, [0.20, 0.35, 0.40, 0.50]), (1.0, [0.35, 0.40, 0.55, 0.60])] {
        for (seed, v) in values.into_iter().enumerate() {
            x.push(g);
            y.push(v);
            seeds.push(seed as u64);
        }
    }
    let df = DataFrame::new_infer_height(vec![
        Column::new(Parameter::Dampening.column().into(), x),
        Column::new("acc".into(), y),
        Column::new("seed".into(), seeds),
    ])
    .unwrap();
    let row = prediction_vs_optimum(&df, Parameter::Dampening, 0.3, "acc").unwrap();
    let get = |c: &str| row.column(c).unwrap().cast(&polars::prelude::DataType::Float64).unwrap().f64().unwrap().get(0).unwrap();
    assert_eq!(get("nearest_grid_value"), 0.25);
    assert_eq!(get("grid_optimum"), 1.0);
    assert!((get("difference") + 0.225).abs() < 1e-12);
    assert!((get("paired_p") - 5.736731093322075e-4).abs() < 1e-12, "{}", get("paired_p"));
    assert_eq!(get("max_t_p"), 1.0 / 16.0);
    assert_eq!(get("n_seeds"), 4.0);
}

/// A two-layer table where accuracy rises exactly with layer 1's final rate and falls exactly
/// with layer 0's initial rate: the correlation table reports r = 1 and r = −1 there, one row per
/// layer and rate; the rate summary's worst targeting deviation is the largest |measured − r|.
#[test]
fn sparsity_correlations_and_summary_per_layer() {
    use sglab::studies::sparsity;
    let n = 6;
    let final_rate: Vec<f64> = (0..n).map(|i| 0.1 * i as f64).collect();
    let accuracy: Vec<f64> = final_rate.iter().map(|r| 0.5 + r).collect();
    let target = vec![0.1, 0.1, 0.1, 0.5, 0.5, 0.5];
    let initial_l0: Vec<f64> = accuracy.iter().map(|a| 1.0 - a).collect();
    let df = DataFrame::new_infer_height(vec![
        Column::new(sparsity::SHAPE.into(), vec!["triangular"; n]),
        Column::new(sparsity::SPARSITY.into(), vec!["f=0.1"; n]),
        Column::new(sparsity::RATE.into(), target),
        Column::new("initial_rate_l0".into(), initial_l0),
        Column::new("initial_rate_l1".into(), vec![0.12, 0.1, 0.3, 0.5, 0.7, 0.2]),
        Column::new("final_rate_l0".into(), vec![0.2, 0.1, 0.05, 0.3, 0.1, 0.2]),
        Column::new("final_rate_l1".into(), final_rate),
        Column::new("acc".into(), accuracy),
    ])
    .unwrap();
    let table = sparsity::correlations(&df, "acc").unwrap();
    assert_eq!(table.height(), 4);
    let (layer, which) = (table.column("layer").unwrap().u64().unwrap(), table.column("rate").unwrap().str().unwrap());
    let r = table.column("pearson_r").unwrap().f64().unwrap();
    let row = |l: u64, w: &str| (0..4).find(|&i| layer.get(i) == Some(l) && which.get(i) == Some(w)).unwrap();
    assert!((r.get(row(1, "final")).unwrap() - 1.0).abs() < 1e-12);
    assert!((r.get(row(0, "initial")).unwrap() + 1.0).abs() < 1e-12);
    assert!(r.get(row(1, "initial")).unwrap().abs() < 0.99);

    let summary = sparsity::rate_summary(&df, "acc").unwrap();
    assert_eq!(summary.height(), 2);
    let worst = summary.column("max_initial_deviation").unwrap().f64().unwrap();
    // r = 0.1: layer 0 measured 0.5, 0.4, 0.3 → 0.4; r = 0.5: layer 0 measured 0.2, 0.1, 0.0 → 0.5.
    assert!((worst.get(0).unwrap() - 0.4).abs() < 1e-12 && (worst.get(1).unwrap() - 0.5).abs() < 1e-12, "{worst:?}");
    let final_l1 = summary.column("final_rate_l1").unwrap().f64().unwrap();
    assert!((final_l1.get(0).unwrap() - 0.1).abs() < 1e-12 && (final_l1.get(1).unwrap() - 0.4).abs() < 1e-12);
}

/// The later official sparsity term is compared with the 2022 one only where both ran, paired
/// by initial rate and seed.
#[test]
fn sparsity_versions_are_paired_by_rate_and_seed() {
    use sglab::studies::sparsity;
    let table = |version: &str, f: Vec<&str>, shape: Vec<&str>, acc: Vec<f64>| {
        let n = acc.len();
        DataFrame::new_infer_height(vec![
            Column::new(sparsity::RATE.into(), (0..n).map(|i| [0.1, 0.5][i % 2]).collect::<Vec<_>>()),
            Column::new("seed".into(), (0..n as u64).map(|i| (i / 2) % 4).collect::<Vec<_>>()),
            Column::new(sparsity::SPARSITY.into(), f),
            Column::new(sparsity::SHAPE.into(), shape),
            Column::new(sparsity::VERSION.into(), vec![version; n]),
            Column::new("acc".into(), acc),
        ])
        .unwrap()
    };
    // 2022: eight matching runs (f=0.01, fast-sigmoid) and eight others that must be left out.
    let mut f = vec!["f=0.01"; 8];
    f.extend(vec!["none"; 8]);
    let paper = table("2022", f, vec!["fast-sigmoid"; 16], (0..16).map(|i| 0.5 + 0.01 * i as f64).collect());
    let head = table("head", vec!["f=0.01"; 8], vec!["fast-sigmoid"; 8], (0..8).map(|i| 0.6 + 0.01 * i as f64).collect());
    let tests = sparsity::version_tests(&paper, &head, "acc").unwrap();
    assert_eq!(tests.height(), 1);
    let (n, a, b) = (tests.column("n_a").unwrap().cast(&polars::prelude::DataType::Float64).unwrap(), tests.column("mean_a").unwrap().f64().unwrap().get(0).unwrap(), tests.column("mean_b").unwrap().f64().unwrap().get(0).unwrap());
    assert_eq!(n.f64().unwrap().get(0), Some(8.0));
    // The head runs (group a) are 0.1 above their 2022 pairs (the reference, group b).
    assert!((a - 0.635).abs() < 1e-12 && (b - 0.535).abs() < 1e-12, "{a} {b}");
    let mixed = table("head", vec!["f=0.01", "f=0.1"], vec!["fast-sigmoid"; 2], vec![0.5, 0.6]);
    assert!(sparsity::version_tests(&paper, &mixed, "acc").is_err());
}

/// Condition III's γ* of the sl-MNIST 2 × 128 preset is the paper's 0.204 (stable_spike.md §6.3).
#[test]
fn notebook_02_reproduces_the_papers_dampening() {
    let gamma = sglab::studies::stability_init::preset_gamma(sglab::init::stability::Preset::Slmnist2x128).unwrap();
    println!("γ* = {gamma}");
    assert!((gamma - sglab::studies::stability_init::PAPER_GAMMA_SLMNIST).abs() < 0.015, "{gamma}");
}

/// DECOLLE's equivalence test pairs each control with "none" by seed, whatever the row order,
/// and leaves out a seed that only one arm finished: none at (0.60, 0.62, 0.64, 0.66) on seeds
/// 0–3 (and seed 4), f=0.5 at none + (0.01, −0.01, 0.02, 0) on seeds 0–3 in reverse order. The
/// mean difference is 0.005; its paired t statistic is 0.005/(s/√4) with s the sd of the four
/// differences, 0.012910: the 90 % interval is 0.005 ± 2.3534 · 0.006455 = (−0.01019, 0.02019),
/// inside ±0.03, so equivalence is shown.
#[test]
fn decolle_equivalence_pairs_controls_with_none_by_seed() {
    use sglab::results::{Cell, Row, frame};
    use sglab::studies::extensions::{DECOLLE_MARGIN, RATE_CONTROL, decolle_equivalence};
    let mut rows: Vec<Row> = Vec::new();
    let none = [0.60, 0.62, 0.64, 0.66, 0.70];
    let delta = [0.01, -0.01, 0.02, 0.0];
    for (seed, v) in none.iter().enumerate() {
        rows.push(vec![(RATE_CONTROL.into(), Cell::from("none")), ("seed".into(), Cell::Int(seed as i64)), ("test_accuracy".into(), Cell::Float(*v))]);
    }
    for seed in (0..4).rev() {
        rows.push(vec![(RATE_CONTROL.into(), Cell::from("f=0.5")), ("seed".into(), Cell::Int(seed as i64)), ("test_accuracy".into(), Cell::Float(none[seed] + delta[seed]))]);
    }
    let table = decolle_equivalence(&frame(&rows).unwrap(), "test_accuracy").unwrap();
    assert_eq!(table.height(), 1);
    let get = |c: &str| sglab::table::f64_column(&table, c).unwrap()[0];
    assert_eq!(get("n"), 4.0);
    assert!((get("difference") - 0.005).abs() < 1e-12);
    assert!((get("ci90_low") + 0.010191).abs() < 1e-5 && (get("ci90_high") - 0.020191).abs() < 1e-5, "({}, {})", get("ci90_low"), get("ci90_high"));
    assert_eq!(get("margin"), DECOLLE_MARGIN);
    assert!(get("tost_p") < 0.05);
}

/// The probe summary averages over seeds per arm and layer and relates every layer's input
/// gradient to the centred init at σ_U = 1: Glorot at (1e-4, 3e-4) and (1e-6, 1e-6) on two
/// seeds against the centred init at (1e-3, 1e-3) and (1e-4, 3e-4) gives ratios 0.2 and 0.005.
#[test]
fn the_probe_summary_relates_gradients_to_the_centred_init() {
    use sglab::results::{Cell, Row, frame};
    use sglab::studies::extensions::{DEPTH, HOMEOSTASIS, INIT, SIGMA_U, probe_summary};
    let mut rows: Vec<Row> = Vec::new();
    let glorot = [[1e-4, 3e-4], [1e-6, 1e-6]];
    let centred = [[1e-3, 1e-3], [1e-4, 3e-4]];
    for (init, sigma, values) in [("glorot", Cell::Null, glorot), ("centred", Cell::Float(1.0), centred)] {
        for (layer, per_seed) in values.iter().enumerate() {
            for seed in 0..2 {
                rows.push(vec![
                    (INIT.into(), Cell::from(init)),
                    (DEPTH.into(), Cell::from("deep")),
                    (SIGMA_U.into(), sigma.clone()),
                    (HOMEOSTASIS.into(), Cell::from("off")),
                    ("seed".into(), Cell::Int(seed)),
                    ("layer".into(), Cell::Int(layer as i64)),
                    ("rate".into(), Cell::Float(0.1 * layer as f64)),
                    ("input_gradient".into(), Cell::Float(per_seed[seed as usize])),
                    ("recurrent_gradient".into(), Cell::Float(0.0)),
                    ("readout_gradient".into(), Cell::Float(1e-2)),
                ]);
            }
        }
    }
    let summary = probe_summary(&frame(&rows).unwrap(), "deep").unwrap();
    let arms = sglab::table::string_column(&summary, "arm").unwrap();
    assert_eq!(arms, ["glorot", "glorot", "centred σ_U=1", "centred σ_U=1"]);
    let ratio = sglab::table::f64_column(&summary, "gradient_ratio").unwrap();
    let expected = [0.2, 0.005, 1.0, 1.0];
    for (r, e) in ratio.iter().zip(expected) {
        assert!((r - e).abs() < 1e-9, "{ratio:?}");
    }
}

/// The power law of study 01's training-set sizes, on runs whose test error is exactly
/// 2 n^(−1/2): exponent 1/2, Pearson's r of the logarithms −1, and at 48,000 digits an
/// accuracy of 1 − 2/√48000 = 0.990871.
#[test]
fn size_fit_recovers_a_power_law_and_extrapolates_it() {
    let n: Vec<i64> = vec![800, 800, 1600, 3200, 6400];
    let accuracy: Vec<f64> = n.iter().map(|&n| 1.0 - 2.0 / (n as f64).sqrt()).collect();
    let runs = DataFrame::new_infer_height(vec![Column::new("train_samples".into(), n), Column::new("test_accuracy".into(), accuracy)]).unwrap();
    let fit = sg_shapes::size_fit(&runs).unwrap();
    let value = |c: &str| fit.column(c).unwrap().get(0).unwrap().try_extract::<f64>().unwrap();
    assert!((value("exponent") - 0.5).abs() < 1e-12);
    assert!((value("r") + 1.0).abs() < 1e-12);
    assert!((value("predicted_accuracy_48000") - (1.0 - 2.0 / 48000f64.sqrt())).abs() < 1e-12);
    assert_eq!(value("runs"), 5.0);
    let two = runs.head(Some(2));
    assert!(sg_shapes::size_fit(&two).is_err());
}

/// What a cluster task computes is what the study computes: at quick scale every unit of every
/// study's work list (`studies::work`, runs of arm sweeps and parts of part-by-part tables) is
/// in the committed table the study wrote, and every table the list names exists.
#[test]
fn each_study_work_list_names_the_units_of_its_committed_tables() {
    use sglab::studies::{STUDIES, work};
    let mut seen = Vec::new();
    for (number, _) in STUDIES {
        let tables = work::work(number, Scale::Quick).unwrap();
        assert!(!tables.is_empty(), "study {number} lists no table");
        for table in &tables {
            let units = table.unit_names().unwrap();
            let held = table.held(&table.path).unwrap();
            let missing = units.iter().filter(|u| !held.contains(*u)).count();
            assert!(!units.is_empty() && missing == 0, "{}: {missing} of {} units not in the committed table", table.path.display(), units.len());
            seen.push((table.file_name(), units.len()));
        }
    }
    let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    for expected in ["01_sg_shapes_quick_randman.parquet", "02_stability_ablation_quick.parquet", "03_sparsity_quick.parquet", "04_decolle_quick.parquet", "05_spike_matching_quick.parquet", "06_qif_lif_quick.parquet", "07_sg_ntk_kernels_quick.parquet"] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
}

/// `WorkTable::prune` drops what a study no longer lists and nothing else: a copy of a committed
/// quick table and its history, each with one row of a run id no sweep gives, loses exactly
/// those rows (and the stale run's kept model), and a second prune finds nothing.
#[test]
fn prune_drops_the_runs_a_study_no_longer_lists() {
    use sglab::studies::{extensions, results_path};
    use sglab::studies::work::WorkTable;
    let dir = std::env::temp_dir().join(format!("sglab-test-{}-prune", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let committed = results_path("04_decolle", Scale::Quick);
    let path = dir.join("04_decolle_quick.parquet");
    let history_path = sglab::train::sweep::history_path(&path);
    let with_stale = |table: DataFrame| {
        let mut stale = table.head(Some(1));
        stale.with_column(Column::new("run_id".into(), vec!["0000stale0000000"])).unwrap();
        table.vstack(&stale).unwrap()
    };
    let table = sglab::results::read_parquet(&committed).unwrap();
    let history = sglab::results::read_parquet(&sglab::train::sweep::history_path(&committed)).unwrap();
    let (rows, history_rows) = (table.height(), history.height());
    sglab::results::write_parquet(&mut with_stale(table), &path).unwrap();
    sglab::results::write_parquet(&mut with_stale(history), &history_path).unwrap();
    let models = dir.join("04_decolle_quick.parquet.models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(models.join("0000stale0000000.bpk"), b"model").unwrap();

    let work = WorkTable::runs(path.clone(), extensions::decolle_sweep(Scale::Quick));
    assert_eq!(work.prune().unwrap(), ["0000stale0000000".to_string()]);
    assert_eq!(sglab::results::read_parquet(&path).unwrap().height(), rows);
    assert_eq!(sglab::results::read_parquet(&history_path).unwrap().height(), history_rows);
    assert!(!models.join("0000stale0000000.bpk").exists());
    assert!(work.prune().unwrap().is_empty(), "nothing left to drop");
    std::fs::remove_dir_all(&dir).unwrap();
}
