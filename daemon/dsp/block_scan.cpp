#include "dsp/block_scan.hpp"

#include <algorithm>
#include <cmath>

#include "dsp/multiversion.hpp"

namespace mixscout::dsp {

// Lane-wise maxima, then the lanes: an element-wise max the compiler vectorises without the
// fast-math a max reduction would need.
MIXSCOUT_MULTIVERSION
float abs_max(const float* __restrict x, std::size_t n) {
    constexpr std::size_t lanes = 16;
    float m[lanes] = {};
    std::size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        for (std::size_t k = 0; k < lanes; ++k) {
            const float a = std::fabs(x[i + k]);
            m[k] = m[k] > a ? m[k] : a;
        }
    float r = 0.0f;
    for (; i < n; ++i) r = std::max(r, std::fabs(x[i]));
    for (float v : m) r = std::max(r, v);
    return r;
}

// Chunks of 64 samples: within a chunk a branch-free OR of "is non-zero" (vectorised), between
// chunks the early exit.
MIXSCOUT_MULTIVERSION
bool is_silent(const float* __restrict x, std::size_t n) {
    constexpr std::size_t chunk = 64;
    std::size_t i = 0;
    for (; i + chunk <= n; i += chunk) {
        int sound = 0;
        for (std::size_t k = 0; k < chunk; ++k) sound |= x[i + k] != 0.0f;
        if (sound) return false;
    }
    for (; i < n; ++i)
        if (x[i] != 0.0f) return false;
    return true;
}

}  // namespace mixscout::dsp
