#include "kernels/quant/quantize_common.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "base/error.h"
#include "kernels/cpu.h"
#include "kernels/quant/blocks.h"

namespace exaone::kernels::quant::detail {
namespace {

// Midpoints between neighbouring IQ4 table values, and the steps between them.
constexpr std::array<float, 15> MakeIq4Mid() {
  std::array<float, 15> m{};
  for (int k = 0; k < 15; ++k)
    m[k] = 0.5f * static_cast<float>(kIq4NlValues[k] + kIq4NlValues[k + 1]);
  return m;
}
constexpr std::array<float, 15> MakeIq4Step() {
  std::array<float, 15> m{};
  for (int k = 0; k < 15; ++k) m[k] = static_cast<float>(kIq4NlValues[k + 1] - kIq4NlValues[k]);
  return m;
}
constexpr std::array<float, 15> kIq4Mid = MakeIq4Mid();
constexpr std::array<float, 15> kIq4Step = MakeIq4Step();

using F8 = float __attribute__((vector_size(32)));
using F8u = float __attribute__((vector_size(32), aligned(4), may_alias));
#define EXA_LD8(p) (*reinterpret_cast<const F8u*>(p))
#define EXA_ST8(p, v) (*reinterpret_cast<F8u*>(p) = (v))
#define EXA_SPLAT8(v) (F8{(v), (v), (v), (v), (v), (v), (v), (v)})
#define EXA_MIN8(a, b) ((a) < (b) ? (a) : (b))
#define EXA_MAX8(a, b) ((a) > (b) ? (a) : (b))
// Nearest integer, ties to even (the default rounding mode), for |v| < 2^22.
#define EXA_ROUND8(v) (((v) + 12582912.0f) - 12582912.0f)
// ((v0 + v4) + (v1 + v5)) + ((v2 + v6) + (v3 + v7)), by halves.
using F4 = float __attribute__((vector_size(16)));
#define EXA_HSUM8(v)                                        \
  HSum8Impl(__builtin_shufflevector((v), (v), 0, 1, 2, 3) + \
            __builtin_shufflevector((v), (v), 4, 5, 6, 7))
inline float HSum8Impl(F4 h) {
  const F4 g = h + __builtin_shufflevector(h, h, 1, 0, 3, 2);
  return g[0] + g[2];
}

namespace generic {
#define EXA_QK_TARGET
#include "kernels/quant/quantize_kernels.inc"
#undef EXA_QK_TARGET
}  // namespace generic

#if defined(__x86_64__) || defined(__i386__)
namespace avx2 {
#define EXA_QK_TARGET __attribute__((target("avx2")))
#include "kernels/quant/quantize_kernels.inc"
#undef EXA_QK_TARGET
}  // namespace avx2
#endif

struct KernelTable {
  decltype(&generic::GridAffine) grid_affine;
  decltype(&generic::ShiftAffine) shift_affine;
  decltype(&generic::GridLinear) grid_linear;
  decltype(&generic::LevelsLinear) levels_linear;
  decltype(&generic::ErrAffine) err_affine;
  decltype(&generic::ErrLinear) err_linear;
  decltype(&generic::GridNonLinear) grid_nonlinear;
  decltype(&generic::ErrNonLinear) err_nonlinear;
  decltype(&generic::ScaleCost) scale_cost;
};

constexpr KernelTable kGeneric = {
    generic::GridAffine,    generic::ShiftAffine,  generic::GridLinear,
    generic::LevelsLinear,  generic::ErrAffine,    generic::ErrLinear,
    generic::GridNonLinear, generic::ErrNonLinear, generic::ScaleCost};
#if defined(__x86_64__) || defined(__i386__)
constexpr KernelTable kAvx2 = {avx2::GridAffine,    avx2::ShiftAffine,  avx2::GridLinear,
                               avx2::LevelsLinear,  avx2::ErrAffine,    avx2::ErrLinear,
                               avx2::GridNonLinear, avx2::ErrNonLinear, avx2::ScaleCost};
#endif

// The table for the active SIMD target (both give the same results).
const KernelTable& Kernels() {
#if defined(__x86_64__) || defined(__i386__)
  if (ActiveTarget() != SimdTarget::kScalar) return kAvx2;
#endif
  return kGeneric;
}

constexpr int kMaxSub = 32;

// Least-squares fits are equivariant under scaling x and (separately) w by powers of two, so a
// sub-block far from max |x| ~ 1 and max w ~ 1 (a sub-block of tiny values inside a super-block
// of large ones, extreme importance weights) is fitted in a rescaled frame, where nothing
// overflows or underflows; any other is fitted as it is. All-zero weights become ones: any fit
// is then as good as another, so the unweighted one is used. amax_x must be > 0.
struct Frame {
  const float* x;
  const float* w;
  int exp = 0;  // results are scaled back by 2^exp
};
Frame LocalFrame(const float* x, const float* w, int n, float amax_x, float* xs, float* ws) {
  float wmax = 0;
  for (int i = 0; i < n; ++i) wmax = std::max(wmax, w[i]);
  constexpr float kLo = 0x1p-30f, kHi = 0x1p30f;
  Frame f{x, w, 0};
  if (amax_x < kLo || amax_x > kHi) {
    int ex;
    std::frexp(amax_x, &ex);
    f.exp = ex - 1;
    for (int i = 0; i < n; ++i) xs[i] = Pow2Scale(x[i], -f.exp);
    f.x = xs;
  }
  if (wmax == 0) {
    for (int i = 0; i < n; ++i) ws[i] = 1;
    f.w = ws;
  } else if (wmax < kLo || wmax > kHi) {
    int ew;
    std::frexp(wmax, &ew);
    for (int i = 0; i < n; ++i) ws[i] = Pow2Scale(w[i], 1 - ew);
    f.w = ws;
  }
  return f;
}

struct Sums {
  double w = 0, x = 0, xx = 0;
};

Sums FixedSums(const float* x, const float* w, int n) {
  Sums s;
  for (int i = 0; i < n; ++i) {
    s.w += w[i];
    s.x += static_cast<double>(w[i]) * x[i];
    s.xx += static_cast<double>(w[i]) * x[i] * x[i];
  }
  return s;
}

// Weighted least squares for value = s * l + o (o at most o_max) given sum w l, sum w l^2 and
// sum w l x; the fit's error in closed form. Only a fit with an error below `bound` is solved
// for s and o (and returns true): the unconstrained error needs a single division.
bool SolveAffine(const Sums& f, double l, double ll, double lx, double o_max, float bound,
                 AffineFit* fit) {
  const double det = f.w * ll - l * l;
  if (!(det > 0)) return false;
  const double o_num = ll * f.x - l * lx;
  double s, o, err;
  if (o_num <= o_max * det) {
    // At the optimum s * lx + o * x = (w lx^2 - 2 x l lx + ll x^2) / det.
    err = f.xx - (f.w * lx * lx - 2 * f.x * l * lx + ll * f.x * f.x) / det;
    if (!(err < bound)) return false;
    s = (f.w * lx - f.x * l) / det;
    o = o_num / det;
  } else {
    o = o_max;
    s = (lx - o * l) / ll;
    err = f.xx - 2 * s * lx - 2 * o * f.x + s * s * ll + 2 * s * o * l + o * o * f.w;
    if (!(err < bound)) return false;
  }
  if (!(s > 0)) return false;
  fit->scale = static_cast<float>(s);
  fit->offset = static_cast<float>(o);
  fit->err = static_cast<float>(std::max(err, 0.0));
  return true;
}

// Nearest integer, ties to even, for |v| < 2^22.
float RoundNearest(float v) {
  return (v + 12582912.0f) - 12582912.0f;
}

// The grid's inverse scales (levels + first + step * k) / range, k < count.
int GridInv(Grid g, float levels, float range, float* inv) {
  EXA_CHECK(g.count > 0 && g.count <= 64);
  const float r = 1 / range;
  for (int k = 0; k < g.count; ++k) {
    inv[k] = (levels + g.first + g.step * static_cast<float>(k)) * r;
  }
  return g.count;
}

}  // namespace

Normalized Normalize(const float* x, size_t n, float* out) {
  // The largest magnitude by its bit pattern (for non-negative floats the integer order is the
  // float order); an exponent of all ones means inf or NaN.
  uint32_t max_bits = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t b;
    std::memcpy(&b, x + i, sizeof b);
    b &= 0x7fffffffu;
    max_bits = b > max_bits ? b : max_bits;
  }
  if (max_bits >= 0x7f800000u) {
    throw Error(ErrorCode::kInvalidArgument, "cannot quantize a non-finite value");
  }
  float amax;
  std::memcpy(&amax, &max_bits, sizeof amax);
  Normalized r;
  if (amax == 0) {
    for (size_t i = 0; i < n; ++i) out[i] = 0;
    return r;
  }
  int e;
  std::frexp(amax, &e);
  r.exp = e - 1;
  if (-r.exp >= -126 && -r.exp <= 127) {
    const float m = Pow2(-r.exp);
    for (size_t i = 0; i < n; ++i) out[i] = x[i] * m;
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = std::ldexp(x[i], -r.exp);
  }
  r.amax = Pow2Scale(amax, -r.exp);
  return r;
}

