//! `sqz reproduce`: every figure of Bai & An, PRL 127, 083602 (2021) from built-in studies
//! (no input files), into one HDF5 file (`reproduce.h5`, a group per figure panel, every
//! parameter as attributes) and one PNG per figure rendered by the binary (`fig1.png` ..
//! `fig4.png`), with a summary of the key numbers next to the paper's on stdout.
//!
//! The studies, their parameters and their PNGs are `sqz_reproduce`; `--quick` runs the reduced
//! configuration `sqz_reproduce::Config::quick`. Here: the stages (their progress is
//! `sqz_study::progress::Stages`, what a signal ends `sqz_study::interrupt`), the HDF5 groups
//! ([`h5`]) and the summary.

mod h5;

use crate::cli::{Global, ReproduceArgs};
use anyhow::Context;
use serde_json::json;
use sqz_reproduce::{fig1, fig2, fig3, fig4, Config};
use sqz_study::interrupt;
use sqz_study::progress::{cpu_seconds, Counter, Stages};
use std::f64::consts::PI;
use std::path::{Path, PathBuf};

/// The stages' counters as `sqz_reproduce`'s progress.
struct Bars<'a>(&'a Stages);

struct Tick(Counter);

impl sqz_reproduce::Progress for Bars<'_> {
    fn counter(&self, label: &str, total: usize) -> Box<dyn sqz_reproduce::Counter + '_> {
        Box::new(Tick(self.0.counter(label, total)))
    }
}

impl sqz_reproduce::Counter for Tick {
    fn tick(&self) {
        self.0.tick();
    }
}

pub fn run(a: &ReproduceArgs, g: Global) -> anyhow::Result<()> {
    let cfg = if a.quick {
        Config::quick()
    } else {
        Config::full()
    };
    // faer single-threaded inside each task (parallel over tasks; thread-count independent): the
    // solves take `Par::Seq` as an argument; nothing reads faer's global setting
    // (crates/steady/tests/explicit_par.rs)
    let out_dir: PathBuf = a.out_dir.clone();
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let watcher = std::sync::Arc::new(interrupt::Watcher::install(out_dir.clone())?);
    let mut prog = Stages::new(7, g.quiet);
    let w = std::sync::Arc::clone(&watcher);
    prog.on_stage(move |name| w.stage(name));
    if !g.quiet {
        eprintln!(
            "sqz reproduce: {} run into {} on {} threads",
            if cfg.quick { "quick" } else { "full" },
            out_dir.display(),
            rayon::current_num_threads()
        );
    }

    let figs = compute_figures(&cfg, &mut prog)?;

    prog.stage("writing reproduce.h5 and the PNGs");
    watcher.writing();
    let sum = sqz_reproduce::summary::summary(&cfg, &figs.f1, &figs.f2, &figs.f3, &figs.f4);
    let h5_path = out_dir.join("reproduce.h5");
    write_h5(&h5_path, &cfg, &sum, &prog, &figs)?;
    write_pngs(&out_dir, &figs)?;
    watcher.finish(&[
        h5_path.clone(),
        out_dir.join("fig1.png"),
        out_dir.join("fig2.png"),
        out_dir.join("fig3.png"),
        out_dir.join("fig4.png"),
    ]);
    prog.done(&format!(
        "{} and fig1..fig4.png in {}",
        h5_path.display(),
        out_dir.display()
    ));

    report(&g, sum, &out_dir, &h5_path, &prog);
    Ok(())
}

/// The four figures' results, as the computing stages leave them.
struct Figures {
    f1: fig1::Fig1,
    f2: fig2::Fig2,
    f3: fig3::Fig3,
    f4: fig4::Fig4,
}

/// The six computing stages (Figs. 1, 2, 3(a), 3(b-d), 4(d), 4(a-c), in that order), each
/// started and closed with its one-line result on `prog`.
fn compute_figures(cfg: &Config, prog: &mut Stages) -> anyhow::Result<Figures> {
    prog.stage("Fig. 1(b,c): Eq. 7 time evolution, N = 10");
    let f1 = fig1::compute(cfg, &Bars(prog))?;
    prog.done(&format!(
        "long-time 1/xi^2 within {:.1e} of Eq. 8",
        f1.max_final_dev
    ));

    prog.stage("Fig. 2: Husimi Q, N = 30, r = 0.8");
    let f2 = fig2::compute(cfg, &Bars(prog))?;
    prog.done(&format!("{} frames", f2.frames.len()));

    prog.stage("Fig. 3(a): Eq. 8 vs Eq. 7 at t = 200/A");
    let f3a = fig3::compute_a(cfg, &Bars(prog))?;
    prog.done(&format!(
        "max |Eq. 7 - Eq. 8| = {:.1e}",
        f3a.max_dev.iter().fold(0.0f64, |a, &b| a.max(b))
    ));

    prog.stage(&format!(
        "Fig. 3(b-d): Eq. 8 scaling, N = 2..{}",
        cfg.scaling_n_max
    ));
    let f3bcd = fig3::compute_bcd(cfg, &Bars(prog))?;
    let f3 = fig3::Fig3::new(cfg, f3a, f3bcd);
    prog.done(&match f3.paper_fit() {
        Some(f) => format!(
            "xi2_min = {:.3} N^{:.4}, r_opt = {:.4} ln N {:+.4} (N <= {})",
            f.xi.intercept.exp(),
            f.xi.slope,
            f.r.slope,
            f.r.intercept,
            f.n_max
        ),
        None => "no fit".into(),
    });

    prog.stage(&format!(
        "Fig. 4(d): steady states of Eq. 3, N = {}, {} configurations x {} w x {} r",
        cfg.fig4_n,
        cfg.fig4d_configs,
        cfg.fig4d_w.len(),
        cfg.fig4d_r.len()
    ));
    let f4d = fig4::compute_d(cfg, &Bars(prog))?;
    prog.done(
        &f4d.at_r
            .iter()
            .map(|s| match s.w_cross {
                Some(w) => format!("r = {}: below 1 from w = {:.3}pi", s.r, w / PI),
                None => format!("r = {}: does not fall below 1 in the range", s.r),
            })
            .collect::<Vec<_>>()
            .join("; "),
    );

    prog.stage(&format!(
        "Fig. 4(a-c): Eq. 3 time traces, {} configurations x {} w",
        cfg.fig4abc_configs,
        cfg.fig4abc_w.len()
    ));
    let f4abc = fig4::compute_abc(cfg, &f4d, &Bars(prog))?;
    let f4 = fig4::Fig4::new(cfg, f4abc, f4d);
    prog.done(&format!("{} operator applications", f4.abc.matvecs));
    Ok(Figures { f1, f2, f3, f4 })
}

