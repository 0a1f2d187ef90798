//! Dense linear algebra with the parallelism as an argument.
//!
//! faer's high-level APIs (`&a * &b`, `.partial_piv_lu()` and its `solve`/`inverse`, `.eigen()`,
//! `.eigenvalues()`, `.self_adjoint_eigen()`, `.qr()`, `.svd()`, `sp_lu`) read the process-global
//! `faer::get_global_parallelism()`, so their results would depend on a setting made anywhere in
//! the process. These are the same computations with `par: Par` passed explicitly: each one
//! calls the low-level faer routine that the high-level API calls, with the same scratch and the
//! same post-processing, so for equal `par` they give the same bits.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::ComputeEigenvectors;
use faer::linalg::solvers::EvdError;
use faer::perm::Perm;
use faer::traits::{ComplexField, Conjugate};
use faer::{Accum, Conj, Mat, MatMut, MatRef, Par};

type C64 = num_complex::Complex64;

/// `lhs rhs` (what `&lhs * &rhs` computes, with `par` instead of the global setting).
#[track_caller]
pub fn mul<T: ComplexField, L: Conjugate<Canonical = T>, R: Conjugate<Canonical = T>>(
    lhs: MatRef<'_, L>,
    rhs: MatRef<'_, R>,
    par: Par,
) -> Mat<T> {
    assert!(lhs.ncols() == rhs.nrows());
    let mut out = Mat::zeros(lhs.nrows(), rhs.ncols());
    faer::linalg::matmul::matmul(out.as_mut(), Accum::Replace, lhs, rhs, T::one_impl(), par);
    out
}

/// faer's split of an in-place factorization into a unit lower and an upper factor.
fn split_lu<T: ComplexField>(lu: Mat<T>) -> (Mat<T>, Mat<T>) {
    let (m, n) = lu.shape();
    let size = m.min(n);
    let zero = T::zero_impl();
    if m >= n {
        let mut l = lu;
        let mut u = Mat::zeros(size, size);
        u.copy_from_triangular_upper(l.get(..size, ..size));
        for j in 0..n {
            for i in 0..j.min(m) {
                l[(i, j)] = zero.clone();
            }
        }
        l.diagonal_mut().fill(T::one_impl());
        (l, u)
    } else {
        let mut u = lu;
        let mut l = Mat::zeros(size, size);
        l.copy_from_strict_triangular_lower(u.get(..size, ..size));
        for j in 0..n {
            for i in (j + 1)..m {
                u[(i, j)] = zero.clone();
            }
        }
        l.diagonal_mut().fill(T::one_impl());
        (l, u)
    }
}

/// LU with partial (row) pivoting: faer's `PartialPivLu` with the parallelism as an argument.
#[derive(Clone, Debug)]
pub struct Lu<T> {
    l: Mat<T>,
    u: Mat<T>,
    perm: Perm<usize>,
}

impl<T: ComplexField> Lu<T> {
    /// The factorization of `a` (`a.partial_piv_lu()`).
    #[track_caller]
    pub fn new<C: Conjugate<Canonical = T>>(a: MatRef<'_, C>, par: Par) -> Self {
        let mut lu = a.to_owned();
        let (m, n) = lu.shape();
        let mut fwd = vec![0usize; m];
        let mut bwd = vec![0usize; m];
        faer::linalg::lu::partial_pivoting::factor::lu_in_place(
            lu.as_mut(),
            &mut fwd,
            &mut bwd,
            par,
            MemStack::new(&mut MemBuffer::new(
                faer::linalg::lu::partial_pivoting::factor::lu_in_place_scratch::<usize, T>(
                    m,
                    n,
                    par,
                    Default::default(),
                ),
            )),
            Default::default(),
        );
        let (l, u) = split_lu(lu);
        Self {
            l,
            u,
            perm: Perm::new_checked(fwd.into_boxed_slice(), bwd.into_boxed_slice(), m),
        }
    }

    /// Dimension of the (square) matrix.
    pub fn dim(&self) -> usize {
        self.l.nrows()
    }

