// The fold of a tiled convolution (col2im's generalisation, generic/tiles.py conv_fold) in ONE kernel: one thread
// per element of the padded input gradient (batch, Hp, Wp, C), gathering the tile entries that land on it.
//
// rows is (batch * Ho * G, kh * Wt * C), viewed as (batch, Ho, G, kh, Wt, C): tile t of output row i reads input
// row i * sh + p for its kernel row p and input columns t * step + [0, Wt), step = g * sw. The array code adds,
// for each kernel row p, q "phases" of tiles (tiles t = phase mod q never overlap); at most one tile of a phase
// covers a column. This kernel adds the same entries in the same order (p outer, phase inner), so it gives the
// array code's bits without its kh * q strided passes over the whole gradient or its zero fill.

struct FoldGeometry {
    long long batch;
    int hp, wp, c, ho, tiles, kh, wt, sh, step, q;
};

// Arguments are plain scalars (no struct crosses the launch), gathered into FoldGeometry first.
template <typename T>
__global__ void conv_fold(const T* __restrict__ rows, T* __restrict__ out, long long batch, int hp, int wp, int c,
                          int ho, int tiles, int kh, int wt, int sh, int step, int q) {
    const FoldGeometry g{batch, hp, wp, c, ho, tiles, kh, wt, sh, step, q};
    const long long n = g.batch * g.hp * g.wp * g.c;
    for (long long idx = first_index(); idx < n; idx += index_stride()) {
        const Pixel x = pixel_of(idx, g.hp, g.wp, g.c);
        int last_tile = x.w / g.step;  // the last tile starting at or before column x.w
        if (last_tile > g.tiles - 1) last_tile = g.tiles - 1;
        T acc = T(0);
        for (int p = 0; p < g.kh; ++p) {
            const int i = window_of(x.h, p, g.sh, g.ho);  // the output row whose kernel row p reads x.h
            if (i < 0) continue;
            for (int phase = 0; phase < g.q; ++phase) {
                // the phase's last tile at or before last_tile: the only one of the phase that can cover x.w
                const int t = last_tile - (((last_tile - phase) % g.q) + g.q) % g.q;
                const int col = x.w - t * g.step;
                if (t < 0 || col >= g.wt) continue;
                acc = add_rn(acc, rows[((((x.b * g.ho + i) * g.tiles + t) * g.kh + p) * (long long)g.wt + col)
                                       * g.c + x.c]);
            }
        }
        out[idx] = acc;
    }
}
