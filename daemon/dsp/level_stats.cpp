#include "dsp/level_stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mixscout::dsp {

LevelStats::LevelStats(int sample_rate, int channels, double silence_threshold_dbfs)
    : sample_rate_(sample_rate), channels_(channels),
      threshold_(static_cast<float>(std::pow(10.0, silence_threshold_dbfs / 20.0))) {
    if (channels < 1 || channels > max_channels) throw std::invalid_argument("LevelStats: 1 or 2 channels");
    if (sample_rate <= 0) throw std::invalid_argument("LevelStats: sample rate must be positive");
}

void LevelStats::reset() {
    frames_ = 0;
    first_loud_ = last_loud_ = -1;
    peak_ = {};
    sum_sq_ = {};
    sum_ = {};
}

void LevelStats::push(const audio::Block& block) {
    const std::size_t n = block.frames();
    const float* x = block.interleaved.data();
    for (int c = 0; c < channels_; ++c) {
        // Float peak/threshold tests vectorise; the sums go to double through 4 accumulators.
        float peak = 0.0f;
        double sq[4] = {}, sum[4] = {};
        std::size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            for (int j = 0; j < 4; ++j) {
                const float v = x[(i + j) * channels_ + c];
                peak = std::max(peak, std::fabs(v));
                sq[j] += static_cast<double>(v) * v;
                sum[j] += v;
            }
        }
        for (; i < n; ++i) {
            const float v = x[i * channels_ + c];
            peak = std::max(peak, std::fabs(v));
            sq[0] += static_cast<double>(v) * v;
            sum[0] += v;
        }
        peak_[c] = std::max(peak_[c], static_cast<double>(peak));
        sum_sq_[c] += (sq[0] + sq[1]) + (sq[2] + sq[3]);
        sum_[c] += (sum[0] + sum[1]) + (sum[2] + sum[3]);
    }
    // Silence edges: the first loud frame (once), the last loud frame (scan from the block's end).
    const std::size_t total = n * static_cast<std::size_t>(channels_);
    if (first_loud_ < 0) {
        for (std::size_t s = 0; s < total; ++s)
            if (std::fabs(x[s]) > threshold_) {
                first_loud_ = frames_ + static_cast<std::int64_t>(s / static_cast<std::size_t>(channels_));
                break;
            }
    }
    if (first_loud_ >= 0) {
        for (std::size_t s = total; s-- > 0;)
            if (std::fabs(x[s]) > threshold_) {
                last_loud_ = frames_ + static_cast<std::int64_t>(s / static_cast<std::size_t>(channels_));
                break;
            }
    }
    frames_ += static_cast<std::int64_t>(n);
}

double LevelStats::sample_peak() const {
    double p = 0.0;
    for (int c = 0; c < channels_; ++c) p = std::max(p, peak_[c]);
    return p;
}

double LevelStats::mean_square(int channel) const {
    return frames_ > 0 ? sum_sq_[channel] / static_cast<double>(frames_) : 0.0;
}

double LevelStats::mean_square() const {
    double s = 0.0;
    for (int c = 0; c < channels_; ++c) s += sum_sq_[c];
    return frames_ > 0 ? s / (static_cast<double>(frames_) * channels_) : 0.0;
}

double LevelStats::dc_offset(int channel) const { return frames_ > 0 ? sum_[channel] / static_cast<double>(frames_) : 0.0; }

double LevelStats::leading_silence_s() const {
    const std::int64_t f = first_loud_ < 0 ? frames_ : first_loud_;
    return static_cast<double>(f) / sample_rate_;
}

double LevelStats::trailing_silence_s() const {
    const std::int64_t f = last_loud_ < 0 ? frames_ : frames_ - 1 - last_loud_;
    return static_cast<double>(f) / sample_rate_;
}

}  // namespace mixscout::dsp
