// Quantizers for the non-linear 4-bit types: IQ4_NL (blocks of 32, one fp16 scale) and IQ4_XS
// (super-blocks of 256: eight 6-bit signed sub-block scales under one fp16 scale). A value is
// scale * kIq4NlValues[index].
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/error.h"
#include "base/half.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/quantize_common.h"

namespace exaone::kernels::quant::detail {
namespace {

// Nearest table index for v, by half-unit cells: every midpoint between two neighbouring table
// values is a multiple of 0.5, so a cell [k / 2, (k + 1) / 2) lies wholly on one side of it (a
// value exactly on a midpoint takes the upper entry).
constexpr std::array<uint8_t, 512> MakeNearestTable() {
  std::array<uint8_t, 512> t{};
  for (int k = 0; k < 512; ++k) {
    const int twice = k - 256;  // cell start, in half units
    int idx = 0;
    for (int j = 0; j + 1 < 16; ++j) {
      if (twice >= kIq4NlValues[j] + kIq4NlValues[j + 1]) idx = j + 1;
    }
    t[k] = static_cast<uint8_t>(idx);
  }
  return t;
}
constexpr std::array<uint8_t, 512> kNearest = MakeNearestTable();

inline int NearestIndex(float v) {
  const float c = std::clamp(2 * v + 256.0f, 0.0f, 511.0f);  // NaN-free for finite v
  return kNearest[static_cast<int>(c)];
}

constexpr int kMaxSub = 32;

void NearestIndices(const float* x, int n, float inv, uint8_t* idx) {
  for (int i = 0; i < n; ++i) idx[i] = static_cast<uint8_t>(NearestIndex(x[i] * inv));
}

// Best scale for x[n] (weights w) over a grid of inverse scales, refined by re-mapping with the
// fitted scale; writes the indices.
float FitGrid(const float* x_in, const float* w_in, int n, uint8_t* idx) {
  float amax = 0, vmax = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x_in[i]) > amax) {
      amax = std::fabs(x_in[i]);
      vmax = x_in[i];
    }
  }
  if (amax == 0) {
    for (int i = 0; i < n; ++i) idx[i] = 8;  // value 1 * scale 0
    return 0;
  }
  // The fit is equivariant under powers of two: work with max |x| and max w in [1, 2).
  int ex;
  std::frexp(amax, &ex);
  --ex;
  alignas(32) float x[kMaxSub], w[kMaxSub];
  float wmax = 0;
  for (int i = 0; i < n; ++i) {
    x[i] = Pow2Scale(x_in[i], -ex);
    wmax = std::max(wmax, w_in[i]);
  }
  int ew = 0;
  if (wmax > 0) std::frexp(wmax, &ew);
  for (int i = 0; i < n; ++i) w[i] = wmax > 0 ? Pow2Scale(w_in[i], 1 - ew) : 1.0f;
  vmax = Pow2Scale(vmax, -ex);
  // The largest value maps near either end of the table (-127 or +113), give or take a few
  // steps; the error for each is sum w x^2 - (sum w q x)^2 / sum w q^2.
  constexpr int kGrid = 30;
  float inv[kGrid], sqx[kGrid], sqq[kGrid];
  for (int k = 0; k < kGrid / 2; ++k) {
    const float delta = static_cast<float>(k - kGrid / 4);
    inv[2 * k] = (static_cast<float>(kIq4NlValues[0]) + delta) / vmax;
    inv[2 * k + 1] = (static_cast<float>(kIq4NlValues[15]) + delta) / vmax;
  }
  GridNonLinear(x, w, n, inv, kGrid, sqx, sqq);
  double best_gain = -1;
  float best_scale = 0, best_inv = 0;
  auto consider = [&](float a, float b, float iv) {
    if (!(b > 0)) return false;
    const double gain = static_cast<double>(a) * a / b;
    if (!(gain > best_gain)) return false;
    best_gain = gain;
    best_scale = a / b;
    best_inv = iv;
    return true;
  };
  for (int k = 0; k < kGrid; ++k) consider(sqx[k], sqq[k], inv[k]);
  for (int it = 0; it < 4 && best_scale != 0; ++it) {
    const float iv = 1 / best_scale;
    GridNonLinear(x, w, n, &iv, 1, sqx, sqq);
    if (!consider(sqx[0], sqq[0], iv)) break;
  }
  NearestIndices(x, n, best_inv, idx);
  return Pow2Scale(best_scale, ex);
}

void CheckImportance(const float* imp, int n, float* imax) {
  *imax = 0;
  for (int i = 0; i < n; ++i) {
    if (!(imp[i] >= 0) || !std::isfinite(imp[i])) {
      throw Error(ErrorCode::kInvalidArgument,
                  "importance weights must be finite and non-negative");
    }
    *imax = std::max(*imax, imp[i]);
  }
}

// Weights: x^2 + mean(x^2) without importance (llama.cpp's reference uses x^2; the mean square
// added keeps the search from giving up the small values' accuracy for the large ones' further
// than pays off in squared error), else importance * sqrt(2 * mean(x^2) + x^2).
void Weights(const float* x, const float* imp, int n, float* w) {
  float imax = 0;
  if (imp) CheckImportance(imp, n, &imax);
  if (imax > 0) {
    int e;
    std::frexp(imax, &e);
    float s2 = 0;
    for (int i = 0; i < n; ++i) s2 += x[i] * x[i];
    s2 = 2 * s2 / static_cast<float>(n);
    for (int i = 0; i < n; ++i) w[i] = Pow2Scale(imp[i], -e) * std::sqrt(s2 + x[i] * x[i]);
  } else {
    float s2 = 0;
    for (int i = 0; i < n; ++i) s2 += x[i] * x[i];
    s2 /= static_cast<float>(n);
    for (int i = 0; i < n; ++i) w[i] = x[i] * x[i] + s2;
  }
}

