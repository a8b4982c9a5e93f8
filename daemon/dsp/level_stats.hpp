// mixscout dsp: plain level statistics — sample peak, RMS, DC offset, leading/trailing silence.
//
// Whole-stream, per channel: peak |x|, mean square, mean (DC offset); and the first and last
// frame where any channel exceeds the silence threshold (default -60 dBFS), for leading/trailing
// silence. Sums are in double (exact enough for hours of audio).
//
// Cost: ~4 operations per sample. push() does not allocate. One thread at a time.
#pragma once
#include <array>
#include <cstdint>

#include "audio/block.hpp"

namespace mixscout::dsp {

class LevelStats {
public:
    static constexpr int max_channels = audio::max_kernel_channels;
    explicit LevelStats(int sample_rate, int channels, double silence_threshold_dbfs = -60.0);
    void push(const audio::Block& block);
    void reset();

    std::int64_t frames() const { return frames_; }
    double sample_peak(int channel) const { return peak_[channel]; }   ///< linear
    double sample_peak() const;                                         ///< linear, max over channels
    double mean_square(int channel) const;                              ///< linear power
    double mean_square() const;                                         ///< over all channels' samples
    double dc_offset(int channel) const;                                ///< mean sample value
    /// Seconds before the first sample above the threshold (the whole duration if none is).
    double leading_silence_s() const;
    /// Seconds after the last sample above the threshold (the whole duration if none is).
    double trailing_silence_s() const;

private:
    void accumulate_lanes(const float* x, std::size_t total);
    void track_silence(const float* x, std::size_t total);

    int sample_rate_;
    int channels_;
    float threshold_;
    std::int64_t frames_ = 0;
    std::int64_t first_loud_ = -1, last_loud_ = -1;
    std::array<double, max_channels> peak_{}, sum_sq_{}, sum_{};
};

}  // namespace mixscout::dsp