AffineFit FitAffine(const float* x_in, const float* w_in, int n, int nmax, Grid grid,
                    bool offset_nonpos, float* levels) {
  EXA_CHECK(n % 4 == 0 && n <= kMaxSub && grid.count > 0);
  AffineFit best;
  float amax = 0;
  for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x_in[i]));
  if (amax == 0) {
    for (int i = 0; i < n; ++i) levels[i] = 0;
    return best;
  }
  alignas(16) float xs[kMaxSub], ws[kMaxSub], xm[kMaxSub];
  const Frame fr = LocalFrame(x_in, w_in, n, amax, xs, ws);
  const float* x = fr.x;
  const float* w = fr.w;
  float mn = x[0], mx = x[0];
  for (int i = 1; i < n; ++i) {
    mn = std::min(mn, x[i]);
    mx = std::max(mx, x[i]);
  }
  if (offset_nonpos && mn > 0) mn = 0;
  if (mx == mn) {  // every value equals mn
    for (int i = 0; i < n; ++i) levels[i] = 0;
    best.offset = Pow2Scale(mn, fr.exp);
    return best;
  }
  // Work on xm = x - mn >= 0, so the grid's levels need no lower clamp; offsets found are
  // relative to mn.
  for (int i = 0; i < n; ++i) xm[i] = x[i] - mn;
  const Sums f = FixedSums(xm, w, n);
  const double o_max =
      offset_nonpos ? -static_cast<double>(mn) : std::numeric_limits<double>::infinity();
  best.err = std::numeric_limits<float>::infinity();
  float best_shift = 0, best_inv = 0;
  const float range = mx - mn;
  const KernelTable& k = Kernels();
  float inv[64], sl[64], sll[64], slx[64];
  const int count = GridInv(grid, static_cast<float>(nmax), range, inv);
  k.grid_affine(xm, w, n, static_cast<float>(nmax), inv, count, sl, sll, slx);
  for (int c = 0; c < count; ++c) {
    AffineFit fit;
    if (SolveAffine(f, sl[c], sll[c], slx[c], o_max, best.err, &fit)) {
      best = fit;
      best_shift = 0;
      best_inv = inv[c];
    }
  }
  // Alternate: re-round for the fitted scale and offset, re-fit, while the error drops.
  for (int it = 0; it < 4 && best.scale > 0; ++it) {
    float sums[3];
    k.shift_affine(xm, w, n, static_cast<float>(nmax), best.offset, 1 / best.scale, sums, nullptr);
    AffineFit fit;
    if (!SolveAffine(f, sums[0], sums[1], sums[2], o_max, best.err, &fit)) break;
    best_shift = best.offset;
    best_inv = 1 / best.scale;
    best = fit;
  }
  if (!(best.scale > 0)) {  // no grid point had two distinct levels: plain min/max mapping
    best.scale = range / static_cast<float>(nmax);
    best.offset = 0;
    best.err = 0;
    best_shift = 0;
    best_inv = 1 / best.scale;
  }
  k.shift_affine(xm, w, n, static_cast<float>(nmax), best_shift, best_inv, nullptr, levels);
  best.scale = Pow2Scale(best.scale, fr.exp);
  best.offset = Pow2Scale(best.offset + mn, fr.exp);
  return best;
}

