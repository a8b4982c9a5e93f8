// dsp/block_scan.hpp: the shared whole-block scans, on buffers with known contents at every
// position around the vector chunk edges.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "dsp/block_scan.hpp"

namespace mixscout::dsp {
namespace {

TEST(BlockScan, AbsMaxFindsTheLargestMagnitudeAnywhere) {
    EXPECT_EQ(abs_max(nullptr, 0), 0.0f);
    for (std::size_t n : {1u, 15u, 16u, 17u, 63u, 64u, 65u, 1000u})
        for (std::size_t at = 0; at < n; at += (n > 70 ? 37 : 1)) {
            std::vector<float> x(n, 0.25f);
            x[at] = -0.75f;  // negative: the magnitude counts
            EXPECT_EQ(abs_max(x.data(), n), 0.75f) << "n " << n << " at " << at;
        }
}

TEST(BlockScan, IsSilentOnlyWhenEverySampleIsZero) {
    EXPECT_TRUE(is_silent(nullptr, 0));
    for (std::size_t n : {1u, 63u, 64u, 65u, 129u, 1000u}) {
        std::vector<float> x(n, 0.0f);
        EXPECT_TRUE(is_silent(x.data(), n)) << n;
        x[n / 2] = -0.0f;  // negative zero is silence too
        EXPECT_TRUE(is_silent(x.data(), n)) << n;
        for (std::size_t at = 0; at < n; at += (n > 200 ? 97 : 1)) {
            std::vector<float> y(n, 0.0f);
            y[at] = std::numeric_limits<float>::denorm_min();  // the quietest sound there is still sounds
            EXPECT_FALSE(is_silent(y.data(), n)) << "n " << n << " at " << at;
        }
        std::vector<float> last(n, 0.0f);
        last.back() = 1e-9f;
        EXPECT_FALSE(is_silent(last.data(), n)) << "last of " << n;
    }
}

}  // namespace
}  // namespace mixscout::dsp
