//! Wire format of the MPI messages: little-endian numbers, f64 as their bits (exact), strings
//! with a length. Used only by the MPI executor.
#![cfg_attr(not(feature = "mpi"), allow(dead_code))]

use super::task::TaskResult;

/// Little-endian byte encoding for the MPI messages (exact: f64 travel as bits).
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    /// appends a u8
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    /// appends a u64
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// appends an f64
    pub fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// appends a length-prefixed string
    pub fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    /// appends a task result
    pub fn result(&mut self, r: &TaskResult) {
        self.u64(r.task);
        self.u8(r.status);
        self.f64(r.xi2);
        self.f64(r.inv_xi2);
        for v in r.mean_spin {
            self.f64(v);
        }
        self.u8(r.method);
        self.u64(r.iterations);
        self.f64(r.residual);
        self.f64(r.gap);
        self.f64(r.error_bound);
        self.u8(r.bound_met);
        self.f64(r.min_eigenvalue);
        self.f64(r.seconds);
        self.u64(r.trace.len() as u64);
        for v in &r.trace {
            self.f64(*v);
        }
        self.u64(r.trace_matvecs);
        self.str(&r.error);
    }
}

/// Reads what [`Writer`] wrote; every read checks the length.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// reads from the start of `buf`
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    fn take(&mut self, k: usize) -> anyhow::Result<&'a [u8]> {
        let s = self
            .buf
            .get(self.pos..self.pos + k)
            .ok_or_else(|| anyhow::anyhow!("truncated message ({} bytes)", self.buf.len()))?;
        self.pos += k;
        Ok(s)
    }
    /// reads a u8
    pub fn u8(&mut self) -> anyhow::Result<u8> {
        Ok(self.take(1)?[0])
    }
    /// reads a u64
    pub fn u64(&mut self) -> anyhow::Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into()?))
    }
    /// reads an f64
    pub fn f64(&mut self) -> anyhow::Result<f64> {
        Ok(f64::from_le_bytes(self.take(8)?.try_into()?))
    }
    /// reads a length-prefixed string
    pub fn str(&mut self) -> anyhow::Result<String> {
        let k = self.u64()? as usize;
        Ok(String::from_utf8_lossy(self.take(k)?).into_owned())
    }
    /// reads a task result
    pub fn result(&mut self) -> anyhow::Result<TaskResult> {
        Ok(TaskResult {
            task: self.u64()?,
            status: self.u8()?,
            xi2: self.f64()?,
            inv_xi2: self.f64()?,
            mean_spin: [self.f64()?, self.f64()?, self.f64()?],
            method: self.u8()?,
            iterations: self.u64()?,
            residual: self.f64()?,
            gap: self.f64()?,
            error_bound: self.f64()?,
            bound_met: self.u8()?,
            min_eigenvalue: self.f64()?,
            seconds: self.f64()?,
            trace: {
                let k = self.u64()? as usize;
                anyhow::ensure!(k <= self.buf.len() / 8, "bad trace length {k}");
                (0..k).map(|_| self.f64()).collect::<anyhow::Result<_>>()?
            },
            trace_matvecs: self.u64()?,
            error: self.str()?,
        })
    }
    /// whether everything was read
    pub fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::spec::Study;
    use crate::study::task::{compute, status};

    #[test]
    fn wire_format_round_trips_bits() {
        let study =
            Study::from_toml("n = 3\nr = 0.5\nw = [0.3]\nconfigurations = 2\nseed = 1\n").unwrap();
        let a = compute(&study, 1);
        assert_eq!(a.status, status::OK, "{}", a.error);
        let b = TaskResult {
            status: status::FAILED,
            error: "boom ünïcode".into(),
            trace: vec![0.5, -1.0, 2.0],
            trace_matvecs: 7,
            ..a.clone()
        };
        let mut w = Writer::default();
        w.result(&a);
        w.result(&b);
        let mut r = Reader::new(&w.0);
        assert_eq!(r.result().unwrap(), a);
        assert_eq!(r.result().unwrap(), b);
        assert!(r.at_end());
        assert!(Reader::new(&w.0[..10]).result().is_err());
    }
}