LinearFit FitLinear(const float* x_in, const float* w_in, int n, int nmax, Grid grid,
                    float* levels) {
  EXA_CHECK(n % 4 == 0 && n <= kMaxSub && grid.count > 0);
  LinearFit best;
  float amax = 0, vmax = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x_in[i]) > amax) {
      amax = std::fabs(x_in[i]);
      vmax = x_in[i];
    }
  }
  if (amax == 0) {
    for (int i = 0; i < n; ++i) levels[i] = 0;
    return best;
  }
  alignas(16) float xs[kMaxSub], ws[kMaxSub];
  const Frame fr = LocalFrame(x_in, w_in, n, amax, xs, ws);
  const float* x = fr.x;
  const float* w = fr.w;
  vmax = Pow2Scale(vmax, -fr.exp);
  // The error is sum w x^2 - (sum w l x)^2 / sum w l^2: maximise the second term.
  double best_gain = -1;
  float best_inv = 0;
  auto consider = [&](float a, float b, float inv) {
    if (!(a > 0)) return false;
    const double gain = static_cast<double>(b) * b / a;
    if (!(gain > best_gain)) return false;
    best_gain = gain;
    best_inv = inv;
    best.scale = b / a;
    return true;
  };
  // The value of largest magnitude maps onto the bottom level, give or take the grid.
  const KernelTable& k = Kernels();
  const float lo = static_cast<float>(-nmax), hi = static_cast<float>(nmax - 1);
  float inv[64], sll[64], slx[64];
  const int count = GridInv(grid, static_cast<float>(nmax), -vmax, inv);
  k.grid_linear(x, w, n, lo, hi, inv, count, sll, slx);
  for (int c = 0; c < count; ++c) consider(sll[c], slx[c], inv[c]);
  for (int it = 0; it < 4 && best.scale != 0; ++it) {
    const float iv = 1 / best.scale;
    k.grid_linear(x, w, n, lo, hi, &iv, 1, sll, slx);
    if (!consider(sll[0], slx[0], iv)) break;
  }
  k.levels_linear(x, n, lo, hi, best_inv, levels);
  best.err = static_cast<float>(std::max(FixedSums(x, w, n).xx - best_gain, 0.0));
  best.scale = Pow2Scale(best.scale, fr.exp);
  return best;
}

