// mixscout master: the one-pass analysis of a file for mastering (mix or reference).
//
// A Profile holds what the EQ match and the loudness match need:
//   - BS.1770-4 integrated loudness (dsp::LoudnessMeter);
//   - the mid (L+R)/2 and side (L-R)/2 power spectral densities over the loudest sections, on a
//     log-frequency grid (grid_hz(): 1/24 octave, 15.6 Hz .. 22.6 kHz) shared by every sample
//     rate, normalised so that the K-weighted power of mid + side integrates to 1: two files of
//     different loudness, or different sample rates, compare bin for bin;
//   - a 64-bit hash of the decoded samples (to refuse a reference identical to the mix);
//   - for the mix, per ~1.3 ms chunk (sample_rate / 750 frames) the sample peak and mean square:
//     the limiter's loudness-loss model (loudness_model.hpp) runs on these. 8 bytes per chunk:
//     1.4 MB per 4 minutes, 22 MB per hour — the one part of the memory that grows with length.
//
// "Loudest sections": the STFT (Hann, ~0.17 s, 50 % overlap) is summed into 1 s segments; each
// segment's spectrum is added to a histogram bin of its K-weighted level (1 dB bins, 100 dB
// range). At the end the loudest bins are taken until they cover `loudest_fraction` of the
// segments above -70 dB: memory stays ~6 MB whatever the duration.
//
// Cost: two real FFTs per hop plus the loudness meter. Threading: one builder per thread.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "analysis/analysis.hpp"
#include "audio/block.hpp"

namespace mixscout::master {

/// The shared log-frequency grid (Hz), 1/24 octave: grid_hz()[i] = 1000 * 2^((i - 144) / 24), i = 0..252.
const std::vector<double>& grid_hz();
inline constexpr int grid_points_per_octave = 24;
/// |K(f)|^2, the power response of BS.1770-4 K-weighting (48 kHz prototype; held above 24 kHz).
double k_weight_power(double hz);

struct ChunkStat {
    float peak = 0.0f;         ///< max |sample| over both channels
    float mean_square = 0.0f;  ///< (L^2 + R^2) / 2 averaged over the chunk
};

struct Profile {
    std::filesystem::path path;
    int sample_rate = 0;
    int channels = 0;
    std::int64_t frames = 0;
    double integrated_lufs = 0.0;
    double sample_peak = 0.0;          ///< linear
    std::vector<double> mid_psd;       ///< on grid_hz(), normalised (see above); 0 above valid_hi_hz
    std::vector<double> side_psd;
    double valid_hi_hz = 0.0;          ///< the spectra mean something below this (0.45 * rate)
    double width_db = -120.0;          ///< side / mid power over the loudest sections
    std::uint64_t hash = 0;
    std::vector<ChunkStat> chunks;     ///< only when asked for (the mix)
    int chunk_frames = 64;             ///< frames per chunk
    static int chunk_frames_for(int sample_rate) { return sample_rate / 750 > 16 ? sample_rate / 750 : 16; }
};

class ProfileBuilder {
public:
    ProfileBuilder(int sample_rate, double loudest_fraction, bool keep_chunks);
    ~ProfileBuilder();
    ProfileBuilder(const ProfileBuilder&) = delete;
    ProfileBuilder& operator=(const ProfileBuilder&) = delete;

    /// Stereo interleaved frames. No allocation (except chunk stats, amortised).
    void push(const audio::Block& block);
    Profile finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Decodes `path` and builds its mastering Profile (not an analysis::Analysis: that is
/// analysis::analyze_file, or `also` below). frames_done (optional) is advanced as blocks are read;
/// `cancel` (optional) stops early with an exception when set by another thread. `also`
/// (optional) receives the same blocks (the full analysis, for the report's before figures); it is
/// created here, at the file's sample rate, so the caller need not know it in advance.
/// Throws InputError: unreadable, not stereo, shorter than min_duration_s.
Profile profile_file(const std::filesystem::path& path, double loudest_fraction, double min_duration_s, bool keep_chunks,
                     std::atomic<std::int64_t>* frames_done = nullptr, const std::atomic<bool>* cancel = nullptr,
                     analysis::Analysis* also = nullptr);

/// Checks a file can be mastered (readable, stereo, long enough) without decoding it.
/// Returns its frame count. Throws InputError.
std::int64_t check_input(const std::filesystem::path& path, double min_duration_s, const char* role);

}  // namespace mixscout::master
