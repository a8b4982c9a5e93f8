#include "dsp/quantisation.hpp"

#include <cmath>
#include <stdexcept>

namespace mixscout::dsp {

QuantisationMeter::QuantisationMeter(int sample_rate, int channels, int bits, QuantisationOptions options)
    : sample_rate_(sample_rate), channels_(channels), bits_(bits), o_(options) {
    audio::require_layout("QuantisationMeter", sample_rate, channels, audio::max_kernel_channels);
    if (bits < 8 || bits > 32) throw std::invalid_argument("QuantisationMeter: " + std::to_string(bits) + " bits (8..32)");
    if (o_.frame_frames < 16) throw std::invalid_argument("QuantisationMeter: frame_frames below 16");
    lsb_scale_ = std::ldexp(1.0, bits - 1);
    ch_.assign(static_cast<std::size_t>(channels), Channel{});
}

void QuantisationMeter::push(const audio::Block& block) {
    audio::require_channels("QuantisationMeter", block, channels_);
    const std::size_t frames = block.frames();
    const double min_ms = o_.min_rms_lsb * o_.min_rms_lsb;
    for (int c = 0; c < channels_; ++c) {
        Channel& s = ch_[static_cast<std::size_t>(c)];
        const float* x = block.interleaved.data() + c;
        for (std::size_t i = 0; i < frames; ++i) {
            const double v = static_cast<double>(x[i * static_cast<std::size_t>(channels_)]) * lsb_scale_;
            if (s.seen >= 2) {
                const double d = v - 2.0 * s.prev + s.prev2;
                s.sum_d2 += d * d;
                s.sum_sq += v * v;
                if (++s.n == o_.frame_frames) {
                    const double ms = s.sum_sq / s.n, noise = s.sum_d2 / s.n;
                    if (ms >= min_ms) {
                        ++sounding_;
                        if (noise < o_.dither_floor_lsb2) ++undithered_;
                        if (lowest_ < 0.0 || noise < lowest_) lowest_ = noise;
                    }
                    s.sum_sq = s.sum_d2 = 0.0;
                    s.n = 0;
                }
            }
            s.prev2 = s.prev;
            s.prev = v;
            ++s.seen;
        }
    }
}

double QuantisationMeter::sounding_s() const {
    return static_cast<double>(sounding_) * o_.frame_frames / (static_cast<double>(sample_rate_) * channels_);
}
double QuantisationMeter::undithered_s() const {
    return static_cast<double>(undithered_) * o_.frame_frames / (static_cast<double>(sample_rate_) * channels_);
}

}  // namespace mixscout::dsp
