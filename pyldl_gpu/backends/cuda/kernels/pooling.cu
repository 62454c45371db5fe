// Max and average pooling, channels-last (generic/pooling.py): forward one thread per output element, backward one
// thread per input element, which gathers from the windows holding it (no atomics, no zero fill, deterministic).
//
// Geometry: x (batch, H, W, C), y (batch, Ho, Wo, C), windows kh x kw at strides sh, sw. The array code pools in
// two stages, over rows (H) then over columns (W); `rows_stage` says whether it runs the first one (kh > 1 or
// sh > 1). These kernels keep its results exactly: the maxima, the winner rule, and the order of every sum.
//
// The winner of a max-pool window (the array code's tie rule): the FIRST column of the window whose maximum over
// the window's rows equals the window's maximum, and in that column the FIRST row holding it. A stage of several
// taps gives its last tap whatever no earlier tap claimed (so a NaN window still has a winner); a stage of one
// tap wins only on equality (so NaN drops the gradient there), as the array code's comparisons do. The winner is
// stored as row * kw + column within the window, or -1 for none.

// Kernel arguments are plain scalars (no struct crosses the launch: no layout to keep in step with Python); each
// kernel gathers them into this struct first.
struct PoolGeometry {
    long long batch;
    int h, w, c, ho, wo, kh, kw, sh, sw, rows_stage;
};

#define POOL_GEOMETRY_PARAMS long long batch, int in_h, int in_w, int chans, int out_h, int out_w, int k_h, int k_w, \
                             int s_h, int s_w, int rows_stage
#define POOL_GEOMETRY const PoolGeometry g{batch, in_h, in_w, chans, out_h, out_w, k_h, k_w, s_h, s_w, rows_stage}

// The maximum of column `col` of the window at `top` (the rows stage's value for that column).
template <typename T>
__device__ __forceinline__ T column_max(const T* __restrict__ top, const PoolGeometry& g, int col) {
    const long long row_step = (long long)g.w * g.c;
    T m = top[(long long)col * g.c];
    for (int r = 1; r < g.kh; ++r) m = nan_max(m, top[r * row_step + (long long)col * g.c]);
    return m;
}

template <typename T>
__global__ void max_pool_forward(const T* __restrict__ x, T* __restrict__ y, int* __restrict__ winners,
                                 POOL_GEOMETRY_PARAMS) {
    POOL_GEOMETRY;
    const long long n = g.batch * g.ho * g.wo * g.c;
    const long long row_step = (long long)g.w * g.c;
    for (long long idx = first_index(); idx < n; idx += index_stride()) {
        const int ch = (int)(idx % g.c);
        long long rest = idx / g.c;
        const int j = (int)(rest % g.wo);
        rest /= g.wo;
        const int i = (int)(rest % g.ho);
        const long long b = rest / g.ho;
        const T* top = x + ((b * g.h + (long long)i * g.sh) * g.w + (long long)j * g.sw) * g.c + ch;
        T best = column_max(top, g, 0);
        for (int col = 1; col < g.kw; ++col) best = nan_max(best, column_max(top, g, col));
        y[idx] = best;
        // the columns stage: the first column equal to the maximum, else the last (a one-tap stage: equality only)
        int wc = g.kw - 1;
        bool found = g.kw > 1 || column_max(top, g, 0) == best;
        for (int col = 0; col < g.kw - 1; ++col) {
            if (column_max(top, g, col) == best) { wc = col; break; }
        }
        // the rows stage in that column: the first row equal to its maximum, else the last (one tap: equality)
        const T m = column_max(top, g, wc);
        int wr = g.kh - 1;
        if (g.kh == 1 && g.rows_stage) found = found && top[(long long)wc * g.c] == m;
        for (int r = 0; r < g.kh - 1; ++r) {
            if (top[r * row_step + (long long)wc * g.c] == m) { wr = r; break; }
        }
        winners[idx] = found ? wr * g.kw + wc : -1;
    }
}

