//! Standard output and error that never panic.
//!
//! Rust's `println!` panics when stdout is a closed pipe (`sqz evolve ... | head -1`), and a
//! panic hook that prints to a closed stderr aborts. The crate's `println!`, `print!`,
//! `eprintln!` and `eprint!` (macros at the crate root, which shadow std's) go through
//! [`write`] instead:
//!
//! * a closed pipe (`EPIPE`) on either stream ends the command quietly with [`EXIT_PIPE`]
//!   (141, what a shell reports for a tool killed by SIGPIPE), the way Unix tools end;
//! * inside a disorder study ([`keep_running_on_close`]) nothing exits from here: the output is
//!   marked closed ([`output_closed`]), further output is dropped, and the study treats it as a
//!   stop request (finish the running tasks, save, exit 75), so no finished result is lost;
//! * any other write error (e.g. stdout redirected to a full disk) ends the command with exit
//!   code 2 and a message on stderr, if stderr still works.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code when stdout or stderr is a closed pipe (128 + SIGPIPE).
pub const EXIT_PIPE: i32 = 141;

static KEEP_RUNNING: AtomicBool = AtomicBool::new(false);
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Which stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// stdout
    Out,
    /// stderr
    Err,
}

/// From now on a closed output does not end the process; [`output_closed`] reports it.
pub fn keep_running_on_close() {
    KEEP_RUNNING.store(true, Ordering::SeqCst);
}

/// Whether stdout or stderr turned out to be closed (or unwritable).
pub fn output_closed() -> bool {
    CLOSED.load(Ordering::SeqCst)
}

fn failed(stream: Stream, e: &std::io::Error) {
    let first = !CLOSED.swap(true, Ordering::SeqCst);
    if KEEP_RUNNING.load(Ordering::SeqCst) {
        return;
    }
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(EXIT_PIPE);
    }
    if first && stream == Stream::Out {
        let _ = writeln!(std::io::stderr(), "sqz: error: writing to stdout: {e}");
    }
    std::process::exit(2);
}

/// Writes formatted text (and a newline) to a stream; see the module docs for errors.
pub fn write(stream: Stream, args: std::fmt::Arguments<'_>, newline: bool) {
    if CLOSED.load(Ordering::Relaxed) && KEEP_RUNNING.load(Ordering::Relaxed) {
        return;
    }
    let r = match stream {
        Stream::Out => {
            let mut o = std::io::stdout().lock();
            o.write_fmt(args)
                .and_then(|_| if newline { o.write_all(b"\n") } else { Ok(()) })
                .and_then(|_| o.flush())
        }
        Stream::Err => {
            let mut o = std::io::stderr().lock();
            o.write_fmt(args)
                .and_then(|_| if newline { o.write_all(b"\n") } else { Ok(()) })
                .and_then(|_| o.flush())
        }
    };
    if let Err(e) = r {
        failed(stream, &e);
    }
}
