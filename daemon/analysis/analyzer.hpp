// mixscout analysis: runs every measurement kernel over one audio stream, in one pass.
//
// The same Analyzer serves files (analyze_file) and live takes (the monitor pushes captured
// blocks): push() blocks as they come, finish() whenever a result is wanted.
//
//   analysis::Analyzer a(48000, 2);
//   while (auto b = decoder.read(); b.frames()) a.push(b);
//   analysis::Analysis result = a.finish(decoder.info());
//
// Memory: constant in the stream length, except the 10 Hz series (short-term and momentary
// loudness, true peak, crest, PSR, correlation, width: 4 bytes each per 100 ms, ~1 MB per hour
// together; off with keep_series = false) and clip events (capped at 1000).
// Cost: ~15 ns per stereo frame of CPU (4x true-peak FIR, K-weighting + gating, Welch STFT, level
// stats, decoding not included); threads > 1 run the kernels (and in consume() the decoder) side
// by side, each kernel still seeing the blocks in order (see analyzer.cpp, docs/BENCHMARKS.md).
//
// Threading: an Analyzer is used from one thread at a time. With threads = N it owns N - 1 worker
// threads, started in the constructor and joined in the destructor; the calling thread works too.
// push() returns only when every kernel is done with the block, so the caller may reuse the
// block's memory right after.
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
    bool keep_series = true;          ///< keep the 10 Hz series (loudness, true peak, dynamics, stereo)
    int threads = 0;                  ///< threads working on the stream, the caller's included; 0 = analyze_file
                                      ///< picks default_threads(), an Analyzer built directly uses 1
    std::size_t block_frames = 32768; ///< decode block size for analyze_file
    /// The stream's integer PCM word length when it has one (analyze_file takes it from the
    /// file): at 16 bits and below the analysis also measures whether it was dithered.
    int pcm_bits = 0;
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
    /// Decodes the rest of the decoder's stream and feeds it, like push() per block but with
    /// decoding overlapped with the kernels (threads > 1). Decoder errors propagate (InputError);
    /// the measurements then cover the blocks before the error.
    void consume(audio::Decoder& decoder);

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

/// What the history records of an export: its analysis, and the content hash and size of exactly
/// the bytes that were decoded (read through the decoder's descriptor after decoding). Throws
/// InputError "...: changed while it was being analysed ..." when the file was replaced (renamed
/// over) or rewritten while it was read: its analysis would belong to no file on disk, and
/// storing it under the new file's hash would be wrong. The caller analyses it again later.
struct AnalysedExport {
    Analysis analysis;
    std::string content_hash;  ///< "fnv1a64:<16 hex>", as history::content_hash
    std::uint64_t size_bytes = 0;
};
AnalysedExport analyze_export(const std::filesystem::path& path, const AnalyzeOptions& options = {});

/// "72 corrupt MP3 frames concealed (1.9 s)" when the decoder concealed damaged frames
/// (FormatInfo::concealed_frames), else "": the figures include them, so the CLI and the daemon
/// show it beside them.
std::string concealed_warning(const Analysis& a);

/// One thread per core, at most 4 (where analyze_file stops gaining).
int default_threads();

/// Analyses samples already in memory (interleaved, block.channels channels).
Analysis analyze_samples(const audio::Block& block, int sample_rate, const AnalyzeOptions& options = {});

}  // namespace mixscout::analysis
