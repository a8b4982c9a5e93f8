// StereoFft: two real channels through one complex transform must give each channel's own
// spectrum. The reference is the closed form of a windowless DFT of whole-period sinusoids:
// A cos(2 pi k0 j / N + phi) has X_k0 = A N/2 e^{i phi} and nothing elsewhere.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "dsp/fft.hpp"

namespace {
using mixscout::dsp::StereoFft;

std::complex<float> expected(std::size_t k, std::size_t k0, double amplitude, double phase, std::size_t n) {
    if (k != k0) return {0.0f, 0.0f};
    return std::polar(static_cast<float>(amplitude * static_cast<double>(n) / 2.0), static_cast<float>(phase));
}

TEST(StereoFft, SeparatesTheTwoChannelsSpectra) {
    constexpr std::size_t n = 1024;
    constexpr std::size_t k_left = 5, k_right = 77;
    constexpr double a_left = 0.8, a_right = 0.3, phase_left = 0.4, phase_right = -1.1;
    StereoFft fft(n);
    auto in = fft.input();
    for (std::size_t j = 0; j < n; ++j) {
        const double t = 2.0 * std::numbers::pi * static_cast<double>(j) / n;
        in[j] = {static_cast<float>(a_left * std::cos(k_left * t + phase_left)),
                 static_cast<float>(a_right * std::cos(k_right * t + phase_right))};
    }
    fft.forward();
    const float tol = 1e-3f * n;  // float rounding over 1024 points
    for (std::size_t k = 0; k <= n / 2; ++k) {
        const auto l = fft.left(k), r = fft.right(k);
        const auto el = expected(k, k_left, a_left, phase_left, n), er = expected(k, k_right, a_right, phase_right, n);
        EXPECT_NEAR(l.real(), el.real(), tol) << "bin " << k;
        EXPECT_NEAR(l.imag(), el.imag(), tol) << "bin " << k;
        EXPECT_NEAR(r.real(), er.real(), tol) << "bin " << k;
        EXPECT_NEAR(r.imag(), er.imag(), tol) << "bin " << k;
    }
}

TEST(StereoFft, DcAndNyquistAreReal) {
    constexpr std::size_t n = 64;
    StereoFft fft(n);
    auto in = fft.input();
    for (std::size_t j = 0; j < n; ++j) in[j] = {0.25f, (j % 2 ? -0.5f : 0.5f)};  // DC left, Nyquist right
    fft.forward();
    EXPECT_NEAR(fft.left(0).real(), 0.25f * n, 1e-4);
    EXPECT_NEAR(fft.right(0).real(), 0.0f, 1e-4);
    EXPECT_NEAR(fft.right(n / 2).real(), 0.5f * n, 1e-4);
    EXPECT_NEAR(fft.left(n / 2).real(), 0.0f, 1e-4);
    EXPECT_NEAR(fft.left(0).imag(), 0.0f, 1e-4);
    EXPECT_NEAR(fft.right(n / 2).imag(), 0.0f, 1e-4);
}

}  // namespace
