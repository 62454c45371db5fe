// Softmax, log-softmax and the softmax cross-entropy (generic/softmax.py), along the last axis.
//
// One thread per row, the row's classes in a loop: a classification head has few classes (10 in every workload),
// so a row fits one thread's registers and cache lines, and the eager path's 12-15 kernels per loss (max, shift,
// clip, exp, sum, log, pick, mean, and as many for the gradient) become two (forward: cross_entropy's rows, then
// scaled_sum's mean) and one (backward). softmax.py sends rows wider than ROW_KERNEL_MAX_COLUMNS to the array
// code, where many threads per row pay. Maxima and elementwise steps are exact mirrors of the array code; the row
// sums add left to right where CuPy's reduction adds in a tree, so results agree to rounding, not to the bit.

template <typename T>
__device__ __forceinline__ T row_max(const T* __restrict__ row, long long cols) {
    T m = row[0];
    for (long long j = 1; j < cols; ++j) m = nan_max(m, row[j]);
    return m;
}

// sum_j exp_clipped(row_j - m)
template <typename T>
__device__ __forceinline__ T shifted_exp_sum(const T* __restrict__ row, long long cols, T m, T floor) {
    T s = T(0);
    for (long long j = 0; j < cols; ++j) s = add_rn(s, exp_clipped(sub_rn(row[j], m), floor));
    return s;
}

// out_j = row_j - m - log(sum_k exp(row_k - m)): one row of log_softmax
template <typename T>
__device__ __forceinline__ void log_softmax_row(const T* __restrict__ row, T* __restrict__ out, long long cols,
                                                T floor) {
    T m = row_max(row, cols);
    T log_sum = log(shifted_exp_sum(row, cols, m, floor));
    for (long long j = 0; j < cols; ++j) out[j] = sub_rn(sub_rn(row[j], m), log_sum);
}

template <typename T>
__global__ void softmax_rows(const T* __restrict__ x, T* __restrict__ y, long long rows, long long cols, T floor) {
    for (long long r = first_index(); r < rows; r += index_stride()) {
        const T* row = x + r * cols;
        T* out = y + r * cols;
        T m = row_max(row, cols);
        T s = T(0);
        for (long long j = 0; j < cols; ++j) {
            T e = exp_clipped(sub_rn(row[j], m), floor);
            out[j] = e;
            s = add_rn(s, e);
        }
        for (long long j = 0; j < cols; ++j) out[j] = div_rn(out[j], s);
    }
}

template <typename T>
__global__ void log_softmax_rows(const T* __restrict__ x, T* __restrict__ y, long long rows, long long cols,
                                 T floor) {
    for (long long r = first_index(); r < rows; r += index_stride()) {
        log_softmax_row(x + r * cols, y + r * cols, cols, floor);
    }
}

// dx = (delta - sum_j delta_j s_j) * s, s = softmax(x)
template <typename T>
__global__ void softmax_backward_rows(const T* __restrict__ s, const T* __restrict__ delta, T* __restrict__ dx,
                                      long long rows, long long cols) {
    for (long long r = first_index(); r < rows; r += index_stride()) {
        const T* sr = s + r * cols;
        const T* dr = delta + r * cols;
        T dot = T(0);
        for (long long j = 0; j < cols; ++j) dot = add_rn(dot, mul_rn(dr[j], sr[j]));
        for (long long j = 0; j < cols; ++j) dx[r * cols + j] = mul_rn(sub_rn(dr[j], dot), sr[j]);
    }
}

// dx = delta - exp(y) * sum_j delta_j, y = log_softmax(x)
template <typename T>
__global__ void log_softmax_backward_rows(const T* __restrict__ y, const T* __restrict__ delta, T* __restrict__ dx,
                                          long long rows, long long cols, T floor) {
    for (long long r = first_index(); r < rows; r += index_stride()) {
        const T* yr = y + r * cols;
        const T* dr = delta + r * cols;
        T total = T(0);
        for (long long j = 0; j < cols; ++j) total = add_rn(total, dr[j]);
        for (long long j = 0; j < cols; ++j) dx[r * cols + j] = sub_rn(dr[j], mul_rn(exp_clipped(yr[j], floor), total));
    }
}

