//! `sqz reproduce --quick` end to end: the HDF5 file holds every figure's datasets with sane
//! values, and the four PNGs decode to non-blank images of the promised sizes.

use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn f64s(g: &hdf5::Group, name: &str) -> Vec<f64> {
    g.dataset(name)
        .unwrap_or_else(|e| panic!("dataset {name}: {e}"))
        .read_raw::<f64>()
        .unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn shape(g: &hdf5::Group, name: &str) -> Vec<usize> {
    g.dataset(name)
        .unwrap_or_else(|e| panic!("dataset {name}: {e}"))
        .shape()
}

fn attr(g: &hdf5::Group, name: &str) -> f64 {
    g.attr(name)
        .unwrap_or_else(|e| panic!("attribute {name}: {e}"))
        .read_scalar::<f64>()
        .unwrap_or_else(|e| panic!("attribute {name}: {e}"))
}

/// Decodes an RGB(A) PNG and checks its size and that it is a real picture: many colours, a fair
/// share of non-white pixels, and no single colour covering (almost) everything.
fn check_png(path: &Path, want: (u32, u32)) {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        meta.len() > 20_000,
        "{}: only {} bytes",
        path.display(),
        meta.len()
    );
    let dec = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.width, info.height),
        want,
        "{}: image size",
        path.display()
    );
    let ch = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("{}: unexpected colour type {other:?}", path.display()),
    };
    let px = &buf[..info.buffer_size()];
    let n = px.len() / ch;
    let mut colours = HashSet::new();
    let mut counts = std::collections::HashMap::<[u8; 3], usize>::new();
    let mut non_white = 0usize;
    for p in px.chunks(ch) {
        let c = [p[0], p[1], p[2]];
        colours.insert(c);
        *counts.entry(c).or_default() += 1;
        if c != [255, 255, 255] {
            non_white += 1;
        }
    }
    let top = counts.values().copied().max().unwrap_or(0);
    assert!(
        colours.len() > 50,
        "{}: only {} colours",
        path.display(),
        colours.len()
    );
    assert!(
        non_white * 50 > n,
        "{}: {non_white} of {n} pixels are not white",
        path.display()
    );
    assert!(
        (top as f64) < 0.97 * n as f64,
        "{}: one colour covers {top} of {n} pixels",
        path.display()
    );
}

