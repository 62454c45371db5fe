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

// The first entry (row 0, column 0, its channel) of the window of output element idx.
template <typename T>
__device__ __forceinline__ const T* window_top(const T* __restrict__ x, const PoolGeometry& g, long long idx) {
    const Pixel o = pixel_of(idx, g.ho, g.wo, g.c);
    return x + ((o.b * g.h + (long long)o.h * g.sh) * g.w + (long long)o.w * g.sw) * g.c + o.c;
}

template <typename T>
__global__ void max_pool_forward(const T* __restrict__ x, T* __restrict__ y, int* __restrict__ winners,
                                 POOL_GEOMETRY_PARAMS) {
    POOL_GEOMETRY;
    const long long n = g.batch * g.ho * g.wo * g.c;
    const long long row_step = (long long)g.w * g.c;
    for (long long idx = first_index(); idx < n; idx += index_stride()) {
        const T* top = window_top(x, g, idx);
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

// dx[b, h, w, c] of a pool: what the windows holding (h, w) send it, gathered the way the array code's two
// backward stages add it. Per window row i holding h (taps r in increasing order, windows in DEcreasing index,
// as the array code's tap loops run), the deltas of the windows holding w are summed, each times a weight; that
// sum is added times a row weight (when the array code has a rows stage). Max pooling (MAX): the weights are 1
// or 0 by the window's winner, its column for the delta and its row for the sum; a multiply, as the array code
// masks, so 0 * NaN stays NaN. Average pooling: 1 / kw and 1 / kh.
template <typename T, bool MAX>
__device__ __forceinline__ T pooled_gradient(const T* __restrict__ delta, const int* __restrict__ winners,
                                             const PoolGeometry& g, const Pixel& p, T inv_kh, T inv_kw) {
    T total = T(0);
    for (int r = 0; r < g.kh; ++r) {
        const int i = window_of(p.h, r, g.sh, g.ho);
        if (i < 0) continue;
        T part = T(0);
        bool row_wins = false;
        for (int col = 0; col < g.kw; ++col) {
            const int j = window_of(p.w, col, g.sw, g.wo);
            if (j < 0) continue;
            const long long o = ((p.b * g.ho + i) * g.wo + j) * g.c + p.c;
            T weight = inv_kw;
            if (MAX) {
                const int win = winners[o];
                const bool column_wins = win >= 0 && win % g.kw == col;
                weight = column_wins ? T(1) : T(0);
                if (column_wins) row_wins = win / g.kw == r;
            }
            part = add_rn(part, mul_rn(delta[o], weight));
        }
        const T row_weight = MAX ? (row_wins ? T(1) : T(0)) : inv_kh;
        total = g.rows_stage ? add_rn(total, mul_rn(part, row_weight)) : part;
    }
    return total;
}

template <typename T>
__global__ void max_pool_backward(const T* __restrict__ delta, const int* __restrict__ winners,
                                  T* __restrict__ dx, POOL_GEOMETRY_PARAMS) {
    POOL_GEOMETRY;
    const long long n = g.batch * g.h * g.w * g.c;
    for (long long idx = first_index(); idx < n; idx += index_stride()) {
        dx[idx] = pooled_gradient<T, true>(delta, winners, g, pixel_of(idx, g.h, g.w, g.c), T(1), T(1));
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
        const T* top = window_top(x, g, idx);
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

template <typename T>
__global__ void avg_pool_backward(const T* __restrict__ delta, T* __restrict__ dx, POOL_GEOMETRY_PARAMS, T inv_kh,
                                  T inv_kw) {
    POOL_GEOMETRY;
    const long long n = g.batch * g.h * g.w * g.c;
    for (long long idx = first_index(); idx < n; idx += index_stride()) {
        dx[idx] = pooled_gradient<T, false>(delta, nullptr, g, pixel_of(idx, g.h, g.w, g.c), inv_kh, inv_kw);
    }
}
