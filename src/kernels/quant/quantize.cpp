// QuantizeRow: float32 -> GGUF types. The plain types convert value by value; Q8_0 rounds like
// GGUF's reference quantizer (bit for bit); the other 32-value types search for the scale (and
// offset) with the lowest weighted error, with the reference's scale among the candidates (so
// never worse than the reference rounding); the K types and IQ4 types are in
// quantize_kquant.cpp and quantize_iq4.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/error.h"
#include "base/half.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/format.h"
#include "kernels/quant/quantize_common.h"

namespace exaone::kernels::quant {
namespace {

using detail::F16ToScale;
using detail::Normalize;
using detail::Normalized;
using detail::ScaleToF16;

// Block weights: 1 each without importance; importance * sqrt(2 * mean(x^2) + x^2) with it
// (x already scaled, so the squares neither overflow nor vanish).
void BlockWeights(const float* x, const float* importance, float* w) {
  float imax = 0;
  if (importance) {
    for (int i = 0; i < kQK; ++i) {
      if (!(importance[i] >= 0) || !std::isfinite(importance[i])) {
        throw Error(ErrorCode::kInvalidArgument,
                    "importance weights must be finite and non-negative");
      }
      imax = std::max(imax, importance[i]);
    }
  }
  if (imax == 0) {
    for (int i = 0; i < kQK; ++i) w[i] = 1;
    return;
  }
  int e;
  std::frexp(imax, &e);
  float s2 = 0;
  for (int i = 0; i < kQK; ++i) s2 += x[i] * x[i];
  s2 = 2 * s2 / kQK;
  for (int i = 0; i < kQK; ++i) {
    w[i] = detail::Pow2Scale(importance[i], -e) * std::sqrt(s2 + x[i] * x[i]);
  }
}

// The fp16 values next to h (same sign), h itself first.
int NeighbourHalves(uint16_t h, uint16_t* out) {
  int n = 0;
  out[n++] = h;
  const int mag = h & 0x7fff;
  if (mag > 0) out[n++] = static_cast<uint16_t>((h & 0x8000u) | static_cast<uint32_t>(mag - 1));
  if (mag < 0x7bff)
    out[n++] = static_cast<uint16_t>((h & 0x8000u) | static_cast<uint32_t>(mag + 1));
  return n;
}

void QuantizeQ8_0(const float* x, size_t n, BlockQ8_0* y) {
  for (size_t b = 0; b < n / kQK; ++b, x += kQK) {
    alignas(16) float xs[kQK];
    const Normalized nz = Normalize(x, kQK, xs);
    // Reference rounding: d = max|x| / 127, q = round-half-away(x / d), in the scaled domain
    // (exactly the reference's float operations scaled by a power of two).
    const float d = nz.amax / 127;
    const float id = d != 0 ? 1 / d : 0;
    y[b].d = ScaleToF16(d, nz.exp);
    for (int i = 0; i < kQK; ++i) y[b].qs[i] = static_cast<int8_t>(std::round(xs[i] * id));
  }
}

// One block of value = d * (q - half), q in [0, 2 * half); returns d's fp16 bits.
uint16_t SymmetricBlock(const float* x, const float* importance, int half, uint8_t* q) {
  const detail::Grid grid = {-3.0f, 0.2f, 21};
  alignas(16) float xs[kQK], w[kQK], lev[kQK];
  const Normalized nz = Normalize(x, kQK, xs);
  if (nz.amax == 0) {
    for (int i = 0; i < kQK; ++i) q[i] = static_cast<uint8_t>(half);
    return 0;
  }
  BlockWeights(xs, importance, w);
  // Candidates: the reference's scale (the value of largest magnitude maps to -half), and the
  // least-squares fit with its neighbouring fp16 values. Each is scored with every level chosen
  // for the fp16-rounded scale, so the reference candidate alone is never worse than the
  // reference rounding.
  float vmax = 0;
  for (int i = 0; i < kQK; ++i) {
    if (std::fabs(xs[i]) > std::fabs(vmax)) vmax = xs[i];
  }
  uint16_t cands[4];
  cands[0] = ScaleToF16(vmax / static_cast<float>(-half), nz.exp);
  const float s = detail::FitLinear(xs, w, kQK, half, grid, lev).scale;
  const int nc = 1 + NeighbourHalves(ScaleToF16(s, nz.exp), cands + 1);
  float cd[4], err[4];
  for (int c = 0; c < nc; ++c) cd[c] = F16ToScale(cands[c], nz.exp);
  detail::ErrLinear(xs, w, kQK, half, cd, nc, err);
  int best = 0;
  for (int c = 1; c < nc; ++c) {
    if (err[c] < err[best]) best = c;
  }
  detail::LevelsLinear(xs, kQK, half, cd[best], lev);
  for (int i = 0; i < kQK; ++i) q[i] = static_cast<uint8_t>(lev[i] + static_cast<float>(half));
  return cands[best];
}

// One block of value = (d * q) + m, q in [0, nmax]; returns d's fp16 bits, m's in *m.
uint16_t AffineBlock(const float* x, const float* importance, int nmax, uint16_t* m, uint8_t* q) {
  const detail::Grid grid = {-3.0f, 0.2f, 21};
  alignas(16) float xs[kQK], w[kQK], lev[kQK];
  const Normalized nz = Normalize(x, kQK, xs);
  *m = 0;
  if (nz.amax == 0) {
    std::memset(q, 0, kQK);
    return 0;
  }
  BlockWeights(xs, importance, w);
  float mn = xs[0], mx = xs[0];
  for (int i = 1; i < kQK; ++i) {
    mn = std::min(mn, xs[i]);
    mx = std::max(mx, xs[i]);
  }
  // Candidates: the reference's ((max - min) / nmax, min) and the least-squares fit, each with
  // the neighbouring fp16 values, scored with levels chosen for the rounded values.
  uint16_t hd[2][3], hm[2][3];
  int nd[2], nm[2];
  nd[0] = NeighbourHalves(ScaleToF16((mx - mn) / static_cast<float>(nmax), nz.exp), hd[0]);
  nm[0] = NeighbourHalves(ScaleToF16(mn, nz.exp), hm[0]);
  const detail::AffineFit fit = detail::FitAffine(xs, w, kQK, nmax, grid, false, lev);
  nd[1] = NeighbourHalves(ScaleToF16(fit.scale, nz.exp), hd[1]);
  nm[1] = NeighbourHalves(ScaleToF16(fit.offset, nz.exp), hm[1]);
  uint16_t pd[18], pm[18];
  int np = 0;
  for (int c = 0; c < 2; ++c) {
    for (int i = 0; i < nd[c]; ++i) {
      for (int j = 0; j < nm[c]; ++j) {
        pd[np] = hd[c][i];
        pm[np] = hm[c][j];
        ++np;
      }
    }
  }
  float cd[18], cm[18], err[18];
  for (int c = 0; c < np; ++c) {
    cd[c] = F16ToScale(pd[c], nz.exp);
    cm[c] = F16ToScale(pm[c], nz.exp);
  }
  detail::ErrAffine(xs, w, kQK, nmax, cd, cm, np, err);
  int best = 0;
  for (int c = 1; c < np; ++c) {
    if (err[c] < err[best]) best = c;
  }
  detail::LevelsAffine(xs, kQK, nmax, cd[best], cm[best], lev);
  for (int i = 0; i < kQK; ++i) q[i] = static_cast<uint8_t>(lev[i]);
  *m = pm[best];
  return pd[best];
}

void PackQ4(const uint8_t* q, uint8_t* qs) {
  for (int l = 0; l < kQK / 2; ++l) qs[l] = static_cast<uint8_t>((q[l] & 0x0f) | q[l + 16] << 4);
}

void PackQ5(const uint8_t* q, uint8_t* qs, uint8_t* qh) {
  uint32_t h = 0;
  for (int l = 0; l < kQK; ++l) h |= static_cast<uint32_t>(q[l] >> 4) << l;
  for (int l = 0; l < kQK / 2; ++l) {
    qs[l] = static_cast<uint8_t>((q[l] & 0x0f) | (q[l + 16] & 0x0f) << 4);
  }
  for (int i = 0; i < 4; ++i) qh[i] = static_cast<uint8_t>(h >> (8 * i));
}

// Q4_0, Q4_1, Q5_0, Q5_1.
void QuantizeLegacy(DType t, const float* x, size_t n, void* out, const float* importance) {
  const size_t nb = n / kQK;
  const auto imp = [&](size_t b) { return importance ? importance + b * kQK : nullptr; };
  uint8_t q[kQK];
  switch (t) {
    case DType::kQ4_0:
      for (size_t b = 0; b < nb; ++b) {
        auto& y = static_cast<BlockQ4_0*>(out)[b];
        y.d = SymmetricBlock(x + b * kQK, imp(b), 8, q);
        PackQ4(q, y.qs);
      }
      return;
    case DType::kQ5_0:
      for (size_t b = 0; b < nb; ++b) {
        auto& y = static_cast<BlockQ5_0*>(out)[b];
        y.d = SymmetricBlock(x + b * kQK, imp(b), 16, q);
        PackQ5(q, y.qs, y.qh);
      }
      return;
    case DType::kQ4_1:
      for (size_t b = 0; b < nb; ++b) {
        auto& y = static_cast<BlockQ4_1*>(out)[b];
        uint16_t m;
        y.d = AffineBlock(x + b * kQK, imp(b), 15, &m, q);
        y.m = m;
        PackQ4(q, y.qs);
      }
      return;
    case DType::kQ5_1:
      for (size_t b = 0; b < nb; ++b) {
        auto& y = static_cast<BlockQ5_1*>(out)[b];
        uint16_t m;
        y.d = AffineBlock(x + b * kQK, imp(b), 31, &m, q);
        y.m = m;
        PackQ5(q, y.qs, y.qh);
      }
      return;
    default:
      EXA_CHECK_MSG(false, "QuantizeLegacy: not a 32-value type");
  }
}

}  // namespace

bool CanQuantize(DType t) {
  switch (t) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ8_0:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kIQ4_NL:
    case DType::kIQ4_XS:
      return true;
    default:
      return false;
  }
}

