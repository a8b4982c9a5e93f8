// Test support: signals built with known properties, written to real files.
//
// Everything is deterministic (fixed seeds) so a failing test fails the same way twice.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mixscout::test {

/// Interleaved float frames plus their layout.
struct Signal {
    int sample_rate = 48000;
    int channels = 2;
    std::vector<float> samples;  ///< interleaved
    std::size_t frames() const { return samples.size() / static_cast<std::size_t>(channels); }
    double duration_s() const { return static_cast<double>(frames()) / sample_rate; }
};

/// A sine of amplitude 10^(dbfs/20) on every channel (phase_deg added to channel 1+).
Signal sine(double freq_hz, double dbfs, double seconds, int sample_rate = 48000, int channels = 2,
            double phase_deg = 0.0);
/// White noise, uniform spectrum, RMS at rms_dbfs, independent per channel (uncorrelated).
Signal white_noise(double rms_dbfs, double seconds, int sample_rate = 48000, int channels = 2, std::uint32_t seed = 1);
/// Pink noise (-3 dB/octave, Voss-McCartney/Kellet filter), RMS at rms_dbfs, independent per channel.
Signal pink_noise(double rms_dbfs, double seconds, int sample_rate = 48000, int channels = 2, std::uint32_t seed = 2);
/// Silence.
Signal silence(double seconds, int sample_rate = 48000, int channels = 2);

/// Appends b after a (same rate and channels).
Signal concat(const Signal& a, const Signal& b);
/// Sums b into a sample by sample, starting at offset_s.
void mix_into(Signal& a, const Signal& b, double offset_s = 0.0);
/// Multiplies every sample by 10^(db/20).
void apply_gain_db(Signal& s, double db);
/// Sets `samples` consecutive samples on `channel` to +1.0 (full scale) starting at time_s.
void insert_clip(Signal& s, double time_s, int samples, int channel);

/// libsndfile format: SF_FORMAT_WAV | SF_FORMAT_PCM_24 etc. Default: WAV, 24-bit PCM.
void write_audio(const std::filesystem::path& path, const Signal& s, int sf_format = 0);
/// Reads any libsndfile-readable file.
Signal read_audio(const std::filesystem::path& path);

/// A file's bytes, and a file made of bytes (damaged copies of real files).
std::string file_bytes(const std::filesystem::path& path);
void write_file_bytes(const std::filesystem::path& path, const std::string& bytes);
/// An MPEG-1 Layer III file's bytes with the side information of every frame from byte `from`
/// on replaced by random bytes (seeded), frame headers intact: frames a decoder finds but cannot
/// decode as written (libmpg123 conceals them).
std::string scramble_mp3_side_info(std::string mp3, std::size_t from, std::uint32_t seed);

/// A fresh empty directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

}  // namespace mixscout::test
