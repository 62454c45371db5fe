// Helpers every kernel family shares; sources.py puts this text in front of each family's file before compiling.
//
// Rounded arithmetic. Each helper is ONE IEEE operation rounded to nearest, never contracted with its neighbours
// into a fused multiply-add. A fused kernel written with them reproduces, bit for bit, the chain of one-operation
// CuPy kernels it replaces (generic/*.py run on CuPy), so switching kernels on changes no result. fma_rn is the
// one deliberate fusion: CupyBackend.axpy, the eager path's y += alpha * x, is itself one fma. CuPy compiles
// these kernels, like its own, with -ftz=true: float32 results below the smallest normal number are flushed to
// zero on both paths alike.

__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float sub_rn(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ double sub_rn(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ float div_rn(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ double div_rn(double a, double b) { return __ddiv_rn(a, b); }
__device__ __forceinline__ float sqrt_rn(float a) { return __fsqrt_rn(a); }
__device__ __forceinline__ double sqrt_rn(double a) { return __dsqrt_rn(a); }
__device__ __forceinline__ float fma_rn(float a, float b, float c) { return __fmaf_rn(a, b, c); }
__device__ __forceinline__ double fma_rn(double a, double b, double c) { return __fma_rn(a, b, c); }

template <typename T> __device__ __forceinline__ bool is_nan(T v) { return v != v; }

// NumPy's maximum(a, b): a NaN on either side wins.
template <typename T> __device__ __forceinline__ T nan_max(T a, T b) { return (a > b || is_nan(a)) ? a : b; }

template <typename T> __device__ __forceinline__ T quiet_nan();
template <> __device__ __forceinline__ float quiet_nan<float>() { return __int_as_float(0x7fc00000); }
template <> __device__ __forceinline__ double quiet_nan<double>() { return __longlong_as_double(0x7ff8000000000000LL); }

// generic/softmax.py's exp_without_denormals: exp(s) for s >= floor, else an exact 0 (so is NaN).
template <typename T> __device__ __forceinline__ T exp_clipped(T s, T floor) { return s >= floor ? exp(s) : T(0); }

// Grid-stride loops: any launch geometry visits every index once, so the Python side may size grids freely.
__device__ __forceinline__ long long first_index() { return (long long)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long index_stride() { return (long long)blockDim.x * gridDim.x; }

// The (batch, row, column, channel) of flat index idx of a channels-last (batch, rows, cols, chans) array.
struct Pixel {
    long long b;
    int h, w, c;
};
__device__ __forceinline__ Pixel pixel_of(long long idx, int rows, int cols, int chans) {
    Pixel p;
    p.c = (int)(idx % chans);
    idx /= chans;
    p.w = (int)(idx % cols);
    idx /= cols;
    p.h = (int)(idx % rows);
    p.b = idx / rows;
    return p;
}

// The window (among `count` windows at `stride`) whose tap `tap` reads position `pos` of an axis, or -1.
__device__ __forceinline__ int window_of(int pos, int tap, int stride, int count) {
    const int d = pos - tap;
    if (d < 0 || d % stride) return -1;
    const int i = d / stride;
    return i < count ? i : -1;
}
