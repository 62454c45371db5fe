// Optimizer updates (generic/updates.py), one thread per element of one parameter, in place.
//
// The array code spends 4-12 passes over memory per parameter and step; each kernel here reads the parameter,
// its gradient and its state once and writes them once, with the array code's roundings in its order.
//
// Per-step scalars (the learning rate, Adam's bias corrections) are kernel ARGUMENTS, never source text, so one
// compiled kernel serves every step and every schedule. updates.py computes them on the host exactly as the array
// code does (Python floats, then the array's dtype). adam_update_clocked instead reads them from a small device
// "clock" {step, lr} that adam_clock_tick advances on the device: a CUDA graph captured once then replays with the
// right bias correction at every step (the capture switch, updates.py).

// g = grad + wd * w;  v = momentum * v + g;  w -= lr * (g + momentum * v if nesterov else v)
// flags: 1 weight decay, 2 momentum, 4 nesterov (the array code's truthiness tests, made on the host)
template <typename T>
__global__ void sgd_update(T* __restrict__ data, const T* __restrict__ grad, T* __restrict__ velocity, long long n,
                           T neg_lr, T momentum, T weight_decay, int flags) {
    for (long long i = first_index(); i < n; i += index_stride()) {
        T w = data[i];
        T g = grad[i];
        if (flags & 1) g = add_rn(mul_rn(w, weight_decay), g);
        T direction = g;
        if (flags & 2) {
            const T v = add_rn(mul_rn(velocity[i], momentum), g);
            velocity[i] = v;
            direction = (flags & 4) ? fma_rn(momentum, v, g) : v;  // the array code's axpy(momentum, v, g)
        }
        data[i] = fma_rn(neg_lr, direction, w);  // axpy(-lr, direction, w)
    }
}

// s = rho * s + (1 - rho) * g^2;  w -= lr * g / (sqrt(s) + eps), with g = grad + wd * w (use_wd)
template <typename T>
__global__ void rmsprop_update(T* __restrict__ data, const T* __restrict__ grad, T* __restrict__ square_avg,
                               long long n, T lr, T rho, T one_minus_rho, T eps, T weight_decay, int use_wd) {
    for (long long i = first_index(); i < n; i += index_stride()) {
        const T w = data[i];
        T g = grad[i];
        if (use_wd) g = add_rn(g, mul_rn(w, weight_decay));
        const T s = add_rn(mul_rn(square_avg[i], rho), mul_rn(mul_rn(g, g), one_minus_rho));
        square_avg[i] = s;
        data[i] = sub_rn(w, mul_rn(div_rn(g, add_rn(sqrt_rn(s), eps)), lr));
    }
}

// Adam's per-step scalars, already in the array's dtype: what the array code computes on the host.
template <typename T>
struct AdamScalars {
    T beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay;
    T decay;          // 1 - lr * wd (AdamW)
    T inv_sqrt_bc2;   // 1 / sqrt(1 - beta2^t)
    T step_size;      // lr / (1 - beta1^t)
};

// mode: 0 no weight decay, 1 L2 (g = grad + wd * w, Adam), 2 decoupled (w *= 1 - lr * wd first, AdamW)
template <typename T>
__device__ __forceinline__ void adam_element(T* __restrict__ data, const T* __restrict__ grad,
                                             T* __restrict__ exp_avg, T* __restrict__ exp_avg_sq, long long i,
                                             const AdamScalars<T>& s, int mode) {
    T w = data[i];
    T g = grad[i];
    if (mode == 2) w = mul_rn(w, s.decay);
    else if (mode == 1) g = add_rn(g, mul_rn(w, s.weight_decay));
    const T m = add_rn(mul_rn(exp_avg[i], s.beta1), mul_rn(g, s.one_minus_beta1));
    const T v = add_rn(mul_rn(exp_avg_sq[i], s.beta2), mul_rn(mul_rn(g, g), s.one_minus_beta2));
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    const T denominator = add_rn(mul_rn(sqrt_rn(v), s.inv_sqrt_bc2), s.eps);
    data[i] = sub_rn(w, mul_rn(div_rn(m, denominator), s.step_size));
}

// The scalars come as separate arguments (no struct crosses the launch), in AdamScalars' order.
template <typename T>
__global__ void adam_update(T* __restrict__ data, const T* __restrict__ grad, T* __restrict__ exp_avg,
                            T* __restrict__ exp_avg_sq, long long n, T beta1, T one_minus_beta1, T beta2,
                            T one_minus_beta2, T eps, T weight_decay, T decay, T inv_sqrt_bc2, T step_size,
                            int mode) {
    const AdamScalars<T> s{beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, decay, inv_sqrt_bc2,
                           step_size};
    for (long long i = first_index(); i < n; i += index_stride()) {
        adam_element(data, grad, exp_avg, exp_avg_sq, i, s, mode);
    }
}

// The scalars of step clock[0] at learning rate clock[1], computed as updates.py's adam_scalars does (in double,
// then rounded to T). Device pow and the host's agree to a few units in the last place of a double, far below a
// float's; in double precision the two paths may differ in the last bit.
template <typename T>
__device__ __forceinline__ AdamScalars<T> clocked_scalars(const double* __restrict__ clock, double beta1,
                                                         double beta2, double eps, double weight_decay) {
    const double t = clock[0], lr = clock[1];
    AdamScalars<T> s;
    s.beta1 = T(beta1);
    s.one_minus_beta1 = T(1.0 - beta1);
    s.beta2 = T(beta2);
    s.one_minus_beta2 = T(1.0 - beta2);
    s.eps = T(eps);
    s.weight_decay = T(weight_decay);
    s.decay = T(1.0 - lr * weight_decay);
    s.inv_sqrt_bc2 = T(1.0 / sqrt(1.0 - pow(beta2, t)));
    s.step_size = T(lr / (1.0 - pow(beta1, t)));
    return s;
}

template <typename T>
__global__ void adam_update_clocked(T* __restrict__ data, const T* __restrict__ grad, T* __restrict__ exp_avg,
                                    T* __restrict__ exp_avg_sq, long long n, const double* __restrict__ clock,
                                    double beta1, double beta2, double eps, double weight_decay, int mode) {
    const AdamScalars<T> s = clocked_scalars<T>(clock, beta1, beta2, eps, weight_decay);
    for (long long i = first_index(); i < n; i += index_stride()) {
        adam_element(data, grad, exp_avg, exp_avg_sq, i, s, mode);
    }
}

// One thread: the clock moves to the next step (launched before adam_update_clocked, in the same stream).
__global__ void adam_clock_tick(double* __restrict__ clock) {
    if (first_index() == 0) clock[0] += 1.0;
}

// One thread: the clock set from the host's step count and learning rate (kernel arguments: no host copy).
__global__ void adam_clock_set(double* __restrict__ clock, double step, double lr) {
    if (first_index() == 0) {
        clock[0] = step;
        clock[1] = lr;
    }
}