    /// `rhs <- A^{-1} rhs`.
    #[track_caller]
    pub fn solve_in_place(&self, rhs: MatMut<'_, T>, par: Par) {
        assert!(self.l.nrows() == self.u.ncols() && self.l.nrows() == rhs.nrows());
        let k = rhs.ncols();
        faer::linalg::lu::partial_pivoting::solve::solve_in_place_with_conj(
            self.l.as_ref(),
            self.u.as_ref(),
            self.perm.as_ref(),
            Conj::No,
            rhs,
            par,
            MemStack::new(&mut MemBuffer::new(
                faer::linalg::lu::partial_pivoting::solve::solve_in_place_scratch::<usize, T>(
                    self.dim(),
                    k,
                    par,
                ),
            )),
        );
    }

    /// `A^{-1} rhs`.
    #[track_caller]
    pub fn solve(&self, rhs: MatRef<'_, T>, par: Par) -> Mat<T> {
        let mut out = rhs.to_owned();
        self.solve_in_place(out.as_mut(), par);
        out
    }

    /// `A^{-1}`.
    #[track_caller]
    pub fn inverse(&self, par: Par) -> Mat<T> {
        let n = self.dim();
        let mut out = Mat::zeros(n, n);
        faer::linalg::lu::partial_pivoting::inverse::inverse(
            out.as_mut(),
            self.l.as_ref(),
            self.u.as_ref(),
            self.perm.as_ref(),
            par,
            MemStack::new(&mut MemBuffer::new(
                faer::linalg::lu::partial_pivoting::inverse::inverse_scratch::<usize, T>(n, par),
            )),
        );
        out
    }
}

/// An eigendecomposition `A = U diag(S) U^{-1}`: eigenvalues `s` and eigenvectors (columns of `u`).
#[derive(Clone, Debug)]
pub struct Eigen {
    /// eigenvectors, one column each
    pub u: Mat<C64>,
    /// eigenvalues
    pub s: Vec<C64>,
}

/// The eigendecomposition of a complex matrix (`a.eigen()`).
#[track_caller]
pub fn eigen(a: MatRef<'_, C64>, par: Par) -> Result<Eigen, EvdError> {
    assert!(a.nrows() == a.ncols());
    let n = a.nrows();
    let mut u = Mat::<C64>::zeros(n, n);
    let mut s = Diag::<C64>::zeros(n);
    faer::linalg::evd::evd_cplx(
        a,
        s.as_mut(),
        None,
        Some(u.as_mut()),
        par,
        MemStack::new(&mut MemBuffer::new(faer::linalg::evd::evd_scratch::<C64>(
            n,
            ComputeEigenvectors::No,
            ComputeEigenvectors::Yes,
            par,
            Default::default(),
        ))),
        Default::default(),
    )?;
    Ok(Eigen {
        u,
        s: s.column_vector().iter().copied().collect(),
    })
}

/// The eigendecomposition of a real matrix (`a.eigen()` on `f64`): complex pairs as faer gives
/// them (`lambda`, then its conjugate, with conjugate vectors).
#[track_caller]
pub fn eigen_real(a: MatRef<'_, f64>, par: Par) -> Result<Eigen, EvdError> {
    assert!(a.nrows() == a.ncols());
    let n = a.nrows();
    let mut ur = Mat::<f64>::zeros(n, n);
    let mut s_re = Diag::<f64>::zeros(n);
    let mut s_im = Diag::<f64>::zeros(n);
    faer::linalg::evd::evd_real(
        a,
        s_re.as_mut(),
        s_im.as_mut(),
        None,
        Some(ur.as_mut()),
        par,
        MemStack::new(&mut MemBuffer::new(faer::linalg::evd::evd_scratch::<f64>(
            n,
            ComputeEigenvectors::No,
            ComputeEigenvectors::Yes,
            par,
            Default::default(),
        ))),
        Default::default(),
    )?;
    let mut u = Mat::<C64>::zeros(n, n);
    let mut s = vec![C64::new(0.0, 0.0); n];
    let mut j = 0;
    while j < n {
        if s_im[j] == 0.0 {
            s[j] = C64::new(s_re[j], 0.0);
            for i in 0..n {
                u[(i, j)] = C64::new(ur[(i, j)], 0.0);
            }
            j += 1;
        } else {
            s[j] = C64::new(s_re[j], s_im[j]);
            s[j + 1] = C64::new(s_re[j], -s_im[j]);
            for i in 0..n {
                u[(i, j)] = C64::new(ur[(i, j)], ur[(i, j + 1)]);
                u[(i, j + 1)] = C64::new(ur[(i, j)], -ur[(i, j + 1)]);
            }
            j += 2;
        }
    }
    Ok(Eigen { u, s })
}

