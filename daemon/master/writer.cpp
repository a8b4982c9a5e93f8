#include "master/writer.hpp"

#ifdef _WIN32
// sf_wchar_open: the path as Windows' UTF-16, so any user name and folder name works.
#define WIN32_LEAN_AND_MEAN
#ifndef NOMINMAX  // mingw's libstdc++ defines it already
#define NOMINMAX
#endif
#include <windows.h>
#define ENABLE_SNDFILE_WINDOWS_PROTOTYPES 1
#endif
#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace mixscout::master {

int output_container(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".wav") return SF_FORMAT_WAV;
    if (ext == ".flac") return SF_FORMAT_FLAC;
    if (ext == ".aif" || ext == ".aiff") return SF_FORMAT_AIFF;
    throw InputError(path.string() + ": output must be .wav, .flac or .aiff");
}

AudioWriter::AudioWriter(const std::filesystem::path& path, int sample_rate, int bits) : path_(path), bits_(bits) {
    const int container = output_container(path);
    int sub = 0;
    if (bits == 16) sub = SF_FORMAT_PCM_16;
    else if (bits == 24) sub = SF_FORMAT_PCM_24;
    else if (bits == 32) sub = SF_FORMAT_FLOAT;
    else throw InputError("--bits must be 16, 24 or 32 (float), not " + std::to_string(bits));
    if (container == SF_FORMAT_FLAC && bits == 32) throw InputError(path.string() + ": FLAC has no 32-bit float; use --bits 16 or 24");
    SF_INFO info{};
    info.samplerate = sample_rate;
    info.channels = 2;
    info.format = container | sub;
#ifdef _WIN32
    file_ = sf_wchar_open(path.c_str(), SFM_WRITE, &info);
#else
    file_ = sf_open(path.c_str(), SFM_WRITE, &info);
#endif
    if (!file_) throw InputError(path.string() + ": cannot write: " + sf_strerror(nullptr));
}

AudioWriter::~AudioWriter() {
    try {
        close();
    } catch (...) {
    }
}

void AudioWriter::close() {
    if (!file_) return;
    const int rc = sf_close(file_);
    file_ = nullptr;
    if (rc != 0) throw InputError(path_.string() + ": cannot finish writing: " + sf_error_number(rc));
}

void AudioWriter::write(const float* in, std::size_t frames, float* quantised) {
    const std::size_t n = 2 * frames;
    sf_count_t written = 0;
    if (bits_ == 16) {
        // TPDF dither: the difference of two uniform [0, 1) variables, in LSBs (xorshift32).
        s16_.resize(n);
        auto uniform = [this] {
            rng_ ^= rng_ << 13;
            rng_ ^= rng_ >> 17;
            rng_ ^= rng_ << 5;
            return static_cast<float>(rng_ >> 8) * (1.0f / 16777216.0f);
        };
        for (std::size_t i = 0; i < n; ++i) {
            const float d = uniform() - uniform();
            float q = std::floor(in[i] * 32768.0f + d + 0.5f);
            if (q >= 32767.0f || q <= -32768.0f) {
                ++clipped_;
                q = std::clamp(q, -32768.0f, 32767.0f);
            }
            s16_[i] = static_cast<short>(q);
            if (quantised) quantised[i] = q * (1.0f / 32768.0f);
        }
        written = sf_writef_short(file_, s16_.data(), static_cast<sf_count_t>(frames));
    } else if (bits_ == 24) {
        s32_.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            double q = std::nearbyint(static_cast<double>(in[i]) * 8388608.0);
            if (q >= 8388607.0 || q <= -8388608.0) {
                ++clipped_;
                q = std::clamp(q, -8388608.0, 8388607.0);
            }
            const auto v = static_cast<int>(q);
            s32_[i] = static_cast<int>(static_cast<unsigned>(v) << 8);  // libsndfile takes the top 24 bits
            if (quantised) quantised[i] = static_cast<float>(q / 8388608.0);
        }
        written = sf_writef_int(file_, s32_.data(), static_cast<sf_count_t>(frames));
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            if (std::fabs(in[i]) >= 1.0f) ++clipped_;
            if (quantised) quantised[i] = in[i];
        }
        written = sf_writef_float(file_, in, static_cast<sf_count_t>(frames));
    }
    if (written != static_cast<sf_count_t>(frames))
        throw InputError(path_.string() + ": write failed: " + sf_strerror(file_));
}

}  // namespace mixscout::master
