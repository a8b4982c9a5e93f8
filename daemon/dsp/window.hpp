// mixscout dsp: the window functions and the one windowed-sinc FIR design every kernel uses
// (spectra, band energy, mastering's profile and EQ FIR: Hann; true-peak interpolation and band
// energy's decimator: Kaiser-windowed sinc). Closed forms, tested in tests/dsp/test_window.cpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

namespace mixscout::dsp {

/// The modified Bessel function I0 of Kaiser windows. std::cyl_bessel_i is not in libc++ (macOS),
/// so this is the power series sum of ((x/2)^k / k!)^2, to 1e-14.
inline double bessel_i0(double x) {
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 60; ++k) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-14 * sum) break;
    }
    return sum;
}

/// Periodic Hann window of length n at index i: 0.5 - 0.5 cos(2 pi i / n). Copies overlapped by
/// n/2 sum to a constant (so every sample weighs the same in a 50 % overlap STFT). Its symmetric
/// form of length m without zero end points is hann(i + 1, m + 1).
inline double hann(std::size_t i, std::size_t n) {
    return 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n));
}

/// Kaiser window at r = offset / half-length: I0(beta sqrt(1 - r^2)) / I0(beta) for |r| <= 1,
/// 0 outside. beta trades main-lobe width for side-lobe level (Kaiser: beta = 0.1102 (A - 8.7) for
/// A dB of stop-band attenuation, A > 50).
inline double kaiser(double r, double beta) {
    if (std::fabs(r) > 1.0) return 0.0;
    return bessel_i0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / bessel_i0(beta);
}

/// Kaiser-windowed sinc low-pass, normalised to unity gain at DC (taps sum to 1):
///   h[k] = sinc(2 cutoff t) kaiser(t / half_width, beta),  t = k - centre,  k = 0 .. taps-1,
/// cutoff in cycles per sample (0.5 = Nyquist). A fractional centre gives one phase of a polyphase
/// interpolator (true peak); centre = (taps - 1) / 2 a linear-phase filter (decimation).
inline std::vector<double> kaiser_lowpass(int taps, double cutoff, double beta, double centre, double half_width) {
    std::vector<double> h(static_cast<std::size_t>(taps));
    double sum = 0.0;
    for (int k = 0; k < taps; ++k) {
        const double t = k - centre;
        const double x = 2.0 * std::numbers::pi * cutoff * t;
        const double sinc = std::fabs(x) < 1e-12 ? 1.0 : std::sin(x) / x;
        h[static_cast<std::size_t>(k)] = sinc * kaiser(t / half_width, beta);
        sum += h[static_cast<std::size_t>(k)];
    }
    for (double& v : h) v /= sum;
    return h;
}

}  // namespace mixscout::dsp