/// The eigenvalues of a complex matrix (`a.eigenvalues()`).
#[track_caller]
pub fn eigenvalues(a: MatRef<'_, C64>, par: Par) -> Result<Vec<C64>, EvdError> {
    assert!(a.nrows() == a.ncols());
    let n = a.nrows();
    let mut s = Diag::<C64>::zeros(n);
    faer::linalg::evd::evd_cplx(
        a,
        s.as_mut(),
        None,
        None,
        par,
        MemStack::new(&mut MemBuffer::new(faer::linalg::evd::evd_scratch::<C64>(
            n,
            ComputeEigenvectors::No,
            ComputeEigenvectors::No,
            par,
            Default::default(),
        ))),
        Default::default(),
    )?;
    Ok(s.column_vector().iter().copied().collect())
}

/// Eigendecomposition of a Hermitian matrix from its lower triangle
/// (`a.self_adjoint_eigen(Side::Lower)`): eigenvalues ascending.
#[track_caller]
pub fn self_adjoint_eigen<T: ComplexField>(
    a: MatRef<'_, T>,
    par: Par,
) -> Result<(Mat<T>, Vec<T>), EvdError> {
    assert!(a.nrows() == a.ncols());
    let n = a.nrows();
    let mut u = Mat::<T>::zeros(n, n);
    let mut s = Diag::<T>::zeros(n);
    faer::linalg::evd::self_adjoint_evd(
        a,
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut MemBuffer::new(
            faer::linalg::evd::self_adjoint_evd_scratch::<T>(
                n,
                ComputeEigenvectors::Yes,
                par,
                Default::default(),
            ),
        )),
        Default::default(),
    )?;
    Ok((u, s.column_vector().iter().cloned().collect()))
}

/// Eigenvalues of a Hermitian matrix from its lower triangle
/// (`a.self_adjoint_eigenvalues(Side::Lower)`), ascending.
#[track_caller]
pub fn self_adjoint_eigenvalues<T: ComplexField>(
    a: MatRef<'_, T>,
    par: Par,
) -> Result<Vec<T::Real>, EvdError> {
    assert!(a.nrows() == a.ncols());
    let n = a.nrows();
    let mut s = Diag::<T>::zeros(n);
    faer::linalg::evd::self_adjoint_evd(
        a,
        s.as_mut(),
        None,
        par,
        MemStack::new(&mut MemBuffer::new(
            faer::linalg::evd::self_adjoint_evd_scratch::<T>(
                n,
                ComputeEigenvectors::No,
                par,
                Default::default(),
            ),
        )),
        Default::default(),
    )?;
    Ok(s.column_vector()
        .iter()
        .map(|x| T::real_part_impl(x))
        .collect())
}

