// Quantizers for the K types (Q2_K .. Q6_K): super-blocks of 256 values split into sub-blocks
// with integer scales (and minimums) under one or two fp16 super-block scales.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/error.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/quantize_common.h"

namespace exaone::kernels::quant::detail {
namespace {

// How values are weighed in the search when no importance is given. These follow llama.cpp's
// reference quantizers (|x| for Q2_K, rms + |x| for Q4_K and Q5_K), except that where those use
// x^2 (Q3_K, Q6_K) the mean square of the super-block is added: a pure x^2 weight lets the
// search trade the small values' accuracy for the large ones' further than pays off in plain
// squared error, while x^2 + mean(x^2) comes out ahead of the reference in both.
enum class Weighting {
  kAbs,         // |x|
  kSquareMean,  // x^2 + mean(x^2) over the super-block
  kRmsPlusAbs   // rms of the 32-value sub-block + |x|
};

struct SuperBlock {
  alignas(16) float x[kQKK];  // scaled by 2^-exp
  alignas(16) float w[kQKK];
  int exp = 0;
  bool zero = true;
};

// Scales the block and computes the weights. With importance, w = importance * sqrt(s2 + x^2)
// where s2 is twice the mean square of the super-block: the importance dominates, and values
// that are large for their block count more.
void Prepare(const float* x, const float* importance, Weighting weighting, SuperBlock* sb) {
  const Normalized nz = Normalize(x, kQKK, sb->x);
  sb->exp = nz.exp;
  sb->zero = nz.amax == 0;
  if (sb->zero) return;
  float imax = 0;
  if (importance) {
    for (int i = 0; i < kQKK; ++i) {
      const float v = importance[i];
      if (!(v >= 0) || !std::isfinite(v)) {
        throw Error(ErrorCode::kInvalidArgument,
                    "importance weights must be finite and non-negative");
      }
      imax = std::max(imax, v);
    }
  }
  if (imax > 0) {
    int e;
    std::frexp(imax, &e);
    float s2 = 0;
    for (int i = 0; i < kQKK; ++i) s2 += sb->x[i] * sb->x[i];
    s2 = 2 * s2 / kQKK;
    for (int i = 0; i < kQKK; ++i) {
      sb->w[i] = Pow2Scale(importance[i], -e) * std::sqrt(s2 + sb->x[i] * sb->x[i]);
    }
    return;
  }
  switch (weighting) {
    case Weighting::kAbs:
      for (int i = 0; i < kQKK; ++i) sb->w[i] = std::fabs(sb->x[i]);
      break;
    case Weighting::kSquareMean: {
      float s2 = 0;
      for (int i = 0; i < kQKK; ++i) s2 += sb->x[i] * sb->x[i];
      s2 /= kQKK;
      for (int i = 0; i < kQKK; ++i) sb->w[i] = sb->x[i] * sb->x[i] + s2;
      break;
    }
    case Weighting::kRmsPlusAbs:
      for (int j = 0; j < kQKK; j += 32) {
        float s2 = 0;
        for (int i = j; i < j + 32; ++i) s2 += sb->x[i] * sb->x[i];
        const float rms = std::sqrt(s2 / 32);
        for (int i = j; i < j + 32; ++i) sb->w[i] = rms + std::fabs(sb->x[i]);
      }
      break;
  }
}

float WeightedSumL2(const float* w, const float* l, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += w[i] * l[i] * l[i];
  return s;
}

float WeightSum(const float* w, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += w[i];
  return s;
}

// value = d * sc_j * l - dmin * mc_j, l in [0, nmax], sc_j and mc_j in [0, smax].
struct AffineSpec {
  int sub, nmax, smax;
  Grid grid;
};
struct AffineResult {
  uint16_t d = 0, dmin = 0;
  int sc[16] = {}, mc[16] = {};
  uint8_t l[kQKK] = {};
};

void QuantizeAffine(const SuperBlock& sb, const AffineSpec& spec, AffineResult* r) {
  if (sb.zero) return;
  const int nsub = kQKK / spec.sub;
  alignas(16) float lev[kQKK];
  float s[16], m[16], a[16], wsum[16];
  for (int j = 0; j < nsub; ++j) {
    const int o = j * spec.sub;
    AffineFit f = FitAffine(sb.x + o, sb.w + o, spec.sub, spec.nmax, spec.grid, true, lev + o);
    s[j] = f.scale;
    m[j] = f.offset < 0 ? -f.offset : 0.0f;
    a[j] = WeightedSumL2(sb.w + o, lev + o, spec.sub);
    wsum[j] = WeightSum(sb.w + o, spec.sub);
  }
  int qs[16], qm[16];
  r->d = QuantizeScales(s, a, nsub, 0, spec.smax, sb.exp, qs);
  r->dmin = QuantizeScales(m, wsum, nsub, 0, spec.smax, sb.exp, qm);
  const float dq = F16ToScale(r->d, sb.exp), mq = F16ToScale(r->dmin, sb.exp);
  // Each sub-block tries its integer scale and minimum and their neighbours (the rounded one
  // first, so that it wins ties), scored with exactly dequantized values.
  for (int j = 0; j < nsub; ++j) {
    const int o = j * spec.sub;
    int cand_sc[12], cand_mc[12], nc = 0;
    for (int ds : {0, -1, 1}) {
      for (int dm : {0, -1, 1}) {
        const int sc = qs[j] + ds, mc = qm[j] + dm;
        if (sc < 0 || sc > spec.smax || mc < 0 || mc > spec.smax) continue;
        cand_sc[nc] = sc;
        cand_mc[nc] = mc;
        ++nc;
      }
    }
    float cd[12], co[12], err[12];
    for (int c = 0; c < nc; ++c) {
      cd[c] = dq * static_cast<float>(cand_sc[c]);
      co[c] = -(mq * static_cast<float>(cand_mc[c]));
    }
    ErrAffine(sb.x + o, sb.w + o, spec.sub, spec.nmax, cd, co, nc, err);
    int best = 0;
    for (int c = 1; c < nc; ++c) {
      if (err[c] < err[best]) best = c;
    }
    r->sc[j] = cand_sc[best];
    r->mc[j] = cand_mc[best];
    LevelsAffine(sb.x + o, spec.sub, spec.nmax, cd[best], co[best], lev + o);
    for (int i = 0; i < spec.sub; ++i) r->l[o + i] = static_cast<uint8_t>(lev[o + i]);
  }
}

// value = d * sc_j * l, l in [-nmax, nmax - 1], sc_j in [smin, smax].
struct LinearSpec {
  int sub, nmax, smin, smax;
  Grid grid;
};
struct LinearResult {
  uint16_t d = 0;
  int sc[16] = {};
  int8_t l[kQKK] = {};
};

void QuantizeLinear(const SuperBlock& sb, const LinearSpec& spec, LinearResult* r) {
  if (sb.zero) return;
  const int nsub = kQKK / spec.sub;
  alignas(16) float lev[kQKK];
  float s[16], a[16];
  for (int j = 0; j < nsub; ++j) {
    const int o = j * spec.sub;
    s[j] = FitLinear(sb.x + o, sb.w + o, spec.sub, spec.nmax, spec.grid, lev + o).scale;
    a[j] = WeightedSumL2(sb.w + o, lev + o, spec.sub);
  }
  int q[16];
  r->d = QuantizeScales(s, a, nsub, spec.smin, spec.smax, sb.exp, q);
  const float dq = F16ToScale(r->d, sb.exp);
  // Each sub-block tries its integer scale and its neighbours (the rounded one first).
  for (int j = 0; j < nsub; ++j) {
    const int o = j * spec.sub;
    int cand[3], nc = 0;
    for (int ds : {0, -1, 1}) {
      if (q[j] + ds >= spec.smin && q[j] + ds <= spec.smax) cand[nc++] = q[j] + ds;
    }
    float cd[3], err[3];
    for (int c = 0; c < nc; ++c) cd[c] = dq * static_cast<float>(cand[c]);
    ErrLinear(sb.x + o, sb.w + o, spec.sub, spec.nmax, cd, nc, err);
    int best = 0;
    for (int c = 1; c < nc; ++c) {
      if (err[c] < err[best]) best = c;
    }
    r->sc[j] = cand[best];
    LevelsLinear(sb.x + o, spec.sub, spec.nmax, cd[best], lev + o);
    for (int i = 0; i < spec.sub; ++i) r->l[o + i] = static_cast<int8_t>(lev[o + i]);
  }
}

// Q2_K, Q3_K and Q6_K store value v's 2-bit field in byte (v / 128) * 32 + v % 32 at bit
// 2 * ((v / 32) % 4).
void Pack2Bit(const uint8_t* l, uint8_t* qs) {
  for (int c = 0; c < 2; ++c) {
    const uint8_t* v = l + 128 * c;
    for (int i = 0; i < 32; ++i) {
      qs[32 * c + i] = static_cast<uint8_t>((v[i] & 3) | (v[32 + i] & 3) << 2 |
                                            (v[64 + i] & 3) << 4 | (v[96 + i] & 3) << 6);
    }
  }
}

// Q4_K / Q5_K: 6-bit scale and min of sub-block j into the 12 packed bytes.
void PackScaleMinK4(const int* sc, const int* mc, uint8_t* s) {
  std::memset(s, 0, kKScaleBytes);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      s[j] |= static_cast<uint8_t>(sc[j]);
      s[j + 4] |= static_cast<uint8_t>(mc[j]);
    } else {
      s[j + 4] = static_cast<uint8_t>((sc[j] & 0x0f) | (mc[j] & 0x0f) << 4);
      s[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
      s[j] |= static_cast<uint8_t>((mc[j] >> 4) << 6);
    }
  }
}

// Grids of candidate inverse scales (offsets from the number of levels), per type.
constexpr AffineSpec kQ2Spec = {16, 3, 15, {-0.5f, 0.1f, 16}};
constexpr AffineSpec kQ4Spec = {32, 15, 63, {-2.0f, 0.15f, 21}};
constexpr AffineSpec kQ5Spec = {32, 31, 63, {-3.0f, 0.2f, 21}};
constexpr LinearSpec kQ3Spec = {16, 4, -32, 31, {-0.9f, 0.1f, 19}};
constexpr LinearSpec kQ6Spec = {16, 32, -128, 127, {-8.0f, 0.4f, 25}};

}  // namespace

