// The measurement kernels against plain reference loops on small sizes. Views live in the
// default execution space's memory and are compared through host mirrors, so the tests hold
// for device backends too.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>
#include <array>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/adam.hpp"
#include "kernels/fabric_state.hpp"
#include "kernels/gemm.hpp"
#include "kernels/half_bits.hpp"
#include "kernels/stream.hpp"

using namespace wb::kernels;

namespace {

using Space = Kokkos::DefaultExecutionSpace;

float from_bits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

template <class View>
void fill(const View& v, const std::vector<typename View::non_const_value_type>& values) {
  auto h = Kokkos::create_mirror_view(v);
  for (std::size_t i = 0; i < values.size(); ++i) h(i) = values[i];
  Kokkos::deep_copy(v, h);
}

template <class View>
std::vector<typename View::non_const_value_type> to_vector(const View& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<typename View::non_const_value_type>(h.data(), h.data() + h.extent(0));
}

std::vector<float> random_floats(std::size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

}  // namespace

#if defined(__FLT16_MAX__)
// GCC and Clang on x86-64 convert to _Float16 with IEEE round-to-nearest-even: the reference.
TEST(HalfBits, Fp16MatchesTheCompilersConversion) {
  auto check = [](float f) {
    const _Float16 ref = static_cast<_Float16>(f);
    std::uint16_t ref_bits;
    std::memcpy(&ref_bits, &ref, sizeof ref_bits);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(Fp16::to_float(Fp16::from_float(f))));
      return;
    }
    ASSERT_EQ(Fp16::from_float(f), ref_bits) << "f = " << f;
  };
  // A sweep over the fp32 bit patterns, every rounding tie between binary16 neighbours (normal
  // and subnormal), and the overflow and underflow edges.
  for (std::uint64_t u = 0; u < (1ull << 32); u += 65521) check(from_bits(static_cast<std::uint32_t>(u)));
  for (std::uint32_t h = 0; h < 0x7c00u; ++h) {
    const float lo = Fp16::to_float(static_cast<std::uint16_t>(h));
    const float hi = Fp16::to_float(static_cast<std::uint16_t>(h + 1));
    const float mid = lo + (hi - lo) / 2;  // exact in fp32
    for (float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)}) {
      check(f);
      check(-f);
    }
  }
  for (float f : {65504.0f, 65519.99f, 65520.0f, 1e9f, 5.96e-8f, 2.98e-8f, 2.9802322e-8f, 1e-30f, 0.0f, -0.0f,
                  std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()})
    check(f);
}

TEST(HalfBits, Fp16DecodesEveryPattern) {
  for (std::uint32_t h = 0; h <= 0xffffu; ++h) {
    _Float16 ref;
    const std::uint16_t bits = static_cast<std::uint16_t>(h);
    std::memcpy(&ref, &bits, sizeof ref);
    const float f = Fp16::to_float(bits);
    if (std::isnan(static_cast<float>(ref))) {
      EXPECT_TRUE(std::isnan(f));
      continue;
    }
    ASSERT_EQ(f, static_cast<float>(ref)) << std::hex << h;
    ASSERT_EQ(Fp16::from_float(f), bits) << std::hex << h;
  }
}
#endif

