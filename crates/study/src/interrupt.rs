//! What `sqz reproduce` does on SIGTERM, SIGINT, SIGHUP or SIGUSR1: say what was saved, then
//! exit with 128 + the signal number (143, 130, 129, 138), instead of dying silently.
//!
//! `sqz reproduce` keeps everything in memory and writes `reproduce.h5` and `fig1.png` ..
//! `fig4.png` only after the last stage, each through a temporary name. A signal before the
//! writing stage ends the run at once with a message naming the stage reached and saying that
//! nothing of this run was saved (files of an earlier run in the output directory are
//! untouched). A signal during the writing stage waits until every file is complete (a few
//! seconds), so no temporary file is left; the run then says that everything was saved and ends
//! normally (exit code 0: its results are complete).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Shared state of the run, read by the watcher thread.
#[derive(Debug, Default)]
struct State {
    stage: String,
    writing: bool,
    out_dir: PathBuf,
}

/// The watcher; keep it alive for the whole run.
#[derive(Debug)]
pub struct Watcher {
    state: Arc<Mutex<State>>,
    flags: Vec<(&'static str, i32, Arc<AtomicBool>)>,
    start: Instant,
}

impl Watcher {
    /// Registers the handlers and starts the watcher thread.
    pub fn install(out_dir: PathBuf) -> anyhow::Result<Self> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
        let mut flags = Vec::new();
        for (name, sig) in [
            ("SIGTERM", SIGTERM),
            ("SIGINT", SIGINT),
            ("SIGHUP", SIGHUP),
            ("SIGUSR1", SIGUSR1),
        ] {
            let f = Arc::new(AtomicBool::new(false));
            if (sig == SIGHUP || sig == SIGINT) && crate::exec::ignored_at_start(sig) {
                // ignored on purpose (`nohup`, a background job): stays ignored
                continue;
            }
            if sig == SIGINT {
                // a second Ctrl-C ends the process at once
                signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&f))?;
            }
            signal_hook::flag::register(sig, Arc::clone(&f))?;
            flags.push((name, sig, f));
        }
        let w = Self {
            state: Arc::new(Mutex::new(State {
                out_dir,
                ..Default::default()
            })),
            flags,
            start: Instant::now(),
        };
        let (state, flags, start) = (Arc::clone(&w.state), w.flags.clone(), w.start);
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(50));
            let Some((name, sig)) = caught(&flags) else {
                continue;
            };
            let st = state.lock().unwrap_or_else(|e| e.into_inner());
            if st.writing {
                // the main thread finishes the files and reports (Watcher::finish)
                continue;
            }
            eprintln!(
                "sqz reproduce: interrupted by {name} during stage \"{}\" after {:.1} s: nothing of this \
                 run was saved (reproduce.h5 and fig1.png .. fig4.png are written only after the last \
                 stage; files already in {} are from an earlier run and untouched). Run it again to \
                 start over.",
                st.stage,
                start.elapsed().as_secs_f64(),
                st.out_dir.display()
            );
            // exit while holding the lock: the main thread cannot start writing meanwhile
            std::process::exit(128 + sig);
        });
        Ok(w)
    }

    /// The stage now running (for the message).
    pub fn stage(&self, name: &str) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).stage = name.to_string();
    }

    /// From now on a signal waits for the files to be complete.
    pub fn writing(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.stage = "writing the results".into();
        st.writing = true;
    }

    /// After the files are written: if a signal arrived meanwhile, says that everything was saved
    /// (the run then ends normally: its results are complete).
    pub fn finish(&self, written: &[PathBuf]) {
        let Some((name, _)) = caught(&self.flags) else {
            return;
        };
        eprintln!(
            "sqz reproduce: {name} arrived while the results were being written; every file was \
             completed and saved: {}",
            written
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

fn caught(flags: &[(&'static str, i32, Arc<AtomicBool>)]) -> Option<(&'static str, i32)> {
    flags
        .iter()
        .find(|f| f.2.load(Ordering::SeqCst))
        .map(|f| (f.0, f.1))
}
