//! The task-result schema: one table ([`FIELDS`], written once in the `schema!` invocation
//! below) from which come the record of one task ([`TaskResult`]), the per-study columns of the
//! store ([`Columns`]), the MPI wire format (`crate::wire`), the HDF5 datasets with their
//! attributes (`crate::layout`) and the per-task checksum ([`row_hash`]). A field added here is
//! sent, stored, checked and resumed without another list to edit.
//!
//! Order matters once: the checksum hashes the fields in table order (then the failure message),
//! so the table keeps the order of the format-2 checksum definition (`steady/checksum`'s
//! `definition` attribute): the `u8` fields, the `f64` fields, the `u64` fields, the trace.

/// Outcome codes stored in `steady/status`.
pub mod status {
    /// not computed yet
    pub const PENDING: u8 = 0;
    /// computed, values valid
    pub const OK: u8 = 1;
    /// the solver or the observable failed; values are fill values
    pub const FAILED: u8 = 2;
}

/// Method codes stored in `steady/method` (`flag_values` / `flag_meanings`).
pub mod method {
    /// not computed or failed
    pub const NONE: u8 = 0;
    /// names of the codes 0, 1, 2, ... (`sqz_steady::Method::name`); 255 is any other method
    pub const NAMES: [&str; 5] = [
        "none",
        "dense-hermitian-lu",
        "collective-reduction",
        "gmres-jacobi",
        "gmres-two-level",
    ];
    /// code of a method not in [`NAMES`]
    pub const OTHER: u8 = 255;

    /// The code of a solver method.
    pub fn code(m: sqz_steady::Method) -> u8 {
        NAMES
            .iter()
            .position(|n| *n == m.name())
            .map_or(OTHER, |i| i as u8)
    }
}

/// Fill value of quantities that are never negative (xi2, residual, gap, ...); the datasets of
/// the fields whose fill is this value carry it as their `fill_value` attribute.
pub const FILL: f64 = -1.0;

/// The HDF5 type of a stored element (only with the `hdf5` feature).
#[cfg(feature = "hdf5")]
pub trait Stored: hdf5::H5Type {}
#[cfg(feature = "hdf5")]
impl<T: hdf5::H5Type> Stored for T {}
/// The HDF5 type of a stored element (only with the `hdf5` feature).
#[cfg(not(feature = "hdf5"))]
pub trait Stored {}
#[cfg(not(feature = "hdf5"))]
impl<T> Stored for T {}

/// An element of a stored value: `u8`, `u64` or `f64`.
pub trait Elem: Copy + PartialEq + std::fmt::Debug + Stored + 'static {
    /// bytes in the wire format and the checksum
    const BYTES: usize;
    /// appends the little-endian bytes
    fn put(self, out: &mut Vec<u8>);
    /// reads from exactly [`Elem::BYTES`] little-endian bytes
    fn get(b: &[u8]) -> Self;
    /// the element of a fill value
    fn from_fill(f: f64) -> Self;
    /// whether the value is finite (integers always are)
    fn finite(self) -> bool;
    /// as f64 (error messages)
    fn as_f64(self) -> f64;
}

macro_rules! int_elem {
    ($t:ty) => {
        impl Elem for $t {
            const BYTES: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(b: &[u8]) -> Self {
                <$t>::from_le_bytes(b.try_into().expect("element width"))
            }
            fn from_fill(f: f64) -> Self {
                f as $t
            }
            fn finite(self) -> bool {
                true
            }
            fn as_f64(self) -> f64 {
                self as f64
            }
        }
    };
}
int_elem!(u8);
int_elem!(u64);

impl Elem for f64 {
    const BYTES: usize = 8;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(b: &[u8]) -> Self {
        f64::from_le_bytes(b.try_into().expect("element width"))
    }
    fn from_fill(f: f64) -> Self {
        f
    }
    fn finite(self) -> bool {
        self.is_finite()
    }
    fn as_f64(self) -> f64 {
        self
    }
}

/// A field's value in a [`TaskResult`]: one element, three, or one per trace time.
pub trait Cell {
    /// element type
    type Elem: Elem;
    /// the elements
    fn elems(&self) -> &[Self::Elem];
    /// replaces the elements (same count, except for a trace)
    fn set(&mut self, v: &[Self::Elem]);
    /// `width` fill elements
    fn filled(fill: f64, width: usize) -> Self;
}

macro_rules! scalar_cell {
    ($t:ty) => {
        impl Cell for $t {
            type Elem = $t;
            fn elems(&self) -> &[$t] {
                std::slice::from_ref(self)
            }
            fn set(&mut self, v: &[$t]) {
                *self = v[0];
            }
            fn filled(fill: f64, _: usize) -> Self {
                <$t>::from_fill(fill)
            }
        }
    };
}
scalar_cell!(u8);
scalar_cell!(u64);
scalar_cell!(f64);

impl Cell for [f64; 3] {
    type Elem = f64;
    fn elems(&self) -> &[f64] {
        self
    }
    fn set(&mut self, v: &[f64]) {
        self.copy_from_slice(v);
    }
    fn filled(fill: f64, _: usize) -> Self {
        [fill; 3]
    }
}

