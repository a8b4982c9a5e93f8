#include "dsp/k_weighting.hpp"

#include <cmath>
#include <numbers>

namespace mixscout::dsp {

KWeightingCoeffs k_weighting_coeffs(double sample_rate) {
    KWeightingCoeffs k;
    // Stage 1, high shelf. Analogue prototype parameters fitted to the BS.1770-4 48 kHz table
    // (the values libebur128 and most implementations use): centre f0, gain G (dB), quality Q,
    // and the band-gain exponent that places the shelf's midpoint.
    {
        const double f0 = 1681.974450955533;
        const double gain_db = 3.999843853973347;
        const double q = 0.7071752369554196;
        const double kk = std::tan(std::numbers::pi * f0 / sample_rate);
        const double vh = std::pow(10.0, gain_db / 20.0);
        const double vb = std::pow(vh, 0.4996667741545416);
        const double a0 = 1.0 + kk / q + kk * kk;
        k.shelf.b0 = (vh + vb * kk / q + kk * kk) / a0;
        k.shelf.b1 = 2.0 * (kk * kk - vh) / a0;
        k.shelf.b2 = (vh - vb * kk / q + kk * kk) / a0;
        k.shelf.a1 = 2.0 * (kk * kk - 1.0) / a0;
        k.shelf.a2 = (1.0 - kk / q + kk * kk) / a0;
    }
    // Stage 2, RLB high-pass. BS.1770 keeps the numerator at (1, -2, 1) unnormalised, so the
    // passband gain is slightly above 1; that is part of the standard's calibration (-0.691).
    {
        const double f0 = 38.13547087602444;
        const double q = 0.5003270373238773;
        const double kk = std::tan(std::numbers::pi * f0 / sample_rate);
        const double a0 = 1.0 + kk / q + kk * kk;
        k.highpass.b0 = 1.0;
        k.highpass.b1 = -2.0;
        k.highpass.b2 = 1.0;
        k.highpass.a1 = 2.0 * (kk * kk - 1.0) / a0;
        k.highpass.a2 = (1.0 - kk / q + kk * kk) / a0;
    }
    return k;
}

}  // namespace mixscout::dsp
