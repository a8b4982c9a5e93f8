// mixscout analysis: runs every measurement kernel over one audio stream, in one pass.
//
// The same Analyzer serves files (analyze_file) and live takes (the monitor pushes captured
// blocks): push() blocks as they come, finish() whenever a result is wanted.
//
//   analysis::Analyzer a(48000, 2);
//   while (auto b = decoder.read(); b.frames()) a.push(b);
//   analysis::Analysis result = a.finish(decoder.info());
//
// Memory: constant in the stream length, except LoudnessInfo::short_term_series (4 bytes per
// 100 ms, ~144 kB per hour; off with keep_series = false) and clip events (capped at 1000).
// Cost: ~20 ns per stereo frame on one core (4x true-peak FIR, K-weighting + gating, Welch STFT,
// level stats); threads = 2 splits the kernels over two threads (see docs/BENCHMARKS.md).
//
// Threading: an Analyzer is used from one thread at a time. With threads = 2 it owns one worker
// thread, started in the constructor and joined in the destructor; push() returns only when both
// halves are done with the block, so the caller may reuse the block's memory right after.
// Construction plans FFTs (serialised internally, FFTW planning is not thread-safe): construct
// outside any real-time callback.
#pragma once
#include <cstddef>
#include <filesystem>
#include <memory>

#include "analysis/analysis.hpp"
#include "audio/block.hpp"
#include "audio/decoder.hpp"

namespace mixscout::analysis {

struct AnalyzeOptions {
    bool keep_series = true;          ///< keep loudness.short_term_series (10 Hz)
    int threads = 0;                  ///< kernel threads, 1 or 2; 0 = analyze_file picks (2 on >= 2 cores), Analyzer uses 1
    std::size_t block_frames = 32768; ///< decode block size for analyze_file
};

class Analyzer {
public:
    /// channels: 1 or 2 (InputError otherwise); sample_rate 8000..384000.
    Analyzer(int sample_rate, int channels, AnalyzeOptions options = {});
    ~Analyzer();
    Analyzer(const Analyzer&) = delete;
    Analyzer& operator=(const Analyzer&) = delete;

    /// Feeds a block (block.channels must match). No allocation except the series (amortised).
    void push(const audio::Block& block);
    /// Like push(), but returns as soon as the calling thread's half of the kernels is done: with
    /// threads = 2 the worker may still be reading the block, which must stay valid and unchanged
    /// until the next call of any member (they all wait for the worker first). analyze_file uses
    /// it with the decoder's alternating buffers, so decoding overlaps the worker's half.
    void push_overlapped(const audio::Block& block);

    /// The measurements so far. `info` supplies the format section (container, bit depth...);
    /// its frames/duration are replaced by what was actually pushed.
    Analysis finish(const audio::StreamInfo& info) const;
    /// Same, with the format section built from the sample rate and channels only.
    Analysis finish() const;

    std::int64_t frames() const;
    int sample_rate() const;
    int channels() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Decodes and analyses a file in one streaming pass. Throws InputError("<path>: ...") for bad
/// input (see audio/decoder.hpp). Analysis::path is set to `path` as given.
Analysis analyze_file(const std::filesystem::path& path, const AnalyzeOptions& options = {});

/// Analyses samples already in memory (interleaved, block.channels channels).
Analysis analyze_samples(const audio::Block& block, int sample_rate, const AnalyzeOptions& options = {});

}  // namespace mixscout::analysis