void QuantizeRowQ2_K(const float* x, size_t n, void* out, const float* importance) {
  auto* y = static_cast<BlockQ2_K*>(out);
  for (size_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    SuperBlock sb;
    Prepare(x, importance ? importance + b * kQKK : nullptr, Weighting::kAbs, &sb);
    AffineResult r;
    QuantizeAffine(sb, kQ2Spec, &r);
    y[b].d = r.d;
    y[b].dmin = r.dmin;
    for (int j = 0; j < 16; ++j) y[b].scales[j] = static_cast<uint8_t>(r.sc[j] | r.mc[j] << 4);
    Pack2Bit(r.l, y[b].qs);
  }
}

void QuantizeRowQ4_K(const float* x, size_t n, void* out, const float* importance) {
  auto* y = static_cast<BlockQ4_K*>(out);
  for (size_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    SuperBlock sb;
    Prepare(x, importance ? importance + b * kQKK : nullptr, Weighting::kRmsPlusAbs, &sb);
    AffineResult r;
    QuantizeAffine(sb, kQ4Spec, &r);
    y[b].d = r.d;
    y[b].dmin = r.dmin;
    PackScaleMinK4(r.sc, r.mc, y[b].scales);
    for (int v = 0; v < kQKK; v += 64) {
      for (int l = 0; l < 32; ++l) {
        y[b].qs[v / 2 + l] = static_cast<uint8_t>(r.l[v + l] | r.l[v + 32 + l] << 4);
      }
    }
  }
}