#[test]
fn quick_reproduce_writes_every_figure() {
    let dir =
        TempDir(std::env::temp_dir().join(format!("sqz-reproduce-test-{}", std::process::id())));
    let out = Command::new(env!("CARGO_BIN_EXE_sqz"))
        .args(["reproduce", "--quick", "--out-dir"])
        .arg(&dir.0)
        .output()
        .expect("run sqz");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "sqz reproduce --quick failed: {stderr}"
    );
    // progress: one start and one end line per stage
    for k in 1..=7 {
        assert!(
            stderr.contains(&format!("[{k}/7]")),
            "no progress for stage {k}: {stderr}"
        );
    }
    // HDF5: every group and dataset, with values that make sense
    let f = hdf5::File::open(dir.0.join("reproduce.h5")).expect("open reproduce.h5");
    let summary: Value = serde_json::from_str(
        f.attr("summary_json")
            .unwrap()
            .read_scalar::<hdf5::types::VarLenUnicode>()
            .unwrap()
            .as_str(),
    )
    .expect("summary_json attribute");
    assert_eq!(summary["quick"], Value::Bool(true));
    // the text summary (issue 12): a w where the mean never falls below 1 is said so in words,
    // never printed as "w = - pi"
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("# sqz reproduce: key numbers"), "{text}");
    assert!(!text.contains("w = - pi"), "{text}");
    for r in summary["fig4d"]["by_r"].as_array().unwrap() {
        if r["w_cross_over_pi"].is_null() {
            assert!(
                text.contains("mean does not fall below 1 in the range"),
                "{text}"
            );
        }
    }
    for g in [
        "fig1b", "fig1c", "fig2", "fig3a", "fig3bcd", "fig4abc", "fig4d", "timing",
    ] {
        assert!(f.group(g).is_ok(), "group {g} missing");
    }
    assert!(f.attr("code_version").is_ok() && f.attr("command_line").is_ok());

    let g = f.group("fig1b").unwrap();
    let t = f64s(&g, "t");
    let r = f64s(&g, "r");
    assert_eq!(shape(&g, "inv_xi2"), vec![r.len(), t.len()]);
    let inv = f64s(&g, "inv_xi2");
    let steady = f64s(&g, "steady_inv_xi2");
    for (i, s) in steady.iter().enumerate() {
        assert!(
            (inv[i * t.len()] - 1.0).abs() < 1e-12,
            "1/xi^2(0) = 1 from |j,-j>"
        );
        let last = inv[(i + 1) * t.len() - 1];
        assert!((last - s).abs() < 1e-6, "r = {}: {last} vs Eq. 8 {s}", r[i]);
    }
    let g = f.group("fig1c").unwrap();
    let m = f64s(&g, "m");
    assert_eq!(shape(&g, "inv_xi2"), vec![m.len(), t.len()]);
    assert_eq!(shape(&g, "xi2_defined"), vec![m.len(), t.len()]);

    let g = f.group("fig2").unwrap();
    let k = f64s(&g, "x1").len();
    assert_eq!(shape(&g, "q"), vec![4, k, k]);
    assert_eq!(f64s(&g, "t"), vec![0.0, 0.01, 0.1, 4.0]);
    let vmin = f64s(&g, "var_min");
    assert!((vmin[0] - 1.0).abs() < 1e-10, "coherent state at t = 0");
    assert!(vmin[3] < 0.5, "squeezed at t = 4: {}", vmin[3]);
    assert!(f64s(&g, "q").iter().all(|q| q.is_finite() && *q >= -1e-12));

    let g = f.group("fig3a").unwrap();
    let ns = g.dataset("n").unwrap().read_raw::<u64>().unwrap();
    let rn = f64s(&g, "r_numerics");
    assert_eq!(shape(&g, "inv_xi2_eq7"), vec![ns.len(), rn.len()]);
    assert_eq!(shape(&g, "inv_xi2_eq8")[0], ns.len());
    for d in f64s(&g, "max_abs_deviation") {
        assert!(d < 1e-6, "Eq. 7 at t = 200/A vs Eq. 8: {d}");
    }

    let g = f.group("fig3bcd").unwrap();
    let n = g.dataset("n").unwrap().read_raw::<u64>().unwrap();
    assert!(n.len() >= 10 && n[0] == 2);
    for name in ["r_opt", "inv_xi2_max", "xi2_min", "r_lo", "r_hi"] {
        assert_eq!(f64s(&g, name).len(), n.len(), "{name}");
    }
    let fit = g.group("fits/paper_range").expect("fit group");
    let b = attr(&fit, "b");
    let c = attr(&fit, "c");
    assert!((b + 0.54).abs() < 0.05, "exponent {b}");
    assert!((c - 0.27).abs() < 0.03, "slope {c}");

    let g = f.group("fig4abc").unwrap();
    assert!(attr(&g, "ideal_vs_eq7_max_abs") < 1e-6);
    for w in 0..3 {
        let s = g.group(&format!("w_{w}")).expect("panel group");
        let t4 = f64s(&s, "t");
        assert!(t4[0] == 0.0 && t4.len() > 20 && *t4.last().unwrap() >= 100.0);
        assert_eq!(f64s(&s, "ideal").len(), t4.len());
        let configs = attr_u64(&g, "configs") as usize;
        assert_eq!(shape(&s, "traces"), vec![configs, t4.len()]);
        assert!(f64s(&s, "mean").iter().all(|v| v.is_finite() && *v > 0.0));
        assert!(f64s(&s, "std").iter().all(|v| v.is_finite() && *v >= 0.0));
    }
    let g = f.group("fig4d").unwrap();
    let w = f64s(&g, "w");
    let configs = attr_u64(&g, "configs") as usize;
    for k in 0..3 {
        let s = g.group(&format!("r_{k}")).expect("r group");
        assert_eq!(shape(&s, "inv_xi2"), vec![w.len(), configs]);
        let v = f64s(&s, "inv_xi2");
        assert!(v.iter().all(|x| x.is_finite() && *x > 0.0 && *x < 3.0));
    }

    // PNGs
    check_png(&dir.0.join("fig1.png"), (1400, 600));
    check_png(&dir.0.join("fig2.png"), (1100, 1140));
    check_png(&dir.0.join("fig3.png"), (1400, 1100));
    check_png(&dir.0.join("fig4.png"), (1400, 1100));
}

fn attr_u64(g: &hdf5::Group, name: &str) -> u64 {
    g.attr(name)
        .unwrap_or_else(|e| panic!("attribute {name}: {e}"))
        .read_scalar::<u64>()
        .unwrap_or_else(|e| panic!("attribute {name}: {e}"))
}
