"""QuTiP side of the collective-model benchmarks (issue 2): time qutip.steadystate on the Eq. 7
Liouvillian in the Dicke basis, for the same N and parameters as `benches/benches/collective.rs`
(r = 1.5, alpha = 0.5, Delta = 1.0), and print xi^2 so the two can be compared.

Requires: pip install qutip numpy scipy.   Run: python3 scripts/bench/qutip_collective.py [N ...]
"""
import sys
import time

import numpy as np
import qutip as qt


def liouvillian(n, r, alpha, delta):
    j = n / 2
    # qutip.jmat orders m descending; reverse to our ascending Dicke order
    perm = list(range(n, -1, -1))
    sp = qt.Qobj(qt.jmat(j, "+").full()[np.ix_(perm, perm)]).to("csr")
    sz = qt.Qobj(qt.jmat(j, "z").full()[np.ix_(perm, perm)]).to("csr")
    sm = sp.dag()
    nsq = np.sinh(r) ** 2
    m = np.sinh(r) * np.cosh(r) * np.exp(1j * alpha)
    dn = (2 * nsq + 1) * delta

    def d(a, b):  # D(A,B) rho = 2 A rho B - rho B A - B A rho
        return 2 * qt.sprepost(a, b) - qt.spost(b * a) - qt.spre(b * a)

    return -1j * dn * (qt.spre(sz) - qt.spost(sz)) + 0.5 * (
        nsq * d(sp, sm) + (nsq + 1) * d(sm, sp) - m * d(sp, sp) - np.conj(m) * d(sm, sm)
    ), (sp, sm, sz)


def xi2(rho, n, ops):
    sp, sm, sz = ops
    sx, sy = (sp + sm) / 2, (sp - sm) / 2j
    s = [qt.expect(o, rho) for o in (sx, sy, sz)]
    ops3 = (sx, sy, sz)
    length = np.linalg.norm(s)
    th, ph = np.arccos(s[2] / length), np.arctan2(s[1], s[0])
    n1 = [np.cos(th) * np.cos(ph), np.cos(th) * np.sin(ph), -np.sin(th)]
    n2 = [-np.sin(ph), np.cos(ph), 0.0]
    a = sum(c * o for c, o in zip(n1, ops3))
    b = sum(c * o for c, o in zip(n2, ops3))
    caa = qt.expect(a * a, rho).real
    cbb = qt.expect(b * b, rho).real
    cab = qt.expect((a * b + b * a) / 2, rho).real
    lam = 0.5 * (caa + cbb) - np.sqrt(0.25 * (caa - cbb) ** 2 + cab**2)
    return n * lam / length**2


def main():
    ns = [int(x) for x in sys.argv[1:]] or [100, 400]
    print(f"qutip {qt.__version__}")
    for n in ns:
        t0 = time.perf_counter()
        lv, ops = liouvillian(n, 1.5, 0.5, 1.0)
        t1 = time.perf_counter()
        rho = qt.steadystate(lv)
        t2 = time.perf_counter()
        print(f"N={n}: build {t1 - t0:.3f} s, steadystate {t2 - t1:.3f} s, xi2 = {xi2(rho, n, ops):.12f}")


if __name__ == "__main__":
    main()