void ErrAffine(const float* x, const float* w, int n, int nmax, const float* d, const float* off,
               int count, float* err) {
  EXA_CHECK(n % 8 == 0);
  Kernels().err_affine(x, w, n, static_cast<float>(nmax), d, off, count, err);
}

void LevelsAffine(const float* x, int n, int nmax, float d, float off, float* levels) {
  EXA_CHECK(n % 8 == 0);
  // The kernel computes (x - shift) * inv; the unused weights are the values themselves.
  Kernels().shift_affine(x, x, n, static_cast<float>(nmax), off, d != 0 ? 1 / d : 0, nullptr,
                         levels);
}

void ErrLinear(const float* x, const float* w, int n, int nmax, const float* d, int count,
               float* err) {
  EXA_CHECK(n % 8 == 0);
  Kernels().err_linear(x, w, n, static_cast<float>(-nmax), static_cast<float>(nmax - 1), d, count,
                       err);
}

void LevelsLinear(const float* x, int n, int nmax, float d, float* levels) {
  EXA_CHECK(n % 8 == 0);
  Kernels().levels_linear(x, n, static_cast<float>(-nmax), static_cast<float>(nmax - 1),
                          d != 0 ? 1 / d : 0, levels);
}

void GridNonLinear(const float* x, const float* w, int n, const float* inv, int count, float* sqx,
                   float* sqq) {
  EXA_CHECK(n % 8 == 0);
  Kernels().grid_nonlinear(x, w, n, inv, count, sqx, sqq);
}