void QuantizeRow(DType t, const float* x, size_t n, void* out, const float* importance) {
  EXA_CHECK_MSG(CanQuantize(t), "QuantizeRow: unsupported type");
  EXA_CHECK_MSG(n % GetDTypeInfo(t).block == 0, "QuantizeRow: n is not a whole number of blocks");
  switch (t) {
    case DType::kF32:
      if (n != 0) std::memcpy(out, x, n * sizeof(float));
      return;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = F32ToF16(x[i]);
        std::memcpy(static_cast<uint8_t*>(out) + 2 * i, &h, 2);
      }
      return;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = F32ToBf16(x[i]);
        std::memcpy(static_cast<uint8_t*>(out) + 2 * i, &h, 2);
      }
      return;
    case DType::kQ8_0:
      return QuantizeQ8_0(x, n, static_cast<BlockQ8_0*>(out));
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
      return QuantizeLegacy(t, x, n, out, importance);
    case DType::kQ2_K:
      return detail::QuantizeRowQ2_K(x, n, out, importance);
    case DType::kQ3_K:
      return detail::QuantizeRowQ3_K(x, n, out, importance);
    case DType::kQ4_K:
      return detail::QuantizeRowQ4_K(x, n, out, importance);
    case DType::kQ5_K:
      return detail::QuantizeRowQ5_K(x, n, out, importance);
    case DType::kQ6_K:
      return detail::QuantizeRowQ6_K(x, n, out, importance);
    case DType::kIQ4_NL:
      return detail::QuantizeRowIQ4_NL(x, n, out, importance);
    case DType::kIQ4_XS:
      return detail::QuantizeRowIQ4_XS(x, n, out, importance);
    default:
      EXA_CHECK_MSG(false, "QuantizeRow: unsupported type");
  }
}

}  // namespace exaone::kernels::quant
