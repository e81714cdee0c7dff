#pragma once
// The mixed-precision Adam/AdamW update that ZeRO-Offload runs on host cores: fp32 master
// weights, first and second moments and gradients in memory; the updated weights are also
// written as a 16-bit copy (fp16 or bf16) for the device. One pass, element-wise.
//
//   g  = grad * grad_scale (+ weight_decay * p for L2-coupled Adam)
//   m  = beta1 m + (1 - beta1) g                          Kingma & Ba 2015, Algorithm 1
//   v  = beta2 v + (1 - beta2) g^2
//   p -= lr * weight_decay * p                            AdamW only: Loshchilov & Hutter 2019, Alg. 2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// The bias corrections are folded into two per-step constants, as DeepSpeed's CPU Adam does
// (Ren et al. 2021, ZeRO-Offload, Sec. 5.1), so the loop has one sqrt and one division.
// Traffic per parameter: reads p, m, v, g (16 B), writes p, m, v (12 B) and the copy (2 B).
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>

#include "kernels/half_bits.hpp"

namespace wb::kernels {

namespace detail {
// Kokkos moved its math functions from Kokkos::Experimental to Kokkos in 3.7.
KOKKOS_INLINE_FUNCTION float sqrt_float(float x) {
#if KOKKOS_VERSION >= 30700
  return Kokkos::sqrt(x);
#else
  return Kokkos::Experimental::sqrt(x);
#endif
}
}  // namespace detail

struct AdamHyper {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  bool decoupled_weight_decay = true;  // AdamW (true) or L2 added to the gradient (false)
  float grad_scale = 1.0f;             // 1 / loss scale: unscales fp16-trained gradients
};

// Per-step constants, computed once on the host.
struct AdamStepConstants {
  float beta1 = 0;
  float beta2 = 0;
  float one_minus_beta1 = 0;
  float one_minus_beta2 = 0;
  float step_size = 0;          // lr / (1 - beta1^t)
  float inv_sqrt_bias2 = 0;     // 1 / sqrt(1 - beta2^t)
  float decay_factor = 1;       // AdamW: 1 - lr * weight_decay
  float l2 = 0;                 // Adam with L2: weight_decay
};

// step counts from 1 (the first update).
inline AdamStepConstants adam_step_constants(const AdamHyper& h, std::int64_t step) {
  AdamStepConstants c;
  const double t = static_cast<double>(step);
  c.beta1 = h.beta1;
  c.beta2 = h.beta2;
  c.one_minus_beta1 = 1.0f - h.beta1;
  c.one_minus_beta2 = 1.0f - h.beta2;
  c.step_size = static_cast<float>(h.lr / (1.0 - std::pow(static_cast<double>(h.beta1), t)));
  c.inv_sqrt_bias2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(static_cast<double>(h.beta2), t)));
  c.decay_factor = h.decoupled_weight_decay ? 1.0f - h.lr * h.weight_decay : 1.0f;
  c.l2 = h.decoupled_weight_decay ? 0.0f : h.weight_decay;
  return c;
}

// Bytes a pass moves per parameter (fp32 state, fp32 gradient in, 16-bit copy out), and the
// bytes each parameter occupies (p, m, v, g in fp32 and the 16-bit copy).
inline constexpr double kAdamBytesPerParam = 4 * 4 + 3 * 4 + 2;
inline constexpr double kAdamStateBytesPerParam = 4 * 4 + 2;

template <class Half = Fp16, class ExecSpace = Kokkos::DefaultExecutionSpace>
struct AdamUpdate {
  using memory_space = typename ExecSpace::memory_space;
  using Vec = Kokkos::View<float*, memory_space>;
  using ConstVec = Kokkos::View<const float*, memory_space>;
  using HalfVec = Kokkos::View<std::uint16_t*, memory_space>;

  Vec param, exp_avg, exp_avg_sq;
  ConstVec grad;
  HalfVec param_copy;
  AdamStepConstants c;
  float grad_scale;
  float eps;

  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t i) const {
    float p = param(i);
    const float g = grad(i) * grad_scale + c.l2 * p;
    const float m = exp_avg(i) * c.beta1 + c.one_minus_beta1 * g;
    const float v = exp_avg_sq(i) * c.beta2 + c.one_minus_beta2 * g * g;
    const float denom = detail::sqrt_float(v) * c.inv_sqrt_bias2 + eps;
    p = p * c.decay_factor - c.step_size * m / denom;
    exp_avg(i) = m;
    exp_avg_sq(i) = v;
    param(i) = p;
    param_copy(i) = Half::from_float(p);
  }
};

// One optimizer step over all elements. All Views have the same length; the caller fences.
template <class Half = Fp16, class ExecSpace = Kokkos::DefaultExecutionSpace>
void adam_update(const ExecSpace& space, const typename AdamUpdate<Half, ExecSpace>::Vec& param,
                 const typename AdamUpdate<Half, ExecSpace>::Vec& exp_avg,
                 const typename AdamUpdate<Half, ExecSpace>::Vec& exp_avg_sq,
                 const typename AdamUpdate<Half, ExecSpace>::ConstVec& grad,
                 const typename AdamUpdate<Half, ExecSpace>::HalfVec& param_copy, const AdamHyper& hyper,
                 std::int64_t step) {
  const AdamUpdate<Half, ExecSpace> f{param, exp_avg, exp_avg_sq, grad, param_copy,
                                      adam_step_constants(hyper, step), hyper.grad_scale, hyper.eps};
  Kokkos::parallel_for("AdamUpdate::step",
                       Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>(space, 0, param.extent(0)), f);
}

}  // namespace wb::kernels