void QuantizeRowQ5_K(const float* x, size_t n, void* out, const float* importance) {
  auto* y = static_cast<BlockQ5_K*>(out);
  for (size_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    SuperBlock sb;
    Prepare(x, importance ? importance + b * kQKK : nullptr, Weighting::kRmsPlusAbs, &sb);
    AffineResult r;
    QuantizeAffine(sb, kQ5Spec, &r);
    y[b].d = r.d;
    y[b].dmin = r.dmin;
    PackScaleMinK4(r.sc, r.mc, y[b].scales);
    std::memset(y[b].qh, 0, sizeof y[b].qh);
    for (int v = 0; v < kQKK; v += 64) {
      for (int l = 0; l < 32; ++l) {
        const int lo = r.l[v + l], hi = r.l[v + 32 + l];
        y[b].qs[v / 2 + l] = static_cast<uint8_t>((lo & 0x0f) | (hi & 0x0f) << 4);
        y[b].qh[l] |= static_cast<uint8_t>((lo >> 4) << (v / 32) | (hi >> 4) << (v / 32 + 1));
      }
    }
  }
}

void QuantizeRowQ3_K(const float* x, size_t n, void* out, const float* importance) {
  auto* y = static_cast<BlockQ3_K*>(out);
  for (size_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    SuperBlock sb;
    Prepare(x, importance ? importance + b * kQKK : nullptr, Weighting::kSquareMean, &sb);
    LinearResult r;
    QuantizeLinear(sb, kQ3Spec, &r);
    y[b].d = r.d;
    std::memset(y[b].scales, 0, sizeof y[b].scales);
    for (int j = 0; j < 16; ++j) {
      const int s = r.sc[j] + 32;
      y[b].scales[j % 8] |= static_cast<uint8_t>((s & 0x0f) << (4 * (j / 8)));
      y[b].scales[8 + j % 4] |= static_cast<uint8_t>((s >> 4) << (2 * (j / 4)));
    }
    uint8_t low[kQKK];
    std::memset(y[b].hmask, 0, sizeof y[b].hmask);
    for (int v = 0; v < kQKK; ++v) {
      const int q = r.l[v] + 4;  // 0..7; the high bit set means no -4 offset
      low[v] = static_cast<uint8_t>(q & 3);
      y[b].hmask[v % 32] |= static_cast<uint8_t>((q >> 2) << (v / 32));
    }
    Pack2Bit(low, y[b].qs);
  }
}

