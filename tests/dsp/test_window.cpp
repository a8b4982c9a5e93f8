// dsp/window.hpp and dsp::fft_size_near against closed forms: Hann's cosine values, I0 from
// Abramowitz & Stegun table 9.8, the Kaiser window's end points, and the windowed-sinc low-pass's
// DC gain, symmetry, Nyquist zeros and the stop-band attenuation Kaiser's design formula promises.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "dsp/fft.hpp"
#include "dsp/window.hpp"

namespace mixscout::dsp {
namespace {

TEST(Window, HannPeriodicValues) {
    EXPECT_DOUBLE_EQ(hann(0, 4), 0.0);
    EXPECT_NEAR(hann(1, 4), 0.5, 1e-15);
    EXPECT_DOUBLE_EQ(hann(2, 4), 1.0);
    EXPECT_NEAR(hann(3, 4), 0.5, 1e-15);
    EXPECT_NEAR(hann(1, 8), (1.0 - std::numbers::sqrt2 / 2.0) / 2.0, 1e-15);  // sin^2(pi/8)
    // Copies overlapped by half sum to exactly 1: sin^2 + cos^2.
    const std::size_t n = 1024;
    for (std::size_t i = 0; i < n / 2; ++i) EXPECT_NEAR(hann(i, n) + hann(i + n / 2, n), 1.0, 1e-15) << i;
}

TEST(Window, HannSymmetricFormHasNoZeroEnds) {
    // hann(i + 1, m + 1), i = 0..m-1: symmetric, peak 1 in the middle of odd m, ends sin^2(pi / (m + 1)).
    const std::size_t m = 7;
    for (std::size_t i = 0; i < m; ++i) EXPECT_NEAR(hann(i + 1, m + 1), hann(m - i, m + 1), 1e-15);
    EXPECT_DOUBLE_EQ(hann(4, 8), 1.0);
    EXPECT_NEAR(hann(1, 8), std::pow(std::sin(std::numbers::pi / 8.0), 2), 1e-15);
}

// bessel_i0 replaces std::cyl_bessel_i (absent from libc++): against Abramowitz & Stegun's
// Table 9.8 (I0(x) = e^x * tabulated value) and, where the standard library has it, C++17's.
TEST(BesselI0, MatchesPublishedValues) {
    EXPECT_DOUBLE_EQ(bessel_i0(0.0), 1.0);
    EXPECT_NEAR(bessel_i0(1.0), 1.266065877752008, 1e-14);
    EXPECT_NEAR(bessel_i0(5.0), 27.23987182360445, 1e-12);
    EXPECT_NEAR(bessel_i0(10.0), 2815.716628466254, 1e-9);
#if defined(__cpp_lib_math_special_functions) || defined(__STDCPP_MATH_SPEC_FUNCS__)
    for (double x = 0.0; x <= 20.0; x += 0.37) EXPECT_NEAR(bessel_i0(x), std::cyl_bessel_i(0.0, x), 1e-13 * std::cyl_bessel_i(0.0, x));
#endif
}

TEST(Window, KaiserEndPointsAndCentre) {
    const double beta = 5.0;
    EXPECT_DOUBLE_EQ(kaiser(0.0, beta), 1.0);
    EXPECT_NEAR(kaiser(1.0, beta), 1.0 / 27.23987182, 1e-9);
    EXPECT_NEAR(kaiser(-1.0, beta), 1.0 / 27.23987182, 1e-9);
    EXPECT_NEAR(kaiser(0.6, beta), 11.30192195 / 27.23987182, 1e-9);  // sqrt(1 - 0.36) = 0.8
    EXPECT_EQ(kaiser(1.5, beta), 0.0);
    EXPECT_DOUBLE_EQ(kaiser(0.3, 0.0), 1.0);  // beta 0: rectangular
}

double response_db(const std::vector<double>& h, double cycles_per_sample) {
    std::complex<double> sum = 0.0;
    for (std::size_t k = 0; k < h.size(); ++k)
        sum += h[k] * std::polar(1.0, -2.0 * std::numbers::pi * cycles_per_sample * static_cast<double>(k));
    return 20.0 * std::log10(std::abs(sum));
}

TEST(Window, KaiserLowpassMeetsKaisersDesignFormula) {
    // Kaiser (Oppenheim & Schafer 7.6): A = 80 dB, transition 0.05 cycles/sample ->
    // beta = 0.1102 (A - 8.7), taps = (A - 8) / (2.285 * 2 pi * 0.05) + 1.
    const double a_db = 80.0, transition = 0.05, cutoff = 0.2;
    const double beta = 0.1102 * (a_db - 8.7);
    int taps = static_cast<int>(std::ceil((a_db - 8.0) / (2.285 * 2.0 * std::numbers::pi * transition))) + 1;
    if (taps % 2 == 0) ++taps;
    const double centre = 0.5 * (taps - 1);
    const std::vector<double> h = kaiser_lowpass(taps, cutoff, beta, centre, centre);
    double sum = 0.0;
    for (double v : h) sum += v;
    EXPECT_NEAR(sum, 1.0, 1e-14);
    for (int k = 0; k < taps; ++k) EXPECT_NEAR(h[static_cast<std::size_t>(k)], h[static_cast<std::size_t>(taps - 1 - k)], 1e-17);
    for (double f = 0.0; f <= cutoff - transition / 2; f += 0.005) EXPECT_NEAR(response_db(h, f), 0.0, 0.01) << f;
    for (double f = cutoff + transition / 2; f <= 0.5; f += 0.005) EXPECT_LT(response_db(h, f), -a_db + 1.0) << f;
}

TEST(Window, HalfBandInterpolatorPhaseZeroIsADelay) {
    // Cut-off at Nyquist with an integer centre: the sinc's zeros fall on the taps.
    const std::vector<double> h = kaiser_lowpass(16, 0.5, 7.0, 8.0, 8.0);
    for (std::size_t k = 0; k < h.size(); ++k) EXPECT_NEAR(h[k], k == 8 ? 1.0 : 0.0, 1e-15) << k;
}

TEST(FftSize, NearestPowerOfTwoInOctaves) {
    EXPECT_EQ(fft_size_near(0.17, 44100), 8192u);
    EXPECT_EQ(fft_size_near(0.17, 48000), 8192u);
    EXPECT_EQ(fft_size_near(0.17, 96000), 16384u);
    EXPECT_EQ(fft_size_near(0.17, 192000), 32768u);
    EXPECT_EQ(fft_size_near(0.17, 32000), 4096u);  // 5440 < 4096 sqrt(2) = 5793
    EXPECT_EQ(fft_size_near(0.17, 35000), 8192u);  // 5950 > 5793: nearer 8192 in octaves
    EXPECT_EQ(fft_size_near(0.17, 8000), 1024u);
    EXPECT_EQ(fft_size_near(0.001, 48000), 256u);  // the floor
}

}  // namespace
}  // namespace mixscout::dsp