TEST(HalfBits, Bf16RoundsToNearestEven) {
  EXPECT_EQ(Bf16::from_float(1.0f), 0x3f80u);
  EXPECT_EQ(Bf16::from_float(1.0f + 1.0f / 256), 0x3f80u);      // halfway to 1+2^-7: ties to even (down)
  EXPECT_EQ(Bf16::from_float(1.0f + 3.0f / 256), 0x3f82u);      // halfway to 1+2^-6: ties to even (up)
  EXPECT_EQ(Bf16::from_float(1.0f + 1.0f / 256 + 1e-6f), 0x3f81u);
  EXPECT_EQ(Bf16::from_float(-2.0f), 0xc000u);
  EXPECT_TRUE(std::isnan(Bf16::to_float(Bf16::from_float(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isinf(Bf16::to_float(Bf16::from_float(3.4e38f))));  // beyond the largest bf16
  // Every value lands on the nearest bf16 neighbour.
  for (float x : random_floats(10000, -1e6f, 1e6f, 7)) {
    const float r = Bf16::to_float(Bf16::from_float(x));
    const float ulp = std::ldexp(1.0f, std::ilogb(x) - 7);
    EXPECT_LE(std::fabs(r - x), ulp / 2) << x;
  }
}

namespace {

// Plain scalar Adam/AdamW in double, written from the papers' formulas with explicit bias
// corrections (no folding), as the reference.
void reference_adam(std::vector<double>& p, std::vector<double>& m, std::vector<double>& v,
                    const std::vector<float>& g, const AdamHyper& h, int step) {
  const double b1 = h.beta1, b2 = h.beta2;
  for (std::size_t i = 0; i < p.size(); ++i) {
    double grad = static_cast<double>(g[i]) * h.grad_scale;
    if (!h.decoupled_weight_decay) grad += h.weight_decay * p[i];
    m[i] = b1 * m[i] + (1 - b1) * grad;
    v[i] = b2 * v[i] + (1 - b2) * grad * grad;
    const double m_hat = m[i] / (1 - std::pow(b1, step));
    const double v_hat = v[i] / (1 - std::pow(b2, step));
    if (h.decoupled_weight_decay) p[i] -= static_cast<double>(h.lr) * h.weight_decay * p[i];
    p[i] -= h.lr * m_hat / (std::sqrt(v_hat) + h.eps);
  }
}

template <class Half>
void check_adam(const AdamHyper& hyper) {
  const std::size_t n = 1003;
  const auto p0 = random_floats(n, -1, 1, 1);
  const auto g = random_floats(n, -3, 3, 2);
  const auto m0 = random_floats(n, -0.1f, 0.1f, 3);
  auto v0 = random_floats(n, 0, 0.01f, 4);
  using U = AdamUpdate<Half, Space>;
  typename U::Vec p("test::p", n), m("test::m", n), v("test::v", n);
  Kokkos::View<float*, Space::memory_space> gv("test::g", n);
  typename U::HalfVec copy("test::p16", n);
  fill(p, p0);
  fill(m, m0);
  fill(v, v0);
  fill(gv, g);
  std::vector<double> rp(p0.begin(), p0.end()), rm(m0.begin(), m0.end()), rv(v0.begin(), v0.end());
  for (int step = 1; step <= 3; ++step) {
    adam_update<Half>(Space(), p, m, v, gv, copy, hyper, step + 10);
    reference_adam(rp, rm, rv, g, hyper, step + 10);
  }
  Kokkos::fence();
  const auto kp = to_vector(p), km = to_vector(m), kv = to_vector(v);
  const auto kc = to_vector(copy);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_NEAR(kp[i], rp[i], 1e-5 * (std::fabs(rp[i]) + 1e-3)) << i;
    ASSERT_NEAR(km[i], rm[i], 1e-5 * (std::fabs(rm[i]) + 1e-6)) << i;
    ASSERT_NEAR(kv[i], rv[i], 1e-5 * rv[i] + 1e-12) << i;
    ASSERT_EQ(kc[i], Half::from_float(kp[i])) << i;  // the copy is the updated weight, rounded
  }
}

}  // namespace

TEST(AdamKernel, AdamWMatchesTheReference) {
  AdamHyper h;
  h.lr = 1e-2f;
  h.weight_decay = 0.1f;
  h.grad_scale = 1.0f / 1024;
  check_adam<Fp16>(h);
  check_adam<Bf16>(h);
}

TEST(AdamKernel, L2CoupledAdamMatchesTheReference) {
  AdamHyper h;
  h.lr = 3e-3f;
  h.weight_decay = 0.01f;
  h.decoupled_weight_decay = false;
  check_adam<Fp16>(h);
}

// Adam's first step moves every weight by lr in the direction against its gradient (the bias
// correction makes m_hat / sqrt(v_hat) = sign(g)): wrong corrections would break this.
TEST(AdamKernel, FirstStepMovesEachWeightByTheLearningRate) {
  const std::size_t n = 64;
  AdamUpdate<Fp16, Space>::Vec p("test::p", n), m("test::m", n), v("test::v", n);
  Kokkos::View<float*, Space::memory_space> g("test::g", n);
  AdamUpdate<Fp16, Space>::HalfVec copy("test::p16", n);
  auto grads = random_floats(n, -2, 2, 9);
  fill(g, grads);
  AdamHyper h;
  h.lr = 0.5f;
  adam_update<Fp16>(Space(), p, m, v, g, copy, h, 1);
  Kokkos::fence();
  const auto kp = to_vector(p);
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(kp[i], grads[i] > 0 ? -0.5 : 0.5, 1e-5) << grads[i];
}

TEST(StreamKernel, TriadMatchesTheReference) {
  const std::size_t n = 1001;
  StreamTriad<Space>::Vec a("test::a", n), b("test::b", n), c("test::c", n);
  std::vector<double> hb(n), hc(n);
  for (std::size_t i = 0; i < n; ++i) {
    hb[i] = 0.5 * static_cast<double>(i);
    hc[i] = 1.0 / static_cast<double>(i + 1);
  }
  fill(b, hb);
  fill(c, hc);
  stream_triad(Space(), a, b, c, 3.0);
  Kokkos::fence();
  const auto ha = to_vector(a);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(ha[i], hb[i] + 3.0 * hc[i]) << i;
}

namespace {

template <class Scalar>
void check_gemm(int m, int n, int k, Scalar alpha, Scalar beta, double tol) {
  using G = BlockedGemm<Scalar, Space>;
  typename G::Matrix a("test::A", m, k), b("test::B", k, n), c("test::C", m, n);
  auto ha = Kokkos::create_mirror_view(a);
  auto hb = Kokkos::create_mirror_view(b);
  auto hc = Kokkos::create_mirror_view(c);
  std::mt19937 gen(static_cast<unsigned>(m * 10007 + n * 101 + k));
  std::uniform_real_distribution<double> d(-1, 1);
  for (int i = 0; i < m; ++i)
    for (int p = 0; p < k; ++p) ha(i, p) = static_cast<Scalar>(d(gen));
  for (int p = 0; p < k; ++p)
    for (int j = 0; j < n; ++j) hb(p, j) = static_cast<Scalar>(d(gen));
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      hc(i, j) = beta == Scalar(0) ? std::numeric_limits<Scalar>::quiet_NaN() : static_cast<Scalar>(d(gen));
  // On host backends the mirror is the View itself: keep the inputs apart from the result.
  const std::vector<Scalar> a0(ha.data(), ha.data() + m * k), b0(hb.data(), hb.data() + k * n),
      c0(hc.data(), hc.data() + m * n);
  Kokkos::deep_copy(a, ha);
  Kokkos::deep_copy(b, hb);
  Kokkos::deep_copy(c, hc);
  gemm<Scalar>(Space(), alpha, a, b, beta, c);
  Kokkos::fence();
  auto out = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), c);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double ref = 0;
      for (int p = 0; p < k; ++p) ref += static_cast<double>(a0[i * k + p]) * static_cast<double>(b0[p * n + j]);
      ref *= alpha;
      if (beta != Scalar(0)) ref += static_cast<double>(beta) * static_cast<double>(c0[i * n + j]);
      ASSERT_NEAR(static_cast<double>(out(i, j)), ref, tol * (1 + std::fabs(ref)))
          << m << "x" << n << "x" << k << " at (" << i << "," << j << ")";
    }
}

}  // namespace