/// Writes `reproduce.h5` atomically: the run's parameters, the summary and the stage timings so
/// far as root attributes and a `timing` group, then a group per figure panel ([`h5`]).
fn write_h5(
    h5_path: &Path,
    cfg: &Config,
    sum: &serde_json::Value,
    prog: &Stages,
    figs: &Figures,
) -> anyhow::Result<()> {
    let stage_times = prog.times.clone();
    let stage_cpu = prog.cpu_times.clone();
    let total_so_far = prog.elapsed();
    sqz_study::h5::write_atomically(h5_path, |f| {
        use sqz_study::h5::{attr_f64, attr_str, attr_u64};
        attr_str(
            f,
            "study",
            "sqz reproduce: Bai & An, PRL 127, 083602 (2021), Figs. 1-4",
        )?;
        attr_u64(f, "quick", cfg.quick as u64)?;
        attr_f64(f, "alpha", cfg.alpha)?;
        attr_f64(f, "delta", cfg.delta)?;
        attr_f64(f, "expv_tol", cfg.expv_tol)?;
        attr_u64(f, "krylov_dim", cfg.krylov_dim as u64)?;
        attr_u64(f, "threads", rayon::current_num_threads() as u64)?;
        attr_str(f, "units", "rates in A, times in 1/A, lengths in zeta")?;
        attr_str(f, "summary_json", &sum.to_string())?;
        attr_f64(f, "compute_seconds", total_so_far)?;
        let tg = f.create_group("timing")?;
        for (k, (name, s)) in stage_times.iter().enumerate() {
            let g = tg.create_group(&format!("stage_{k}"))?;
            attr_str(&g, "stage", name)?;
            attr_f64(&g, "seconds", *s)?;
            attr_f64(&g, "cpu_seconds", stage_cpu[k])?;
        }
        h5::write_fig1(f, &figs.f1)?;
        h5::write_fig2(f, &figs.f2)?;
        h5::write_fig3(f, &figs.f3)?;
        h5::write_fig4(f, &figs.f4)?;
        Ok(())
    })
    .with_context(|| format!("writing {}", h5_path.display()))
}

/// Renders `fig1.png` .. `fig4.png` into `out_dir`, each atomically.
fn write_pngs(out_dir: &Path, figs: &Figures) -> anyhow::Result<()> {
    sqz_reproduce::png_atomically(&out_dir.join("fig1.png"), |p| figs.f1.plot(p))?;
    sqz_reproduce::png_atomically(&out_dir.join("fig2.png"), |p| figs.f2.plot(p))?;
    sqz_reproduce::png_atomically(&out_dir.join("fig3.png"), |p| figs.f3.plot(p))?;
    sqz_reproduce::png_atomically(&out_dir.join("fig4.png"), |p| figs.f4.plot(p))?;
    Ok(())
}

/// The summary on stdout: one JSON object (with the output folder and the timings) under
/// `--json`, else the summary's text lines and a closing `# written:` line.
fn report(g: &Global, sum: serde_json::Value, out_dir: &Path, h5_path: &Path, prog: &Stages) {
    if g.json {
        let mut s = sum;
        s["out_dir"] = json!(out_dir.display().to_string());
        s["seconds"] = json!(prog.elapsed());
        s["stage_seconds"] = json!(prog.times);
        s["stage_cpu_seconds"] = json!(prog
            .cpu_times
            .iter()
            .map(|x| x.is_finite().then_some(*x))
            .collect::<Vec<_>>());
        s["cpu_seconds"] = json!(cpu_seconds());
        println!("{s}");
    } else {
        for line in sqz_reproduce::summary::text(&sum) {
            println!("{line}");
        }
        println!(
            "# written: {} and fig1.png .. fig4.png in {} ({:.1} s, {} s CPU)",
            h5_path.display(),
            out_dir.display(),
            prog.elapsed(),
            cpu_seconds().map_or("?".into(), |c| format!("{c:.1}"))
        );
    }
}