// A label as a column: negative labels count from the end (NumPy's indexing); outside [-cols, cols) it is -1.
template <typename L>
__device__ __forceinline__ long long label_column(L label, long long cols) {
    long long c = (long long)label;
    if (c < 0) c += cols;
    return (c >= 0 && c < cols) ? c : -1;
}

// What row r's targets pick from its log-probabilities: log_p[label] for integer labels (NaN for one out of
// range), sum_j y_j log_p_j for soft targets (the same type as the logits; overload resolution picks this one).
template <typename T, typename L>
__device__ __forceinline__ T picked_log_p(const L* __restrict__ labels, const T* __restrict__ log_p, long long r,
                                          long long cols) {
    const long long c = label_column(labels[r], cols);
    return c >= 0 ? log_p[c] : quiet_nan<T>();
}

template <typename T>
__device__ __forceinline__ T picked_log_p(const T* __restrict__ targets, const T* __restrict__ log_p, long long r,
                                          long long cols) {
    T s = T(0);
    for (long long j = 0; j < cols; ++j) s = add_rn(s, mul_rn(targets[r * cols + j], log_p[j]));
    return s;
}

// The loss forward, rows: log_p = log_softmax(logits), picked[r] = what row r's targets pick from it. Y: the
// labels' integer type, or T for soft targets (batch, classes).
template <typename T, typename Y>
__global__ void cross_entropy(const T* __restrict__ logits, const Y* __restrict__ targets, T* __restrict__ log_p,
                              T* __restrict__ picked, long long rows, long long cols, T floor) {
    for (long long r = first_index(); r < rows; r += index_stride()) {
        T* out = log_p + r * cols;
        log_softmax_row(logits + r * cols, out, cols, floor);
        picked[r] = picked_log_p(targets, out, r, cols);
    }
}

// out[0] = scale * sum_i values[i], in ONE block: each thread adds a strided share, then a tree in shared memory.
// Deterministic (same order every run) where an atomicAdd over blocks would not be. blockDim.x: a power of two,
// at most 256.
template <typename T>
__global__ void scaled_sum(const T* __restrict__ values, T* __restrict__ out, long long n, T scale) {
    __shared__ T partial[256];
    T s = T(0);
    for (long long i = threadIdx.x; i < n; i += blockDim.x) s = add_rn(s, values[i]);
    partial[threadIdx.x] = s;
    __syncthreads();
    for (unsigned int width = blockDim.x / 2; width > 0; width /= 2) {
        if (threadIdx.x < width) partial[threadIdx.x] = add_rn(partial[threadIdx.x], partial[threadIdx.x + width]);
        __syncthreads();
    }
    if (threadIdx.x == 0) out[0] = mul_rn(partial[0], scale);
}

// Backward on labels, one thread per element: g = (exp(log_p) - [j == label]) * inv_batch (NaN rows for a label
// out of range, as their loss is NaN).
template <typename T, typename L>
__global__ void cross_entropy_labels_backward(const T* __restrict__ log_p, const L* __restrict__ labels,
                                              T* __restrict__ g, long long rows, long long cols, T inv_batch,
                                              T floor) {
    long long n = rows * cols;
    for (long long i = first_index(); i < n; i += index_stride()) {
        long long r = i / cols;
        long long c = label_column(labels[r], cols);
        T e = exp_clipped(log_p[i], floor);
        if (c < 0) e = quiet_nan<T>();
        else if (i - r * cols == c) e = sub_rn(e, T(1));
        g[i] = mul_rn(e, inv_batch);
    }
}

// Backward on soft targets, one thread per row: g = (exp(log_p) * sum_j y_j - y) * inv_batch (soft targets need
// not sum to one).
template <typename T>
__global__ void cross_entropy_soft_backward(const T* __restrict__ log_p, const T* __restrict__ targets,
                                            T* __restrict__ g, long long rows, long long cols, T inv_batch,
                                            T floor) {
    for (long long r = first_index(); r < rows; r += index_stride()) {
        const T* y = targets + r * cols;
        T total = T(0);
        for (long long j = 0; j < cols; ++j) total = add_rn(total, y[j]);
        for (long long j = 0; j < cols; ++j) {
            long long i = r * cols + j;
            g[i] = mul_rn(sub_rn(mul_rn(exp_clipped(log_p[i], floor), total), y[j]), inv_batch);
        }
    }
}
