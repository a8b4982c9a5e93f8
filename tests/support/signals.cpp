#include "support/signals.hpp"

#include "support/random.hpp"

#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <numbers>
#include <random>
#include <stdexcept>


namespace mixscout::test {
namespace {
double rms(const std::vector<float>& v) {
    double acc = 0.0;
    for (float x : v) acc += static_cast<double>(x) * x;
    return v.empty() ? 0.0 : std::sqrt(acc / static_cast<double>(v.size()));
}
void scale_to_rms(Signal& s, double rms_dbfs) {
    const double current = rms(s.samples);
    if (current <= 0.0) return;
    const double g = std::pow(10.0, rms_dbfs / 20.0) / current;
    for (float& x : s.samples) x = static_cast<float>(x * g);
}
}  // namespace

Signal sine(double freq_hz, double dbfs, double seconds, int sample_rate, int channels, double phase_deg) {
    Signal s{sample_rate, channels, {}};
    const auto n = static_cast<std::size_t>(std::llround(seconds * sample_rate));
    s.samples.resize(n * channels);
    const double a = std::pow(10.0, dbfs / 20.0);
    const double w = 2.0 * std::numbers::pi * freq_hz / sample_rate;
    const double ph = phase_deg * std::numbers::pi / 180.0;
    for (std::size_t i = 0; i < n; ++i)
        for (int c = 0; c < channels; ++c)
            s.samples[i * channels + c] = static_cast<float>(a * std::sin(w * static_cast<double>(i) + (c > 0 ? ph : 0.0)));
    return s;
}

Signal white_noise(double rms_dbfs, double seconds, int sample_rate, int channels, std::uint32_t seed) {
    Signal s{sample_rate, channels, {}};
    const auto n = static_cast<std::size_t>(std::llround(seconds * sample_rate));
    s.samples.resize(n * channels);
    Random rng(seed);
    for (float& x : s.samples) x = static_cast<float>(rng.uniform_pm1());
    scale_to_rms(s, rms_dbfs);
    return s;
}

Signal pink_noise(double rms_dbfs, double seconds, int sample_rate, int channels, std::uint32_t seed) {
    Signal s{sample_rate, channels, {}};
    const auto n = static_cast<std::size_t>(std::llround(seconds * sample_rate));
    s.samples.resize(n * channels);
    Random rng(seed);
    for (int c = 0; c < channels; ++c) {
        // Paul Kellet's refined pink filter: within 0.05 dB of -3 dB/octave above ~10 Hz at 44.1k.
        double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double w = rng.normal();
            b0 = 0.99886 * b0 + w * 0.0555179;
            b1 = 0.99332 * b1 + w * 0.0750759;
            b2 = 0.96900 * b2 + w * 0.1538520;
            b3 = 0.86650 * b3 + w * 0.3104856;
            b4 = 0.55000 * b4 + w * 0.5329522;
            b5 = -0.7616 * b5 - w * 0.0168980;
            const double pink = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
            b6 = w * 0.115926;
            s.samples[i * channels + c] = static_cast<float>(pink);
        }
    }
    scale_to_rms(s, rms_dbfs);
    return s;
}

Signal silence(double seconds, int sample_rate, int channels) {
    Signal s{sample_rate, channels, {}};
    s.samples.assign(static_cast<std::size_t>(std::llround(seconds * sample_rate)) * channels, 0.0f);
    return s;
}

Signal concat(const Signal& a, const Signal& b) {
    if (a.sample_rate != b.sample_rate || a.channels != b.channels) throw std::invalid_argument("concat: layouts differ");
    Signal s = a;
    s.samples.insert(s.samples.end(), b.samples.begin(), b.samples.end());
    return s;
}

void mix_into(Signal& a, const Signal& b, double offset_s) {
    if (a.sample_rate != b.sample_rate || a.channels != b.channels) throw std::invalid_argument("mix_into: layouts differ");
    const auto off = static_cast<std::size_t>(std::llround(offset_s * a.sample_rate)) * a.channels;
    for (std::size_t i = 0; i < b.samples.size() && off + i < a.samples.size(); ++i) a.samples[off + i] += b.samples[i];
}

void apply_gain_db(Signal& s, double db) {
    const double g = std::pow(10.0, db / 20.0);
    for (float& x : s.samples) x = static_cast<float>(x * g);
}

void insert_clip(Signal& s, double time_s, int samples, int channel) {
    const auto start = static_cast<std::size_t>(std::llround(time_s * s.sample_rate));
    for (int i = 0; i < samples && start + i < s.frames(); ++i) s.samples[(start + i) * s.channels + channel] = 1.0f;
}

void write_audio(const std::filesystem::path& path, const Signal& s, int sf_format) {
    SF_INFO info{};
    info.samplerate = s.sample_rate;
    info.channels = s.channels;
    info.format = sf_format ? sf_format : (SF_FORMAT_WAV | SF_FORMAT_PCM_24);
    SNDFILE* f = sf_open(path.string().c_str(), SFM_WRITE, &info);  // test paths are ASCII
    if (!f) throw std::runtime_error("write_audio: cannot open " + path.string() + ": " + sf_strerror(nullptr));
    // Full-scale samples must stay full scale in PCM, not wrap: let libsndfile clip on conversion.
    sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
    const sf_count_t written = sf_writef_float(f, s.samples.data(), static_cast<sf_count_t>(s.frames()));
    sf_close(f);
    if (written != static_cast<sf_count_t>(s.frames())) throw std::runtime_error("write_audio: short write to " + path.string());
}

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_file_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string scramble_mp3_side_info(std::string mp3, std::size_t from, std::uint32_t seed) {
    std::mt19937 rng(seed);
    for (std::size_t i = from; i + 40 < mp3.size();) {
        const auto b0 = static_cast<unsigned char>(mp3[i]), b1 = static_cast<unsigned char>(mp3[i + 1]);
        if (b0 == 0xFF && (b1 & 0xFE) == 0xFA) {  // MPEG-1 Layer III sync
            for (std::size_t j = i + 4; j < i + 36; ++j) mp3[j] = static_cast<char>(rng() & 0xFF);
            i += 400;  // past this frame's side information (a 192 kb/s frame is 626/627 bytes)
        } else {
            ++i;
        }
    }
    return mp3;
}

Signal read_audio(const std::filesystem::path& path) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.string().c_str(), SFM_READ, &info);
    if (!f) throw std::runtime_error("read_audio: cannot open " + path.string());
    Signal s{info.samplerate, info.channels, {}};
    s.samples.resize(static_cast<std::size_t>(info.frames) * info.channels);
    const sf_count_t got = sf_readf_float(f, s.samples.data(), info.frames);
    sf_close(f);
    s.samples.resize(static_cast<std::size_t>(got) * info.channels);
    return s;
}

TempDir::TempDir() {
    // mkdtemp is POSIX only: random names until create_directory makes a new one (it reports
    // false for a name that exists, so two processes never share a folder).
    std::random_device seed;
    std::mt19937_64 rng((std::uint64_t{seed()} << 32) ^ seed());
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
        char name[32];
        std::snprintf(name, sizeof name, "mixscout-test-%012llx", static_cast<unsigned long long>(rng() & 0xFFFFFFFFFFFFull));
        if (std::filesystem::create_directory(base / name)) {
            path_ = base / name;
            return;
        }
    }
    throw std::runtime_error("TempDir: no fresh folder under " + base.string());
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

}  // namespace mixscout::test
