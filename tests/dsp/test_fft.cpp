// StereoFft: two real channels through one complex transform must give each channel's own
// spectrum. The reference is the closed form of a windowless DFT of whole-period sinusoids:
// A cos(2 pi k0 j / N + phi) has X_k0 = A N/2 e^{i phi} and nothing elsewhere.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "dsp/fft.hpp"
#include "support/signals.hpp"

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

// RealFft's inverse against the closed form of the real inverse DFT (FFTW's unnormalised c2r):
// a spectrum holding only X_k = c (0 < k < N/2) gives x_j = 2 Re(c e^{2 pi i k j / N}); DC and
// Nyquist count once.
TEST(RealFft, InverseOfSingleBinsIsTheirCosine) {
    constexpr std::size_t n = 64;
    mixscout::dsp::RealFft fft(n, true);
    const std::complex<float> c{0.75f, -0.5f};
    for (std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{5}, n / 2}) {
        const auto spectrum = fft.spectrum();
        std::fill(spectrum.begin(), spectrum.end(), std::complex<float>{});
        spectrum[k] = (k == 0 || k == n / 2) ? std::complex<float>{c.real(), 0.0f} : c;  // DC and Nyquist are real
        fft.inverse();
        for (std::size_t j = 0; j < n; ++j) {
            const double angle = 2.0 * std::numbers::pi * static_cast<double>(k * j) / static_cast<double>(n);
            const double want = (k == 0 || k == n / 2) ? c.real() * std::cos(angle)
                                                       : 2.0 * (c.real() * std::cos(angle) - c.imag() * std::sin(angle));
            EXPECT_NEAR(fft.input()[j], want, 1e-5) << "bin " << k << " sample " << j;
        }
    }
}

TEST(RealFft, ForwardThenInverseScalesBySize) {
    constexpr std::size_t n = 4096;
    mixscout::dsp::RealFft fft(n, true);
    std::vector<float> x(n);
    std::uint32_t state = 7;
    for (float& v : x) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) - 0.5f;
    }
    std::copy(x.begin(), x.end(), fft.input().begin());
    fft.forward();
    fft.inverse();
    for (std::size_t j = 0; j < n; ++j) EXPECT_NEAR(fft.input()[j], static_cast<float>(n) * x[j], 2e-3) << j;
    mixscout::dsp::RealFft forward_only(n);
    EXPECT_THROW(forward_only.inverse(), std::logic_error);
}

}  // namespace

// Wisdom: FFTW itself says whether it holds a measured plan (FFTW_WISDOM_ONLY returns null
// otherwise), so these check tune/save/load through FFTW's API, not ours.
#include <fftw3.h>

#include <filesystem>
#include <fstream>

namespace {

bool fftw_has_measured_c2r(int n) {
    std::lock_guard lock(mixscout::dsp::fft_planner_mutex());
    fftwf_complex* in = fftwf_alloc_complex(static_cast<std::size_t>(n / 2 + 1));
    float* out = fftwf_alloc_real(static_cast<std::size_t>(n));
    fftwf_plan p = fftwf_plan_dft_c2r_1d(n, in, out, FFTW_MEASURE | FFTW_WISDOM_ONLY);
    const bool has = p != nullptr;
    if (p) fftwf_destroy_plan(p);
    fftwf_free(in);
    fftwf_free(out);
    return has;
}

bool fftw_has_measured_c2c(int n) {
    std::lock_guard lock(mixscout::dsp::fft_planner_mutex());
    fftwf_complex* in = fftwf_alloc_complex(static_cast<std::size_t>(n));
    fftwf_complex* out = fftwf_alloc_complex(static_cast<std::size_t>(n));
    fftwf_plan p = fftwf_plan_dft_1d(n, in, out, FFTW_FORWARD, FFTW_MEASURE | FFTW_WISDOM_ONLY);
    const bool has = p != nullptr;
    if (p) fftwf_destroy_plan(p);
    fftwf_free(in);
    fftwf_free(out);
    return has;
}

void forget_wisdom() {
    std::lock_guard lock(mixscout::dsp::fft_planner_mutex());
    fftwf_forget_wisdom();
}

TEST(FftWisdom, TuneMeasuresSavesAndLoadsPlans) {
    namespace fs = std::filesystem;
    const mixscout::test::TempDir dir;
    const fs::path file = dir / "wisdom";
    constexpr int n = 1024;  // small: measuring takes milliseconds
    forget_wisdom();
    ASSERT_FALSE(fftw_has_measured_c2c(n));
    ASSERT_FALSE(fftw_has_measured_c2r(n));
    mixscout::dsp::tune_fft({.real = {}, .real_inverse = {n}, .stereo = {n}});
    EXPECT_TRUE(fftw_has_measured_c2c(n));
    EXPECT_TRUE(fftw_has_measured_c2r(n));
    ASSERT_TRUE(mixscout::dsp::save_fft_wisdom(file.string()));
    std::string head;
    std::getline(std::ifstream(file), head);  // closed at once: Windows refuses to remove open files
    EXPECT_NE(head.find("fftwf_wisdom"), std::string::npos) << head;  // FFTW's own file format

    forget_wisdom();
    ASSERT_FALSE(fftw_has_measured_c2c(n));
    EXPECT_TRUE(mixscout::dsp::load_fft_wisdom(file.string()));
    EXPECT_TRUE(fftw_has_measured_c2c(n));
    // A StereoFft made now uses the measured plan and still transforms correctly.
    StereoFft fft(n);
    for (std::size_t j = 0; j < n; ++j) fft.input()[j] = {1.0f, 0.0f};
    fft.forward();
    EXPECT_NEAR(fft.left(0).real(), static_cast<float>(n), 1e-3);
    EXPECT_NEAR(std::abs(fft.right(0)), 0.0f, 1e-3);

    EXPECT_FALSE(mixscout::dsp::load_fft_wisdom((file.string() + ".missing")));
    forget_wisdom();
}

}  // namespace
