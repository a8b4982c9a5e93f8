// mixscout master: writes the mastered audio (libsndfile), quantising it ourselves.
//
// Formats by extension: .wav (default for anything else is an error), .flac (16/24 bit),
// .aif/.aiff. bits: 16 = PCM with TPDF dither (two uniform variables, +-1 LSB triangular: the
// quantisation error becomes signal-independent noise at ~-98 dBFS), 24 = PCM rounded (its noise
// is 48 dB lower than a 16-bit file's; dither would change nothing audible), 32 = IEEE float.
// write() returns the quantised values (as floats) so the caller meters exactly what is in the file.
//
// Threading: one thread. Memory: a conversion buffer of the largest block written.
#pragma once
#include <cstdint>
#include <filesystem>
#include <vector>

typedef struct sf_private_tag SNDFILE;

namespace mixscout::master {

class AudioWriter {
public:
    /// Opens path for writing (stereo). Throws InputError when it cannot.
    AudioWriter(const std::filesystem::path& path, int sample_rate, int bits);
    ~AudioWriter();
    AudioWriter(const AudioWriter&) = delete;
    AudioWriter& operator=(const AudioWriter&) = delete;

    /// Quantises and writes `frames` stereo frames; `quantised` (optional, 2*frames) receives
    /// what was written, as floats in [-1, 1). Throws InputError on a write error (disk full).
    void write(const float* interleaved, std::size_t frames, float* quantised = nullptr);
    /// Flushes and closes; throws InputError on failure. Called by the destructor if not before
    /// (which then swallows errors).
    void close();
    /// Samples at the largest code (or beyond full scale for float): 0 in a correct master.
    std::int64_t clipped_samples() const { return clipped_; }

private:
    std::filesystem::path path_;
    SNDFILE* file_ = nullptr;
    int bits_;
    std::uint32_t rng_ = 0x9E3779B9u;
    std::vector<short> s16_;
    std::vector<int> s32_;
    std::int64_t clipped_ = 0;
};

/// libsndfile major format for an output path (WAV/FLAC/AIFF); throws InputError otherwise.
int output_container(const std::filesystem::path& path);

}  // namespace mixscout::master
