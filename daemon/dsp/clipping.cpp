#include "dsp/clipping.hpp"

#include <string>

#include "dsp/block_scan.hpp"

namespace mixscout::dsp {

ClipDetector::ClipDetector(int sample_rate, int channels, ClipOptions options)
    : sample_rate_(sample_rate), channels_(channels), options_(options) {
    audio::require_layout("ClipDetector", sample_rate, channels, audio::max_kernel_channels);
    if (options_.min_run_samples < 1) options_.min_run_samples = 1;
    runs_.reserve(options_.max_runs);
    reset();
}

void ClipDetector::reset() {
    runs_.clear();
    run_len_.assign(static_cast<std::size_t>(channels_), 0);
    run_start_.assign(static_cast<std::size_t>(channels_), 0);
    run_index_.assign(static_cast<std::size_t>(channels_), -1);
    run_count_ = 0;
    clipped_samples_ = 0;
    frames_ = 0;
    sample_peak_ = 0.0f;
}

bool ClipDetector::scan_block(const float* samples, std::size_t n) {
    const float peak = abs_max(samples, n);
    if (peak > sample_peak_) sample_peak_ = peak;
    for (std::int64_t len : run_len_)
        if (len > 0) return true;  // an open run must be closed (or extended) sample-accurately
    // Examined sample by sample only if the block reaches full scale somewhere.
    return peak >= options_.full_scale;
}

const ClipDetector::Run* ClipDetector::extend(int c, std::int64_t frame) {
    const auto uc = static_cast<std::size_t>(c);
    std::int64_t& len = run_len_[uc];
    if (len == 0) run_start_[uc] = frame;
    ++len;
    if (len < options_.min_run_samples) return nullptr;
    if (len == options_.min_run_samples) {
        // The run qualifies now: count it, keep it if there is room, report it.
        ++run_count_;
        clipped_samples_ += len;
        if (runs_.size() < options_.max_runs) {
            runs_.push_back(Run{run_start_[uc], len, c});
            run_index_[uc] = static_cast<std::int64_t>(runs_.size()) - 1;
            return &runs_.back();
        }
        run_index_[uc] = -1;
        // Past the cap: still report it (the caller may count or log), from a scratch copy.
        scratch_ = Run{run_start_[uc], len, c};
        return &scratch_;
    }
    ++clipped_samples_;
    if (run_index_[uc] >= 0) runs_[static_cast<std::size_t>(run_index_[uc])].frames = len;
    return nullptr;
}

void ClipDetector::end_run(int c) {
    const auto uc = static_cast<std::size_t>(c);
    run_len_[uc] = 0;
    run_index_[uc] = -1;
}

}  // namespace mixscout::dsp
