// mixscout dsp: plain level statistics — sample peak, RMS, DC offset, leading/trailing silence,
// and how much of the time the waveform sits near its peak.
//
// Whole-stream, per channel: peak |x|, mean square, mean (DC offset); and the first and last
// frame where any channel exceeds the silence threshold (default -60 dBFS), for leading/trailing
// silence. Sums are in double (exact enough for hours of audio).
//
// Over all channels, a histogram of |x| (64 bins per octave, 0.094 dB, over the whole float
// range) answers share_within_db(): the share of samples within so many dB of the final sample
// peak, which push() cannot know yet. Saturation shows there: heavy soft clipping left 24-80 % of
// the samples within 6 dB of the peak (docs/JUDGEMENT.md); released masters at most 4 %, a limiter
// pushed hard up to about 20 % (so the rules pair it with the hop crest, short_term_image.hpp).
//
// Cost: ~4 operations per sample, plus one histogram increment (the bin is the float's exponent
// and top 6 mantissa bits: no log; 6.8 instructions per sample measured). push() does not
// allocate; the histogram (128 KB, of which music touches a thousand bins or two) is a member.
// One thread at a time.
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
    /// Share (0..1) of all channels' samples at or above the sample peak minus below_peak_db,
    /// to within one histogram bin (0.094 dB). 0 for silence.
    double share_within_db(double below_peak_db) const;

    static constexpr int histogram_bins = 1 << 14;  ///< 8 exponent bits x 64 steps per octave

private:
    void accumulate_lanes(const float* x, std::size_t total);
    void track_silence(const float* x, std::size_t total);
    void count_levels(const float* x, std::size_t total);

    int sample_rate_;
    int channels_;
    float threshold_;
    std::int64_t frames_ = 0;
    std::int64_t first_loud_ = -1, last_loud_ = -1;
    std::array<double, max_channels> peak_{}, sum_sq_{}, sum_{};
    std::array<std::uint64_t, histogram_bins> level_counts_{};
};

}  // namespace mixscout::dsp
