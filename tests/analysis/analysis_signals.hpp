// Signals for the analysis tests, built from tests/support/signals.hpp.
#pragma once
#include <cmath>
#include <numbers>

#include "audio/block.hpp"
#include "support/signals.hpp"

namespace mixscout::test {

/// Music-like: pink noise "drums" with a 120 bpm decaying envelope, a 55 Hz bass line, a chord
/// (220/277/330 Hz) panned slightly, a quiet intro and a loud chorus, so gating, LRA and true
/// peak all have something to do.
inline Signal music_like(double seconds, int sample_rate = 48000, int channels = 2) {
    Signal s = pink_noise(-18.0, seconds, sample_rate, channels, 7);
    const std::size_t n = s.frames();
    const double beat_frames = sample_rate * 0.5;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / sample_rate;
        const double beat_pos = std::fmod(static_cast<double>(i), beat_frames) / beat_frames;
        const double env = std::exp(-6.0 * beat_pos);
        const double section = t < seconds / 3 ? 0.25 : 1.0;  // quiet intro, then louder
        const double bass = 0.25 * std::sin(2 * std::numbers::pi * 55.0 * t);
        for (int c = 0; c < channels; ++c) {
            const double chord = 0.08 * (std::sin(2 * std::numbers::pi * 220.0 * t + c) +
                                         std::sin(2 * std::numbers::pi * 277.18 * t) +
                                         std::sin(2 * std::numbers::pi * 329.63 * t + 0.5 * c));
            float& x = s.samples[i * channels + c];
            x = static_cast<float>(section * (env * 2.0 * x + bass + chord));
        }
    }
    return s;
}

inline audio::Block block_of(const Signal& s) { return audio::Block{s.samples, s.channels}; }

/// L and R from two mono signals.
inline Signal interleave(const Signal& left, const Signal& right) {
    Signal s{left.sample_rate, 2, {}};
    s.samples.resize(left.frames() * 2);
    for (std::size_t i = 0; i < left.frames(); ++i) {
        s.samples[2 * i] = left.samples[i];
        s.samples[2 * i + 1] = right.samples[i];
    }
    return s;
}

}  // namespace mixscout::test