impl Cell for Vec<f64> {
    type Elem = f64;
    fn elems(&self) -> &[f64] {
        self
    }
    fn set(&mut self, v: &[f64]) {
        self.clear();
        self.extend_from_slice(v);
    }
    fn filled(fill: f64, width: usize) -> Self {
        vec![fill; width]
    }
}

/// The HDF5 group of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// `/steady` (always written)
    Steady,
    /// `/traces` (studies with traces only)
    Traces,
}

/// Elements per task of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// one
    One,
    /// three (x, y, z)
    Xyz,
    /// one per trace time
    Trace,
}

impl Width {
    /// Elements per task with `trace_points` trace times.
    pub fn len(self, trace_points: usize) -> usize {
        match self {
            Width::One => 1,
            Width::Xyz => 3,
            Width::Trace => trace_points,
        }
    }
}

/// One field of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Rust name (`TaskResult::<name>`)
    pub name: &'static str,
    /// HDF5 group
    pub group: Group,
    /// dataset name in the group
    pub dataset: &'static str,
    /// elements per task
    pub width: Width,
    /// value of a task that is pending or failed
    pub fill: f64,
    /// `long_name` attribute
    pub long_name: &'static str,
    /// `units` attribute
    pub units: &'static str,
}

impl Field {
    /// `dims` attribute of the dataset (`[w, configuration(, xyz | t)]`).
    pub fn dims(&self) -> &'static str {
        match self.width {
            Width::One => "w,configuration",
            Width::Xyz => "w,configuration,xyz",
            Width::Trace => "w,configuration,t",
        }
    }

    /// The name in messages: the dataset, with its group unless `/steady`.
    pub fn label(&self) -> String {
        match self.group {
            Group::Steady => self.dataset.to_string(),
            Group::Traces => format!("traces/{}", self.dataset),
        }
    }
}

/// Sees the fields of a record, of one row or of whole columns, in schema order.
pub trait Visit {
    /// one field's elements
    fn visit<E: Elem>(&mut self, f: &Field, v: &[E]);
}

/// Fills the fields of a record in schema order.
pub trait VisitMut {
    /// one field's cell
    fn visit<C: Cell>(&mut self, f: &Field, c: &mut C);
}

/// Replaces whole columns in schema order.
pub trait VisitColumns {
    /// one field's column
    fn visit<E: Elem>(&mut self, f: &Field, col: &mut Vec<E>);
}