void PackNibbles(const uint8_t* idx, uint8_t* qs) {
  for (int l = 0; l < 16; ++l) qs[l] = static_cast<uint8_t>(idx[l] | idx[l + 16] << 4);
}

}  // namespace

void QuantizeRowIQ4_NL(const float* x, size_t n, void* out, const float* importance) {
  auto* y = static_cast<BlockQ4_0*>(out);  // same layout: fp16 d + 16 bytes of indices
  for (size_t b = 0; b < n / kQK; ++b, x += kQK) {
    alignas(32) float xs[kQK], w[kQK];
    const Normalized nz = Normalize(x, kQK, xs);
    uint8_t idx[kQK];
    if (nz.amax == 0) {
      y[b].d = 0;
      for (int i = 0; i < kQK; ++i) idx[i] = 8;
      PackNibbles(idx, y[b].qs);
      continue;
    }
    Weights(xs, importance ? importance + b * kQK : nullptr, kQK, w);
    const float s = FitGrid(xs, w, kQK, idx);
    // The fp16 rounding of the scale moves every value: try the neighbouring halves as well.
    const uint16_t h = ScaleToF16(s, nz.exp);
    uint16_t cand[3 + 16];
    float cd[3 + 16], err[3 + 16];
    int nc = 0;
    for (int dh : {0, -1, 1}) {
      const int mag = static_cast<int>(h & 0x7fffu) + dh;
      if (mag < 0 || mag > 0x7bff) continue;
      cand[nc] = static_cast<uint16_t>((h & 0x8000u) | static_cast<uint32_t>(mag));
      cd[nc] = F16ToScale(cand[nc], nz.exp);
      ++nc;
    }
    // An fp16 subnormal scale has few significant bits: mapping the largest value onto a
    // smaller table entry gives a larger scale that may be stored more precisely.
    if ((h & 0x7c00u) == 0) {
      float vmax = 0;
      for (float v : xs) vmax = std::fabs(v) > std::fabs(vmax) ? v : vmax;
      for (int8_t q : kIq4NlValues) {
        cand[nc] = ScaleToF16(vmax / static_cast<float>(q), nz.exp);
        cd[nc] = F16ToScale(cand[nc], nz.exp);
        ++nc;
      }
    }
    ErrNonLinear(xs, w, kQK, cd, nc, err);
    int best = 0;
    for (int c = 1; c < nc; ++c) {
      if (err[c] < err[best]) best = c;
    }
    y[b].d = cand[best];
    NearestIndices(xs, kQK, cd[best] != 0 ? 1 / cd[best] : 0, idx);
    PackNibbles(idx, y[b].qs);
  }
}

void QuantizeRowIQ4_XS(const float* x, size_t n, void* out, const float* importance) {
  auto* y = static_cast<BlockIQ4_XS*>(out);
  for (size_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    alignas(32) float xs[kQKK], w[kQKK];
    const Normalized nz = Normalize(x, kQKK, xs);
    uint8_t idx[kQKK];
    std::memset(&y[b], 0, sizeof y[b]);
    int sc[8] = {};
    if (nz.amax != 0) {
      Weights(xs, importance ? importance + b * kQKK : nullptr, kQKK, w);
      float s[8], a[8];
      for (int j = 0; j < 8; ++j) {
        s[j] = FitGrid(xs + 32 * j, w + 32 * j, 32, idx + 32 * j);
        a[j] = 0;
        for (int i = 32 * j; i < 32 * j + 32; ++i) {
          const float q = kIq4NlValues[idx[i]];
          a[j] += w[i] * q * q;
        }
      }
      int q[8];
      y[b].d = QuantizeScales(s, a, 8, -32, 31, nz.exp, q);
      const float dq = F16ToScale(y[b].d, nz.exp);
      for (int j = 0; j < 8; ++j) {
        int cand[3], nc = 0;
        float cd[3], err[3];
        for (int ds : {0, -1, 1}) {
          if (q[j] + ds < -32 || q[j] + ds > 31) continue;
          cand[nc] = q[j] + ds;
          cd[nc] = dq * static_cast<float>(cand[nc]);
          ++nc;
        }
        ErrNonLinear(xs + 32 * j, w + 32 * j, 32, cd, nc, err);
        int best = 0;
        for (int c = 1; c < nc; ++c) {
          if (err[c] < err[best]) best = c;
        }
        sc[j] = cand[best];
        NearestIndices(xs + 32 * j, 32, cd[best] != 0 ? 1 / cd[best] : 0, idx + 32 * j);
      }
    } else {
      for (int i = 0; i < kQKK; ++i) idx[i] = 8;
    }
    for (int j = 0; j < 8; ++j) {
      const int s = sc[j] + 32;
      y[b].scales_l[j / 2] |= static_cast<uint8_t>((s & 0x0f) << (4 * (j % 2)));
      y[b].scales_h |= static_cast<uint16_t>((s >> 4) << (2 * j));
      PackNibbles(idx + 32 * j, y[b].qs + 16 * j);
    }
  }
}

}  // namespace exaone::kernels::quant::detail