void ErrNonLinear(const float* x, const float* w, int n, const float* d, int count, float* err) {
  EXA_CHECK(n % 8 == 0);
  Kernels().err_nonlinear(x, w, n, d, count, err);
}

uint16_t QuantizeScales(const float* s, const float* a, int nsub, int qmin, int qmax, int exp,
                        int* q) {
  EXA_CHECK(nsub % 8 == 0 && nsub <= 16);
  float amax = 0, ref = 0;
  for (int j = 0; j < nsub; ++j) {
    if (std::fabs(s[j]) > amax) {
      amax = std::fabs(s[j]);
      ref = s[j];
    }
  }
  if (amax == 0) {
    for (int j = 0; j < nsub; ++j) q[j] = 0;
    return 0;
  }
  const float lo = static_cast<float>(qmin), hi = static_cast<float>(qmax);
  // Candidate super-block scales as fp16 bits (consecutive duplicates dropped), scored in
  // batches by the kernel.
  uint16_t halves[96];
  float dq[96], cost[96];
  int nh = 0;
  auto add = [&](uint16_t h) {
    if (nh > 0 && halves[nh - 1] == h) return;
    halves[nh] = h;
    dq[nh] = F16ToScale(h, exp);
    ++nh;
  };
  uint16_t best_h = 0;
  float best_cost = std::numeric_limits<float>::infinity();
  auto score = [&] {
    Kernels().scale_cost(s, a, nsub, lo, hi, dq, nh, cost);
    for (int c = 0; c < nh; ++c) {
      if (cost[c] < best_cost) {
        best_cost = cost[c];
        best_h = halves[c];
      }
    }
    nh = 0;
  };
  // The largest scale maps onto the end level with the most room (the bottom one for signed
  // scales), give or take a fraction of a step.
  const float top = static_cast<float>(qmin < 0 ? qmin : qmax);
  for (int k = -10; k <= 10; ++k) {
    add(ScaleToF16(ref / (top + (top > 0 ? 0.1f : -0.1f) * static_cast<float>(k)), exp));
  }
  // A lower level for the largest scale, with a larger super-block scale, sometimes represents
  // all scales better: the fp16 rounding of the super-block scale then falls differently, and
  // when that scale is an fp16 subnormal (as for small weights), the larger one is stored more
  // precisely (worth going down to half the top level then).
  const int end = static_cast<int>(top), step = end > 0 ? 1 : -1;
  const bool subnormal = std::fabs(Pow2Scale(ref / top, exp)) < 0x1p-14f;
  const int stop = subnormal ? std::abs(end) / 2 : std::abs(end) * 3 / 4;
  for (int l = end - step; std::abs(l) > stop && nh < 96; l -= step) {
    add(ScaleToF16(ref / static_cast<float>(l), exp));
  }
  score();
  // Least-squares refit of the super-block scale to the integer scales it gave.
  for (int it = 0; it < 2; ++it) {
    const float d = F16ToScale(best_h, exp);
    if (d == 0) break;
    double num = 0, den = 0;
    for (int j = 0; j < nsub; ++j) {
      const float l = RoundNearest(std::clamp(s[j] / d, lo, hi));
      num += static_cast<double>(a[j]) * s[j] * l;
      den += static_cast<double>(a[j]) * l * l;
    }
    if (!(den > 0)) break;
    const uint16_t h = ScaleToF16(static_cast<float>(num / den), exp), prev = best_h;
    add(h);
    if ((h & 0x7fff) > 0) add(static_cast<uint16_t>(h - 1));
    if ((h & 0x7fff) < 0x7bff) add(static_cast<uint16_t>(h + 1));
    score();
    if (best_h == prev) break;
  }
  const float d = F16ToScale(best_h, exp);
  const float inv = d != 0 ? 1 / d : 0;
  for (int j = 0; j < nsub; ++j)
    q[j] = static_cast<int>(RoundNearest(std::clamp(s[j] * inv, lo, hi)));
  return best_h;
}

}  // namespace exaone::kernels::quant::detail
