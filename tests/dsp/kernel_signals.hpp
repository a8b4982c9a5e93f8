// Test-local signal builders and the libebur128 oracle for the DSP kernel tests.
#pragma once
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "audio/block.hpp"
#include "support/ebur128_oracle.hpp"  // ebur128_measure
#include "support/random.hpp"
#include "support/signals.hpp"

namespace mixscout::test {

/// A view of a whole test signal as one Block.
inline audio::Block as_block(const Signal& s) { return audio::Block{std::span<const float>(s.samples), s.channels}; }

/// Feeds a signal to a kernel in blocks of `block_frames` (odd sizes exercise block edges).
template <class Kernel, class... Extra>
void push_in_blocks(Kernel& k, const Signal& s, std::size_t block_frames, Extra&&... extra) {
    const auto ch = static_cast<std::size_t>(s.channels);
    for (std::size_t f = 0; f < s.frames(); f += block_frames) {
        const std::size_t n = std::min(block_frames, s.frames() - f);
        k.push(audio::Block{std::span<const float>(s.samples.data() + f * ch, n * ch), s.channels}, extra...);
    }
}

/// Stereo 1 kHz sine, in segments of (level dBFS, seconds) as EBU Tech 3341/3342 describe their
/// test signals; the phase runs on across segments.
inline Signal sine_segments(const std::vector<std::pair<double, double>>& segments, int sample_rate,
                            double freq_hz = 1000.0, int channels = 2) {
    Signal s{sample_rate, channels, {}};
    const double w = 2.0 * std::numbers::pi * freq_hz / sample_rate;
    std::int64_t n = 0;
    for (const auto& [dbfs, seconds] : segments) {
        const double a = std::pow(10.0, dbfs / 20.0);
        const auto len = static_cast<std::int64_t>(std::llround(seconds * sample_rate));
        for (std::int64_t i = 0; i < len; ++i, ++n) {
            const auto v = static_cast<float>(a * std::sin(w * static_cast<double>(n)));
            for (int c = 0; c < channels; ++c) s.samples.push_back(v);
        }
    }
    return s;
}

/// Raised-cosine fade in and out over fade_s (Tech 3341 true-peak signals are tapered so the
/// onset adds no overshoot of its own).
inline void taper(Signal& s, double fade_s) {
    const auto n = static_cast<std::size_t>(fade_s * s.sample_rate);
    const std::size_t frames = s.frames();
    for (std::size_t i = 0; i < n && i < frames; ++i) {
        const double g = 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(i) / static_cast<double>(n));
        for (int c = 0; c < s.channels; ++c) {
            s.samples[i * s.channels + c] *= static_cast<float>(g);
            s.samples[(frames - 1 - i) * s.channels + c] *= static_cast<float>(g);
        }
    }
}

/// A deterministic music-like stereo signal: kick, bass line, a pad chord with tremolo, noise
/// hats panned apart, and sections at different levels (so gating and LRA have work to do).
inline Signal music_like(double seconds, int sample_rate, std::uint32_t seed = 7) {
    Signal s{sample_rate, 2, {}};
    const auto n = static_cast<std::size_t>(std::llround(seconds * sample_rate));
    s.samples.assign(n * 2, 0.0f);
    mixscout::test::Random rng(seed);
    const double fs = sample_rate, two_pi = 2.0 * std::numbers::pi;
    const double bass_notes[4] = {55.0, 65.41, 49.0, 73.42};
    double hp_l = 0.0, hp_r = 0.0, prev_l = 0.0, prev_r = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / fs;
        const double beat = std::fmod(t, 0.5);            // 120 bpm
        const double bar = std::floor(t / 2.0);
        const int section = static_cast<int>(std::floor(t / 8.0)) % 3;  // verse / chorus / break
        const double section_gain = section == 0 ? 0.35 : section == 1 ? 1.0 : 0.12;
        const double kick = std::exp(-beat * 18.0) * std::sin(two_pi * (50.0 + 80.0 * std::exp(-beat * 30.0)) * beat);
        const double bass_f = bass_notes[static_cast<int>(bar) % 4];
        const double bass = 0.5 * std::sin(two_pi * bass_f * t) * (0.6 + 0.4 * std::exp(-beat * 4.0));
        const double trem = 0.75 + 0.25 * std::sin(two_pi * 0.5 * t);
        const double pad = trem * (0.18 * std::sin(two_pi * 220.0 * t) + 0.14 * std::sin(two_pi * 277.18 * t + 1.0) +
                                   0.12 * std::sin(two_pi * 329.63 * t + 2.0) + 0.05 * std::sin(two_pi * 1760.0 * t));
        const double hat_env = std::exp(-std::fmod(t, 0.25) * 60.0);
        const double wl = rng.normal(), wr = rng.normal();
        hp_l = 0.6 * (hp_l + wl - prev_l);  // crude high-pass: hats are bright
        hp_r = 0.6 * (hp_r + wr - prev_r);
        prev_l = wl;
        prev_r = wr;
        const double l = section_gain * (0.7 * kick + bass + pad * 1.1 + 0.25 * hat_env * hp_l);
        const double r = section_gain * (0.7 * kick + bass + pad * 0.9 + 0.12 * hat_env * hp_r);
        s.samples[2 * i] = static_cast<float>(0.5 * l);
        s.samples[2 * i + 1] = static_cast<float>(0.5 * r);
    }
    return s;
}

}  // namespace mixscout::test
