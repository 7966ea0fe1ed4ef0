"""Register-tiled products of feature-major blocks (one row per feature, samples along it),
the two forms that the ``fused`` rungs' layers and gradients take.

A loop that updates one row from one other row loads two values and stores one for each
multiply-add, so it runs at the rate of the loads and stores, not of the multipliers: about
18 GFLOP/s on one core of the project's machine (Zen 4). Tiles of four target rows by four
source rows (``add_weighted_rows``), or of two by four dot products (``add_products``),
reuse each loaded value four or two times and keep their sums in registers: 37-50 GFLOP/s
on blocks of 256 samples from 20-50-10 up (OpenBLAS's one-thread ``dgemm`` does the
1500 x 20 x 50 product at 37). Rows left over from the tiles run in narrower tiles, then one
by one.

The price is compile time: from an empty cache the ``fused`` rung's first gradients call
takes 7.9-9.1 s instead of 6.5-6.8 s with one-row loops, ``parallel``'s 12.3-14.1 s instead
of 10.9 s.
"""

from numba.extending import register_jitable


@register_jitable
def add_weighted_rows(W, source, size, target):
    """target[q, :size] += sum_p W[p, q] * source[p, :size] (target += W.T @ source).

    Four target rows at a time take four source rows at a time, then a pair, then one; the
    target rows left over (fewer than four) take the source rows one by one."""
    P, Q = W.shape
    p_tiled, q_tiled = P - P % 4, Q - Q % 4
    for q in range(0, q_tiled, 4):
        t0, t1 = target[q, :size], target[q + 1, :size]
        t2, t3 = target[q + 2, :size], target[q + 3, :size]
        for p in range(0, p_tiled, 4):
            s0, s1 = source[p, :size], source[p + 1, :size]
            s2, s3 = source[p + 2, :size], source[p + 3, :size]
            w00, w01, w02, w03 = W[p, q], W[p, q + 1], W[p, q + 2], W[p, q + 3]
            w10, w11, w12, w13 = W[p + 1, q], W[p + 1, q + 1], W[p + 1, q + 2], W[p + 1, q + 3]
            w20, w21, w22, w23 = W[p + 2, q], W[p + 2, q + 1], W[p + 2, q + 2], W[p + 2, q + 3]
            w30, w31, w32, w33 = W[p + 3, q], W[p + 3, q + 1], W[p + 3, q + 2], W[p + 3, q + 3]
            for i in range(size):
                a0, a1, a2, a3 = s0[i], s1[i], s2[i], s3[i]
                t0[i] += w00 * a0 + w10 * a1 + w20 * a2 + w30 * a3
                t1[i] += w01 * a0 + w11 * a1 + w21 * a2 + w31 * a3
                t2[i] += w02 * a0 + w12 * a1 + w22 * a2 + w32 * a3
                t3[i] += w03 * a0 + w13 * a1 + w23 * a2 + w33 * a3
        for p in range(p_tiled, P - 1, 2):
            s0, s1 = source[p, :size], source[p + 1, :size]
            w00, w01, w02, w03 = W[p, q], W[p, q + 1], W[p, q + 2], W[p, q + 3]
            w10, w11, w12, w13 = W[p + 1, q], W[p + 1, q + 1], W[p + 1, q + 2], W[p + 1, q + 3]
            for i in range(size):
                a0, a1 = s0[i], s1[i]
                t0[i] += w00 * a0 + w10 * a1
                t1[i] += w01 * a0 + w11 * a1
                t2[i] += w02 * a0 + w12 * a1
                t3[i] += w03 * a0 + w13 * a1
        if (P - p_tiled) % 2:
            s0 = source[P - 1, :size]
            w0, w1, w2, w3 = W[P - 1, q], W[P - 1, q + 1], W[P - 1, q + 2], W[P - 1, q + 3]
            for i in range(size):
                a0 = s0[i]
                t0[i] += w0 * a0
                t1[i] += w1 * a0
                t2[i] += w2 * a0
                t3[i] += w3 * a0
    for q in range(q_tiled, Q):
        t = target[q, :size]
        for p in range(P):
            w, s = W[p, q], source[p, :size]
            for i in range(size):
                t[i] += w * s[i]


@register_jitable
def add_products(at, bt, size, out):
    """out[p, q] += sum_i at[p, i] * bt[q, i] (out += at @ bt.T): a weight gradient.

    Two rows of ``at`` by four of ``bt`` at a time, eight sums in registers; then two by one,
    then the rows of ``at`` left over one by one."""
    P, Q = at.shape[0], bt.shape[0]
    p_tiled, q_tiled = P - P % 2, Q - Q % 4
    for p in range(0, p_tiled, 2):
        a0, a1 = at[p, :size], at[p + 1, :size]
        for q in range(0, q_tiled, 4):
            b0, b1, b2, b3 = bt[q, :size], bt[q + 1, :size], bt[q + 2, :size], bt[q + 3, :size]
            s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = 0.0
            for i in range(size):
                x0, x1 = a0[i], a1[i]
                y0, y1, y2, y3 = b0[i], b1[i], b2[i], b3[i]
                s00 += x0 * y0
                s01 += x0 * y1
                s02 += x0 * y2
                s03 += x0 * y3
                s10 += x1 * y0
                s11 += x1 * y1
                s12 += x1 * y2
                s13 += x1 * y3
            out[p, q] += s00
            out[p, q + 1] += s01
            out[p, q + 2] += s02
            out[p, q + 3] += s03
            out[p + 1, q] += s10
            out[p + 1, q + 1] += s11
            out[p + 1, q + 2] += s12
            out[p + 1, q + 3] += s13
        for q in range(q_tiled, Q):
            b = bt[q, :size]
            s0 = s1 = 0.0
            for i in range(size):
                s0 += a0[i] * b[i]
                s1 += a1[i] * b[i]
            out[p, q] += s0
            out[p + 1, q] += s1
    for p in range(p_tiled, P):
        a = at[p, :size]
        for q in range(Q):
            b = bt[q, :size]
            total = 0.0
            for i in range(size):
                total += a[i] * b[i]
            out[p, q] += total