/// The first `min(m, n)` columns of `Q` in `a = Q R` (`a.qr().compute_thin_Q()`).
#[track_caller]
pub fn thin_q<T: ComplexField>(a: MatRef<'_, T>, par: Par) -> Mat<T> {
    use faer::linalg::householder;
    use faer::linalg::qr::no_pivoting::factor;
    let mut qr = a.to_owned();
    let (m, n) = qr.shape();
    let size = m.min(n);
    let block_size = factor::recommended_block_size::<T>(m, n);
    let mut coeff = Mat::<T>::zeros(block_size, size);
    factor::qr_in_place(
        qr.as_mut(),
        coeff.as_mut(),
        par,
        MemStack::new(&mut MemBuffer::new(factor::qr_in_place_scratch::<T>(
            m,
            n,
            block_size,
            par,
            Default::default(),
        ))),
        Default::default(),
    );
    let (basis, _) = split_lu(qr);
    let mut q = Mat::<T>::identity(m, size);
    householder::apply_block_householder_sequence_on_the_left_in_place_with_conj(
        basis.as_ref(),
        coeff.as_ref(),
        Conj::No,
        q.as_mut(),
        par,
        MemStack::new(&mut MemBuffer::new(
            householder::apply_block_householder_sequence_on_the_left_in_place_scratch::<T>(
                m,
                coeff.nrows(),
                size,
            ),
        )),
    );
    q
}

/// `(U, S, V)` of a singular value decomposition.
pub type Svd<T> = (Mat<T>, Vec<T>, Mat<T>);

/// The full singular value decomposition `a = U diag(S) V^H` (`a.svd()`): `(U, S, V)`, singular
/// values nonincreasing.
#[track_caller]
pub fn svd<T: ComplexField>(
    a: MatRef<'_, T>,
    par: Par,
) -> Result<Svd<T>, faer::linalg::svd::SvdError> {
    use faer::linalg::svd::ComputeSvdVectors;
    let (m, n) = a.shape();
    let size = m.min(n);
    let mut u = Mat::<T>::zeros(m, m);
    let mut v = Mat::<T>::zeros(n, n);
    let mut s = Diag::<T>::zeros(size);
    faer::linalg::svd::svd(
        a,
        s.as_mut(),
        Some(u.as_mut()),
        Some(v.as_mut()),
        par,
        MemStack::new(&mut MemBuffer::new(faer::linalg::svd::svd_scratch::<T>(
            m,
            n,
            ComputeSvdVectors::Full,
            ComputeSvdVectors::Full,
            par,
            Default::default(),
        ))),
        Default::default(),
    )?;
    Ok((u, s.column_vector().iter().cloned().collect(), v))
}

/// Sparse LU with fill-reducing orderings (`a.sp_lu()` on a column-major sparse matrix, and its
/// `solve_in_place_with_conj`), with the parallelism as an argument.
#[derive(Debug)]
pub struct SpLu<T> {
    symbolic: faer::sparse::linalg::lu::SymbolicLu<usize>,
    numeric: faer::sparse::linalg::lu::NumericLu<usize, T>,
}

impl<T: ComplexField> SpLu<T> {
    /// The factorization of `a` (`a.sp_lu()`).
    #[track_caller]
    pub fn new(
        a: faer::sparse::SparseColMatRef<'_, usize, T>,
        par: Par,
    ) -> Result<Self, faer::sparse::linalg::LuError> {
        use faer::sparse::linalg::lu;
        let symbolic = lu::factorize_symbolic_lu(a.symbolic(), Default::default())?;
        let mut numeric = lu::NumericLu::new();
        symbolic.factorize_numeric_lu::<T>(
            &mut numeric,
            a,
            par,
            MemStack::new(&mut MemBuffer::try_new(
                symbolic.factorize_numeric_lu_scratch::<T>(par, Default::default()),
            )?),
            Default::default(),
        )?;
        Ok(Self { symbolic, numeric })
    }

    /// `rhs <- A^{-1} rhs` (`solve_in_place_with_conj(Conj::No, rhs)`).
    #[track_caller]
    pub fn solve_in_place(&self, rhs: MatMut<'_, T>, par: Par) {
        let k = rhs.ncols();
        faer::sparse::linalg::lu::LuRef::<'_, usize, T>::new_unchecked(
            &self.symbolic,
            &self.numeric,
        )
        .solve_in_place_with_conj(
            Conj::No,
            rhs,
            par,
            MemStack::new(&mut MemBuffer::new(
                self.symbolic.solve_in_place_scratch::<T>(k, par),
            )),
        );
    }
}
