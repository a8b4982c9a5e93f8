// mixscout dsp: clipping as runs of consecutive full-scale samples, per channel.
//
// A sample is "at full scale" when |x| >= ClipOptions::full_scale. The default threshold is
// 32767/32768 (-0.00027 dBFS): the largest positive 16-bit value, so a 16-bit file clipped at
// +32767 counts as well as 24-bit (+8388607/8388608) and float (>= 1.0) files; negative full
// scale (-1.0) counts in every format. Nothing that is not at the format's full scale reaches it
// (the next 16-bit value down is 32766/32768, -0.0005 dBFS).
//
// A run counts as clipping when it is at least min_run_samples long. The default of 3 follows
// common practice in level meters and mastering QC (e.g. RME DIGICheck, the "3 consecutive
// samples" clip indicators of digital consoles): one full-scale sample is what any
// peak-normalised file has, and even two in a row happen by chance in loud, low-frequency
// material; three or more equal full-scale samples mean the waveform was cut flat.
//
// Cost: one vectorised max|x| per block (which also gives the sample peak); samples are examined
// one by one only in blocks that reach full scale (or while a run is open). push() never allocates. Not thread-safe.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "audio/block.hpp"

namespace mixscout::dsp {

struct ClipOptions {
    float full_scale = 32767.0f / 32768.0f;  ///< |x| >= this is full scale (see above)
    int min_run_samples = 3;                 ///< shorter runs are not clipping
    std::size_t max_runs = 1000;             ///< runs kept (preallocated); counters keep counting
};

class ClipDetector {
public:
    ClipDetector(int sample_rate, int channels, ClipOptions options = {});

    struct Run {
        std::int64_t start_frame = 0;  ///< first full-scale frame of the run
        std::int64_t frames = 0;       ///< consecutive full-scale samples (grows while open)
        int channel = 0;
    };

    /// Feeds interleaved frames. block.channels must equal channels() (else std::invalid_argument)
    /// unless the block is empty, which is a no-op. No allocation.
    void push(const audio::Block& block) {
        push(block, [](const Run&) {});
    }
    /// Same, and calls on_run(run) from inside push() the moment a run reaches min_run_samples
    /// (so the live monitor learns of it within the block that clipped). The run may still grow
    /// afterwards: its final length is in runs(). Runs past the cap are reported too.
    template <class OnRun>
    void push(const audio::Block& block, OnRun&& on_run) {
        if (block.interleaved.empty()) return;  // an empty block (end of stream) is a no-op
        audio::require_channels("ClipDetector", block, channels_);
        const std::size_t n = block.frames();
        if (n == 0) return;
        if (!scan_block(block.interleaved.data(), n * static_cast<std::size_t>(channels_))) {
            frames_ += static_cast<std::int64_t>(n);
            return;
        }
        for (std::size_t i = 0; i < n; ++i) {
            for (int c = 0; c < channels_; ++c) {
                const float x = block.interleaved[i * static_cast<std::size_t>(channels_) + static_cast<std::size_t>(c)];
                if (x >= options_.full_scale || x <= -options_.full_scale) {
                    if (const Run* r = extend(c, frames_ + static_cast<std::int64_t>(i))) on_run(*r);
                } else if (run_len_[static_cast<std::size_t>(c)] > 0) {
                    end_run(c);
                }
            }
        }
        frames_ += static_cast<std::int64_t>(n);
    }

    /// Runs of at least min_run_samples, in the order they qualified (capped at max_runs).
    /// A new run appears here as soon as it qualifies: poll runs().size() after push().
    const std::vector<Run>& runs() const { return runs_; }
    std::int64_t run_count() const { return run_count_; }          ///< including past the cap
    std::int64_t clipped_samples() const { return clipped_samples_; }  ///< samples in qualifying runs
    bool run_open(int ch) const { return run_len_[static_cast<std::size_t>(ch)] >= options_.min_run_samples; }
    const ClipOptions& options() const { return options_; }
    int sample_rate() const { return sample_rate_; }
    int channels() const { return channels_; }
    std::int64_t frames() const { return frames_; }
    /// Largest |x| seen, any channel (linear): the sample peak, a by-product of the block scan.
    float sample_peak() const { return sample_peak_; }
    void reset();

private:
    // Updates the sample peak; true if the block must be examined sample by sample.
    bool scan_block(const float* samples, std::size_t n);
    // Adds one full-scale sample at `frame` to channel c's run; returns the run when it just qualified.
    const Run* extend(int c, std::int64_t frame);
    void end_run(int c);

    int sample_rate_;
    int channels_;
    ClipOptions options_;
    std::vector<Run> runs_;
    std::vector<std::int64_t> run_len_;    // per channel: current run length (0 = none)
    std::vector<std::int64_t> run_start_;  // per channel: first frame of the current run
    std::vector<std::int64_t> run_index_;  // per channel: index in runs_ of the open run, or -1
    Run scratch_;                          // a run reported past the cap
    std::int64_t run_count_ = 0;
    std::int64_t clipped_samples_ = 0;
    std::int64_t frames_ = 0;
    float sample_peak_ = 0.0f;
};

}  // namespace mixscout::dsp