TEST(GemmKernel, MatchesTheTripleLoopOnRaggedSizes) {
  for (auto [m, n, k] : std::vector<std::array<int, 3>>{{1, 1, 1}, {37, 53, 29}, {64, 64, 64}, {33, 31, 65}, {5, 70, 3}}) {
    check_gemm<double>(m, n, k, 1.5, 0.5, 1e-12);
    check_gemm<double>(m, n, k, 1.0, 0.0, 1e-12);  // beta = 0 overwrites C, even NaN
    check_gemm<float>(m, n, k, -2.0f, 1.0f, 1e-5);
  }
}

TEST(GemmKernel, EmptyInnerDimensionScalesC) {
  check_gemm<double>(7, 9, 0, 2.0, 3.0, 1e-15);
}

// The memory a fabric block takes is known before it is allocated (sim::require_memory asks
// with it): fabric_arena_bytes() is the size of the arena allocate_fabric() makes, and it holds
// at least every array the state has (check mode adds the value queues and SRAM).
TEST(FabricState, BytesAreKnownBeforeAllocating) {
  namespace fk = wb::kernels::fabric;
  std::size_t timing = 0;
  for (const bool check : {false, true}) {
    fk::FabricConfig cfg;
    cfg.colours = 5;
    cfg.queue_depth = 3;
    cfg.pe_queue_depth = 2;
    cfg.sram_words = 48;
    cfg.check = check;
    const std::size_t bytes = fk::fabric_arena_bytes(37, 21, cfg, 4);
    const fk::FabricArena a = fk::allocate_fabric(37, 21, cfg, 4);
    EXPECT_EQ(bytes, static_cast<std::size_t>(a.bytes.span())) << (check ? "check mode" : "timing mode");
    const std::size_t n = static_cast<std::size_t>(39) * 23;  // the block with its one-PE border
    EXPECT_GE(bytes, n * (sizeof(a.state.busy_left[0]) + sizeof(a.state.finish[0]) + sizeof(a.state.busy[0])));
    if (check) EXPECT_GT(bytes, timing + n * 48 * sizeof(a.state.sram[0]) / 2);
    else timing = bytes;
    EXPECT_LT(fk::fabric_arena_bytes(37, 21, cfg, 4), fk::fabric_arena_bytes(74, 21, cfg, 4));
  }
}
