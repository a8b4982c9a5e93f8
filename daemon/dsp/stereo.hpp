// mixscout dsp: stereo image measurements (correlation, width, balance), whole stream and per band.
//
// StereoMeter accumulates, in the time domain, sum L^2, sum R^2 and sum L*R over the stream:
//   correlation = sum LR / sqrt(sum L^2 * sum R^2)       (-1..1; 1 = mono, -1 = polarity-inverted)
//   width       = side energy / mid energy, M = (L+R)/2, S = (L-R)/2   (0 = mono, 1 = uncorrelated equal channels)
//   balance_db  = 10 log10(sum L^2 / sum R^2)             (positive = left-heavy)
// Per-band versions come from the cross-spectrum WelchSpectrum already accumulated (band_stereo).
// Mono streams read correlation 1, width 0, balance 0. Silence reads the same (no evidence of width).
//
// Cost: 3 multiply-adds per frame. push() does not allocate. One thread at a time.
#pragma once
#include <cstdint>

#include "audio/block.hpp"
#include "dsp/spectrum.hpp"

namespace mixscout::dsp {

struct StereoImage {
    double correlation = 1.0;
    double width = 0.0;
    double balance_db = 0.0;
};

/// Correlation / width / balance from channel powers and the cross term (any consistent scale).
StereoImage stereo_image(double power_left, double power_right, double cross);

class StereoMeter {
public:
    explicit StereoMeter(int channels);
    void push(const audio::Block& block);
    StereoImage image() const;
    void reset();

private:
    int channels_;
    double sum_ll_ = 0.0, sum_rr_ = 0.0, sum_lr_ = 0.0;
};

/// The stereo image of one frequency band, from an accumulated WelchSpectrum.
StereoImage band_stereo(const WelchSpectrum& spectrum, double lo_hz, double hi_hz);

}  // namespace mixscout::dsp