void QuantizeRowQ6_K(const float* x, size_t n, void* out, const float* importance) {
  auto* y = static_cast<BlockQ6_K*>(out);
  for (size_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    SuperBlock sb;
    Prepare(x, importance ? importance + b * kQKK : nullptr, Weighting::kSquareMean, &sb);
    LinearResult r;
    QuantizeLinear(sb, kQ6Spec, &r);
    y[b].d = r.d;
    for (int j = 0; j < 16; ++j) y[b].scales[j] = static_cast<int8_t>(r.sc[j]);
    // Value c * 128 + r (q = level + 32, 0..63): low nibble in ql[c * 64 + r % 64] (the high
    // nibble for r >= 64), high two bits in qh[c * 32 + r % 32] at bit 2 * (r / 32).
    for (int c = 0; c < 2; ++c) {
      const int8_t* l = r.l + 128 * c;
      for (int i = 0; i < 32; ++i) {
        const int q0 = l[i] + 32, q1 = l[32 + i] + 32, q2 = l[64 + i] + 32, q3 = l[96 + i] + 32;
        y[b].ql[64 * c + i] = static_cast<uint8_t>((q0 & 0x0f) | (q2 & 0x0f) << 4);
        y[b].ql[64 * c + 32 + i] = static_cast<uint8_t>((q1 & 0x0f) | (q3 & 0x0f) << 4);
        y[b].qh[32 * c + i] =
            static_cast<uint8_t>((q0 >> 4) | (q1 >> 4) << 2 | (q2 >> 4) << 4 | (q3 >> 4) << 6);
      }
    }
  }
}

}  // namespace exaone::kernels::quant::detail
