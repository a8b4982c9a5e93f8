#include "dsp/stereo.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/units.hpp"

namespace mixscout::dsp {

StereoImage stereo_image(double power_left, double power_right, double cross) {
    StereoImage s;
    if (power_left <= 0.0 && power_right <= 0.0) return s;  // silence: nothing to measure
    const double denom = std::sqrt(power_left * power_right);
    s.correlation = denom > 0.0 ? std::clamp(cross / denom, -1.0, 1.0) : 0.0;  // one channel silent: no correlation
    // M = (L+R)/2, S = (L-R)/2: E[M^2] = (PL + PR + 2X)/4, E[S^2] = (PL + PR - 2X)/4.
    const double mid = std::max(0.0, power_left + power_right + 2.0 * cross);
    const double side = std::max(0.0, power_left + power_right - 2.0 * cross);
    // Polarity-inverted material has no mid at all: report the width as large, not infinite.
    constexpr double max_width = 1e6;
    s.width = mid > 0.0 ? std::min(side / mid, max_width) : max_width;
    s.balance_db = power_to_db(power_left) - power_to_db(power_right);
    return s;
}

StereoMeter::StereoMeter(int channels) : channels_(channels) {
    audio::require_layout("StereoMeter", 1, channels, 2);
}

void StereoMeter::push(const audio::Block& block) {
    audio::require_channels("StereoMeter", block, channels_);
    if (channels_ != 2) return;
    const float* x = block.interleaved.data();
    const std::size_t n = block.frames();
    // Four independent accumulators per sum: lets the compiler keep the adds in flight.
    double ll[4] = {}, rr[4] = {}, lr[4] = {};
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (int j = 0; j < 4; ++j) {
            const double l = x[2 * (i + j)], r = x[2 * (i + j) + 1];
            ll[j] += l * l;
            rr[j] += r * r;
            lr[j] += l * r;
        }
    }
    for (; i < n; ++i) {
        const double l = x[2 * i], r = x[2 * i + 1];
        ll[0] += l * l;
        rr[0] += r * r;
        lr[0] += l * r;
    }
    sum_ll_ += (ll[0] + ll[1]) + (ll[2] + ll[3]);
    sum_rr_ += (rr[0] + rr[1]) + (rr[2] + rr[3]);
    sum_lr_ += (lr[0] + lr[1]) + (lr[2] + lr[3]);
}

StereoImage StereoMeter::image() const {
    if (channels_ != 2) return {};
    return stereo_image(sum_ll_, sum_rr_, sum_lr_);
}

void StereoMeter::reset() { sum_ll_ = sum_rr_ = sum_lr_ = 0.0; }

StereoImage band_stereo(const WelchSpectrum& spectrum, double lo_hz, double hi_hz) {
    if (spectrum.channels() != 2) return {};
    const BandPower p = spectrum.band(lo_hz, hi_hz);
    return stereo_image(p.left, p.right, p.cross);
}

}  // namespace mixscout::dsp