macro_rules! schema {
    ($(
        $(#[doc = $doc:literal])+
        $field:ident: $ty:ty, $group:ident / $ds:literal, $width:ident, fill $fill:expr,
        $long:literal, $units:literal;
    )+) => {
        /// What one task produced.
        #[derive(Debug, Clone, PartialEq)]
        pub struct TaskResult {
            /// task number
            pub task: u64,
            $( $(#[doc = $doc])+ pub $field: $ty, )+
            /// error message when failed (empty otherwise)
            pub error: String,
        }

        /// The stored values of every task, one column per field, row-major `[task][width]`.
        #[derive(Debug, Clone)]
        pub struct Columns {
            $( $(#[doc = $doc])+ pub $field: Vec<<$ty as Cell>::Elem>, )+
        }

        /// The fields, in schema order.
        pub const FIELDS: &[Field] = &[$(
            Field {
                name: stringify!($field),
                group: Group::$group,
                dataset: $ds,
                width: Width::$width,
                fill: $fill as f64,
                long_name: $long,
                units: $units,
            },
        )+];

        impl TaskResult {
            /// A result with fill values everywhere (status OK: nothing failed yet).
            pub fn filled(task: u64, trace_points: usize) -> Self {
                let mut r = Self {
                    task,
                    $( $field: <$ty as Cell>::filled($fill as f64, Width::$width.len(trace_points)), )+
                    error: String::new(),
                };
                r.status = status::OK;
                r
            }

            /// Shows every field to `v`, in schema order.
            pub fn visit(&self, v: &mut impl Visit) {
                let mut fields = FIELDS.iter();
                $( v.visit(fields.next().expect("schema"), self.$field.elems()); )+
            }

            /// Lets `v` fill every field, in schema order.
            pub fn visit_mut(&mut self, v: &mut impl VisitMut) {
                let mut fields = FIELDS.iter();
                $( v.visit(fields.next().expect("schema"), &mut self.$field); )+
            }
        }

        impl Columns {
            /// Fill values for `tasks` tasks.
            pub fn new(tasks: usize, trace_points: usize) -> Self {
                Self {
                    $( $field: vec![
                        <<$ty as Cell>::Elem as Elem>::from_fill($fill as f64);
                        tasks * Width::$width.len(trace_points)
                    ], )+
                }
            }

            /// Stores `r` as row `t` (its trace has `trace_points` values).
            pub fn set_row(&mut self, t: usize, r: &TaskResult) {
                $( {
                    let e = r.$field.elems();
                    self.$field[t * e.len()..(t + 1) * e.len()].copy_from_slice(e);
                } )+
            }

            /// Fill values in row `t`.
            pub fn reset_row(&mut self, t: usize, trace_points: usize) {
                $( {
                    let w = Width::$width.len(trace_points);
                    let fill = <<$ty as Cell>::Elem as Elem>::from_fill($fill as f64);
                    self.$field[t * w..(t + 1) * w].fill(fill);
                } )+
            }

            /// Shows row `t` of every column to `v`, in schema order.
            pub fn visit_row(&self, t: usize, trace_points: usize, v: &mut impl Visit) {
                let mut fields = FIELDS.iter();
                $( {
                    let w = Width::$width.len(trace_points);
                    v.visit(fields.next().expect("schema"), &self.$field[t * w..(t + 1) * w]);
                } )+
            }

            /// Shows every column to `v`, in schema order.
            pub fn visit(&self, v: &mut impl Visit) {
                let mut fields = FIELDS.iter();
                $( v.visit(fields.next().expect("schema"), &self.$field[..]); )+
            }

            /// Lets `v` replace every column, in schema order.
            pub fn visit_mut(&mut self, v: &mut impl VisitColumns) {
                let mut fields = FIELDS.iter();
                $( v.visit(fields.next().expect("schema"), &mut self.$field); )+
            }
        }
    };
}

schema! {
    /// [`status`] code
    status: u8, Steady / "status", One, fill status::PENDING,
        "0 not computed, 1 ok, 2 failed", "1";
    /// [`method`] code
    method: u8, Steady / "method", One, fill method::NONE,
        "steady-state method", "1";
    /// 1 when the error bound met the tolerance
    bound_met: u8, Steady / "bound_met", One, fill 0,
        "1 when error_bound <= steady_tol", "1";
    /// Wineland parameter
    xi2: f64, Steady / "xi2", One, fill FILL,
        "Wineland parameter xi_R^2", "1";
    /// `1/xi^2`
    inv_xi2: f64, Steady / "inv_xi2", One, fill FILL,
        "1 / xi_R^2", "1";
    /// `|L rho|_F`
    residual: f64, Steady / "residual", One, fill FILL,
        "|L rho|_F", "A";
    /// slowest relaxation rate, or [`FILL`]
    gap: f64, Steady / "gap", One, fill FILL,
        "slowest relaxation rate min |Re lambda| (-1: not estimated)", "A";
    /// `residual / gap`, or [`FILL`]
    error_bound: f64, Steady / "error_bound", One, fill FILL,
        "residual / gap, estimate of |rho - rho_exact|_F (-1: no gap)", "1";
    /// smallest eigenvalue of rho
    min_eigenvalue: f64, Steady / "min_eigenvalue", One, fill 0.0,
        "smallest eigenvalue of rho", "1";
    /// wall time of the task
    seconds: f64, Steady / "seconds", One, fill FILL,
        "wall time of the solve", "s";
    /// `<S>`
    mean_spin: [f64; 3], Steady / "mean_spin", Xyz, fill 0.0,
        "mean spin (<S^x>, <S^y>, <S^z>)", "1";
    /// Arnoldi matvecs of the gap estimate (dense), GMRES iterations (N > 7)
    iterations: u64, Steady / "iterations", One, fill 0,
        "Arnoldi matvecs of the gap estimate (0: direct solve only)", "1";
    /// operator applications of the time propagation
    trace_matvecs: u64, Traces / "matvecs", One, fill 0,
        "operator applications of the Krylov propagation", "1";
    /// `1/xi^2(t)` at the study's trace times (0 where xi^2 is undefined; [`FILL`] when the
    /// task failed); empty without traces
    trace: Vec<f64>, Traces / "inv_xi2", Trace, fill FILL,
        "1/xi_R^2(t) (0 where the mean spin vanishes; -1 where not computed)", "1";
}

/// FNV-1a 64 over little-endian bytes.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(pub u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Hashes `bytes`.
    pub fn eat(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl Visit for Fnv {
    fn visit<E: Elem>(&mut self, _: &Field, v: &[E]) {
        let mut b = Vec::with_capacity(v.len() * E::BYTES);
        for x in v {
            x.put(&mut b);
        }
        self.eat(&b);
    }
}

/// The checksum of a task's stored row: FNV-1a 64 over every field in schema order
/// (little-endian), then the failure message (UTF-8), never 0 (0 marks a pending task).
pub fn row_hash(row: impl FnOnce(&mut Fnv), error: &str) -> u64 {
    let mut h = Fnv::default();
    row(&mut h);
    h.eat(error.as_bytes());
    h.0.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_and_columns_agree() {
        let mut r = TaskResult::filled(1, 2);
        r.xi2 = 0.5;
        r.mean_spin = [1.0, 2.0, 3.0];
        r.trace = vec![0.25, 0.75];
        let mut c = Columns::new(3, 2);
        c.set_row(1, &r);
        let a = row_hash(|h| r.visit(h), "");
        let b = row_hash(|h| c.visit_row(1, 2, h), "");
        assert_eq!(a, b);
        c.reset_row(1, 2);
        assert_eq!(c.xi2[1], FILL);
        assert_eq!(c.status[1], status::PENDING);
        assert_eq!(FIELDS.len(), 14);
        assert_eq!(FIELDS[0].name, "status");
    }
}
