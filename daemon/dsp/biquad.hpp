// mixscout dsp: a second-order IIR section (biquad), double precision.
//
// Transposed direct form II: two state values per channel, good numerical behaviour for the
// low-frequency sections of K-weighting (38 Hz high-pass) that single precision handles poorly.
// Coefficients are normalised so a0 == 1:
//     y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2]
#pragma once

namespace mixscout::dsp {

struct BiquadCoeffs {
    double b0 = 1.0, b1 = 0.0, b2 = 0.0;
    double a1 = 0.0, a2 = 0.0;
};

/// State of one biquad on one channel. process() is a handful of flops; no allocation.
struct BiquadState {
    double s1 = 0.0, s2 = 0.0;

    double process(const BiquadCoeffs& c, double x) {
        const double y = c.b0 * x + s1;
        s1 = c.b1 * x - c.a1 * y + s2;
        s2 = c.b2 * x - c.a2 * y;
        return y;
    }
    void reset() { s1 = s2 = 0.0; }
    /// Sets tiny (denormal-bound) state to zero: silence after sound would otherwise decay into
    /// subnormals, which are 10-100x slower on x86. Called at block boundaries, not per sample.
    void flush_denormals() {
        if (s1 > -1e-25 && s1 < 1e-25) s1 = 0.0;
        if (s2 > -1e-25 && s2 < 1e-25) s2 = 0.0;
    }
};

}  // namespace mixscout::dsp
