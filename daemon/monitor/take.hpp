// mixscout monitor: cutting the captured stream into takes and analysing each one.
//
// A take starts with the first block whose sample peak exceeds silence_dbfs (-60 dBFS, the
// analysis' own silence threshold) and ends when the signal stayed below it for end_silence_s,
// or when the monitor stops. The trailing silence is not part of the take (held back, and
// pushed only if sound resumes before end_silence_s), so a take's analysis does not report the
// wait as "trailing silence". Takes shorter than min_take_s (a click, a count-in) are dropped.
//
// Every block of a take goes through an analysis::Analyzer (the same code as files), so a
// take's Analysis is exactly what `mixscout analyze` would say of a recording of it.
// The take's identity is a hash of its samples ("live:fnv1a64:<hex>"), for the history.
//
// Memory: the held-back silence, end_silence_s of audio, preallocated; the Analyzer's own.
// Threading: one thread. finish() and the Analyzer construction (FFT plans) take milliseconds:
// this is the analysis thread's work, never the audio callback's.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.hpp"
#include "analysis/analyzer.hpp"
#include "audio/block.hpp"

namespace mixscout::monitor {

struct TakeOptions {
    double silence_dbfs = -60.0;   ///< a block with a sample above this is sound
    double end_silence_s = 3.0;    ///< this much silence ends a take
    double min_take_s = 2.0;       ///< shorter takes are dropped
};

struct Take {
    analysis::Analysis analysis;   ///< format.duration_s = the take's length
    std::string hash;              ///< "live:fnv1a64:<16 hex>" of the samples
    double start_s = 0.0;          ///< stream time of the first sound
};

class TakeRecorder {
public:
    TakeRecorder(int sample_rate, int channels, TakeOptions options);
    ~TakeRecorder();

    /// Feeds a block. Returns a finished take when this block completed end_silence_s of silence
    /// after a take of at least min_take_s.
    std::optional<Take> push(const audio::Block& block);
    /// Ends the current take now (stop, stream lost); nullopt if none or too short.
    std::optional<Take> finish();

    bool in_take() const { return analyzer_ != nullptr && taking_; }

private:
    void feed(const audio::Block& block);
    std::optional<Take> close();

    int sample_rate_, channels_;
    TakeOptions options_;
    float threshold_;
    std::unique_ptr<analysis::Analyzer> analyzer_;  // ready before the take starts
    bool taking_ = false;
    std::vector<float> held_;      // silence since the last sound, not yet pushed
    std::size_t held_samples_ = 0;
    std::int64_t stream_frames_ = 0;
    std::int64_t take_start_frame_ = 0;
    std::uint64_t hash_ = 0;
};

}  // namespace mixscout::monitor
