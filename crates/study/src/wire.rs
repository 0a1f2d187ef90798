//! Wire format of the MPI messages: little-endian numbers, f64 as their bits (exact), strings
//! with a length. A task result travels field by field in the order of the schema
//! ([`crate::schema::FIELDS`]), a trace with its length first. Used only by the MPI executor.
#![cfg_attr(not(feature = "mpi"), allow(dead_code))]

use crate::schema::{Cell, Elem, Field, TaskResult, Visit, VisitMut, Width};

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
    /// appends a length-prefixed string
    pub fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    /// appends a task result
    pub fn result(&mut self, r: &TaskResult) {
        self.u64(r.task);
        r.visit(self);
        self.str(&r.error);
    }
}

impl Visit for Writer {
    fn visit<E: Elem>(&mut self, f: &Field, v: &[E]) {
        if f.width == Width::Trace {
            self.u64(v.len() as u64);
        }
        for x in v {
            x.put(&mut self.0);
        }
    }
}

/// Reads what [`Writer`] wrote; every read checks the length.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// the first error of a [`Reader::result`]
    failed: Option<anyhow::Error>,
}

impl<'a> Reader<'a> {
    /// reads from the start of `buf`
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            failed: None,
        }
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
    /// reads a length-prefixed string
    pub fn str(&mut self) -> anyhow::Result<String> {
        let k = self.u64()? as usize;
        Ok(String::from_utf8_lossy(self.take(k)?).into_owned())
    }
    /// reads a task result
    pub fn result(&mut self) -> anyhow::Result<TaskResult> {
        let mut r = TaskResult::filled(self.u64()?, 0);
        r.visit_mut(self);
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        r.error = self.str()?;
        Ok(r)
    }
    fn elems<E: Elem>(&mut self, f: &Field) -> anyhow::Result<Vec<E>> {
        let k = match f.width {
            Width::Trace => {
                let k = self.u64()? as usize;
                anyhow::ensure!(k <= self.buf.len() / 8, "bad trace length {k}");
                k
            }
            w => w.len(0),
        };
        let b = self.take(k * E::BYTES)?;
        Ok(b.chunks_exact(E::BYTES).map(E::get).collect())
    }
    /// whether everything was read
    pub fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }
}

impl VisitMut for Reader<'_> {
    fn visit<C: Cell>(&mut self, f: &Field, c: &mut C) {
        if self.failed.is_some() {
            return;
        }
        match self.elems::<C::Elem>(f) {
            Ok(v) => c.set(&v),
            Err(e) => self.failed = Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::status;
    use crate::spec::Study;
    use crate::task::compute;

    #[test]
    fn wire_format_round_trips_bits() {
        let study =
            Study::from_toml("n = 3\nr = 0.5\nw = [0.3]\nconfigurations = 2\nseed = 1\n").unwrap();
        let a = compute(&study, 1, None, &mut sqz_steady::SolverCache::new());
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
