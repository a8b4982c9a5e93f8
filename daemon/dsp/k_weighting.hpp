// mixscout dsp: the K-weighting filter of ITU-R BS.1770-4 (pre-filter + RLB high-pass).
//
// BS.1770-4 publishes the coefficients for 48 kHz only. Like libebur128, we derive them for any
// sample rate from the analogue prototypes the 48 kHz table was designed from (a high shelf of
// +4 dB around 1.68 kHz, and a 2nd-order high-pass at 38 Hz), via the bilinear transform with
// prewarping; at 48 kHz the derivation reproduces the published table to ~1e-8.
#pragma once
#include "dsp/biquad.hpp"

namespace mixscout::dsp {

struct KWeightingCoeffs {
    BiquadCoeffs shelf;     ///< stage 1: pre-filter (head acoustic effects), high shelf ~+4 dB
    BiquadCoeffs highpass;  ///< stage 2: RLB weighting, 2nd-order high-pass ~38 Hz
};

/// K-weighting coefficients for sample_rate (Hz, > 0). Cheap (a few tan/pow); call once.
KWeightingCoeffs k_weighting_coeffs(double sample_rate);

}  // namespace mixscout::dsp