// dx[b, h, w, c] = sum over the windows holding (h, w) of their delta where (h, w) is their winner. The array
// code adds, per window row i, the windows' deltas masked by the column winner (delta * 0 where it is not: NaN
// spreads as it does there), then masks that sum by the row winner of (i, w). Both loops run taps in increasing
// order, that is windows in DEcreasing index, as the array code's tap loops do.
template <typename T>
__global__ void max_pool_backward(const T* __restrict__ delta, const int* __restrict__ winners,
                                  T* __restrict__ dx, POOL_GEOMETRY_PARAMS) {
    POOL_GEOMETRY;
    const long long n = g.batch * g.h * g.w * g.c;
    for (long long idx = first_index(); idx < n; idx += index_stride()) {
        const int ch = (int)(idx % g.c);
        long long rest = idx / g.c;
        const int w = (int)(rest % g.w);
        rest /= g.w;
        const int h = (int)(rest % g.h);
        const long long b = rest / g.h;
        T total = T(0);
        for (int r = 0; r < g.kh; ++r) {
            const int dh = h - r;
            if (dh < 0 || dh % g.sh) continue;
            const int i = dh / g.sh;
            if (i >= g.ho) continue;
            T part = T(0);
            bool row_wins = false;
            for (int col = 0; col < g.kw; ++col) {
                const int dw = w - col;
                if (dw < 0 || dw % g.sw) continue;
                const int j = dw / g.sw;
                if (j >= g.wo) continue;
                const long long o = ((b * g.ho + i) * g.wo + j) * g.c + ch;
                const int win = winners[o];
                const bool column_wins = win >= 0 && win % g.kw == col;
                part = add_rn(part, mul_rn(delta[o], column_wins ? T(1) : T(0)));
                if (column_wins) row_wins = win / g.kw == r;
            }
            total = g.rows_stage ? add_rn(total, mul_rn(part, row_wins ? T(1) : T(0))) : part;
        }
        dx[idx] = total;
    }
}

// y = mean over the window, as the array code: each column's rows summed in order and scaled by 1 / kh (rows
// stage), then those summed in order and scaled by 1 / kw.
template <typename T>
__global__ void avg_pool_forward(const T* __restrict__ x, T* __restrict__ y, POOL_GEOMETRY_PARAMS, T inv_kh,
                                 T inv_kw) {
    POOL_GEOMETRY;
    const long long n = g.batch * g.ho * g.wo * g.c;
    const long long row_step = (long long)g.w * g.c;
    for (long long idx = first_index(); idx < n; idx += index_stride()) {
        const int ch = (int)(idx % g.c);
        long long rest = idx / g.c;
        const int j = (int)(rest % g.wo);
        rest /= g.wo;
        const int i = (int)(rest % g.ho);
        const long long b = rest / g.ho;
        const T* top = x + ((b * g.h + (long long)i * g.sh) * g.w + (long long)j * g.sw) * g.c + ch;
        T sum = T(0);
        for (int col = 0; col < g.kw; ++col) {
            T column = top[(long long)col * g.c];
            if (g.rows_stage) {
                for (int r = 1; r < g.kh; ++r) column = add_rn(column, top[r * row_step + (long long)col * g.c]);
                column = mul_rn(column, inv_kh);
            }
            sum = col == 0 ? column : add_rn(sum, column);
        }
        y[idx] = mul_rn(sum, inv_kw);
    }
}

// dx: per window row i holding h, the deltas * (1 / kw) of the windows holding w, summed in tap order, then
// * (1 / kh) and summed over i in tap order (the two stages of the array code's backward).
template <typename T>
__global__ void avg_pool_backward(const T* __restrict__ delta, T* __restrict__ dx, POOL_GEOMETRY_PARAMS, T inv_kh,
                                  T inv_kw) {
    POOL_GEOMETRY;
    const long long n = g.batch * g.h * g.w * g.c;
    for (long long idx = first_index(); idx < n; idx += index_stride()) {
        const int ch = (int)(idx % g.c);
        long long rest = idx / g.c;
        const int w = (int)(rest % g.w);
        rest /= g.w;
        const int h = (int)(rest % g.h);
        const long long b = rest / g.h;
        T total = T(0);
        for (int r = 0; r < g.kh; ++r) {
            const int dh = h - r;
            if (dh < 0 || dh % g.sh) continue;
            const int i = dh / g.sh;
            if (i >= g.ho) continue;
            T part = T(0);
            for (int col = 0; col < g.kw; ++col) {
                const int dw = w - col;
                if (dw < 0 || dw % g.sw) continue;
                const int j = dw / g.sw;
                if (j >= g.wo) continue;
                part = add_rn(part, mul_rn(delta[((b * g.ho + i) * g.wo + j) * g.c + ch], inv_kw));
            }
            total = g.rows_stage ? add_rn(total, mul_rn(part, inv_kh)) : part;
        }
        dx[idx] = total;
    }
}
