// Activation forward/backward pairs (generic/activations.py), one thread per element.
//
// The eager path runs each line of the array code as its own CuPy kernel: sigmoid is three passes over memory
// (tanh, *0.5, +0.5), its backward three more. Each kernel here is one pass, with the same roundings in the same
// order (mul_rn & co., common.cuh), so it gives the eager path's bits. tanh's forward is already one CuPy kernel
// and has none here. Backward passes read the forward's output y, as the array code does.

// y = max(x, 0), NaN kept (NumPy's maximum).
template <typename T>
__global__ void relu_forward(const T* __restrict__ x, T* __restrict__ y, long long n) {
    for (long long i = first_index(); i < n; i += index_stride()) {
        T v = x[i];
        y[i] = (v > T(0) || is_nan(v)) ? v : T(0);
    }
}

// dx = delta * (y > 0): a multiply, as the array code does, so 0 * inf stays NaN.
template <typename T>
__global__ void relu_backward(const T* __restrict__ y, const T* __restrict__ delta, T* __restrict__ dx,
                              long long n) {
    for (long long i = first_index(); i < n; i += index_stride()) {
        dx[i] = mul_rn(delta[i], y[i] > T(0) ? T(1) : T(0));
    }
}

// dx = (1 - y * y) * delta
template <typename T>
__global__ void tanh_backward(const T* __restrict__ y, const T* __restrict__ delta, T* __restrict__ dx,
                              long long n) {
    for (long long i = first_index(); i < n; i += index_stride()) {
        T v = y[i];
        dx[i] = mul_rn(sub_rn(T(1), mul_rn(v, v)), delta[i]);
    }
}

// y = tanh(x * 0.5) * 0.5 + 0.5: the sigmoid without exp's overflow for large |x|
template <typename T>
__global__ void sigmoid_forward(const T* __restrict__ x, T* __restrict__ y, long long n) {
    for (long long i = first_index(); i < n; i += index_stride()) {
        y[i] = add_rn(mul_rn(tanh(mul_rn(x[i], T(0.5))), T(0.5)), T(0.5));
    }
}

// dx = (1 - y) * y * delta
template <typename T>
__global__ void sigmoid_backward(const T* __restrict__ y, const T* __restrict__ delta, T* __restrict__ dx,
                                 long long n) {
    for (long long i = first_index(); i < n; i += index_stride()) {
        T v = y[i];
        dx[i] = mul_rn(mul_rn(sub_rn(T(1), v), v), delta[i]);
    }
}
