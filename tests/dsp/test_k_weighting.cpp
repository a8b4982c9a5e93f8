// K-weighting coefficients against the table ITU-R BS.1770-4 publishes for 48 kHz, and the
// filter's response at other rates against the 48 kHz response (same analogue prototype).
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "dsp/k_weighting.hpp"

using namespace mixscout::dsp;

TEST(KWeighting, ReproducesBs1770Table48k) {
    const KWeightingCoeffs k = k_weighting_coeffs(48000.0);
    // BS.1770-4, Annex 1, Tables 1 and 2.
    EXPECT_NEAR(k.shelf.b0, 1.53512485958697, 1e-7);
    EXPECT_NEAR(k.shelf.b1, -2.69169618940638, 1e-7);
    EXPECT_NEAR(k.shelf.b2, 1.19839281085285, 1e-7);
    EXPECT_NEAR(k.shelf.a1, -1.69065929318241, 1e-7);
    EXPECT_NEAR(k.shelf.a2, 0.73248077421585, 1e-7);
    EXPECT_DOUBLE_EQ(k.highpass.b0, 1.0);
    EXPECT_DOUBLE_EQ(k.highpass.b1, -2.0);
    EXPECT_DOUBLE_EQ(k.highpass.b2, 1.0);
    EXPECT_NEAR(k.highpass.a1, -1.99004745483398, 1e-7);
    EXPECT_NEAR(k.highpass.a2, 0.99007225036621, 1e-7);
}

namespace {
double response_db(const KWeightingCoeffs& k, double f, double fs) {
    const std::complex<double> z = std::polar(1.0, -2.0 * std::numbers::pi * f / fs);  // z^-1
    auto h = [&](const BiquadCoeffs& c) { return (c.b0 + c.b1 * z + c.b2 * z * z) / (1.0 + c.a1 * z + c.a2 * z * z); };
    return 20.0 * std::log10(std::abs(h(k.shelf) * h(k.highpass)));
}
}  // namespace

TEST(KWeighting, SameCurveAtOtherRates) {
    const KWeightingCoeffs k48 = k_weighting_coeffs(48000.0);
    for (double fs : {44100.0, 88200.0, 96000.0, 192000.0}) {
        const KWeightingCoeffs k = k_weighting_coeffs(fs);
        for (double f : {20.0, 38.0, 100.0, 1000.0, 1681.0, 4000.0, 10000.0}) {
            // The bilinear transform warps frequencies near Nyquist; below 10 kHz the curves agree
            // to well under the 0.1 dB a loudness reading would notice.
            EXPECT_NEAR(response_db(k, f, fs), response_db(k48, f, 48000.0), 0.05) << "fs " << fs << " f " << f;
        }
    }
    // Known points of the K curve: ~+0.7 dB at 1 kHz (what -0.691 cancels), ~+4 dB shelf at 10 kHz.
    EXPECT_NEAR(response_db(k48, 997.0, 48000.0), 0.691, 0.02);
    EXPECT_NEAR(response_db(k48, 10000.0, 48000.0), 4.0, 0.3);
}
