// Test signals for the stems tests: instruments built with known spectra and envelopes.
// Everything is deterministic; mono unless a channel count is given.
#pragma once
#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "support/random.hpp"
#include "support/signals.hpp"

namespace mixscout::test::stems {

inline constexpr double two_pi = 2.0 * std::numbers::pi;

/// Kick: a ~55 Hz sine burst every `period_s`, pitch falling from ~100 Hz within ~25 ms,
/// amplitude decaying with decay_s (each hit rings on for 6 decay_s, overlapping the next: no clicks).
inline Signal kick(double seconds, double period_s = 0.5, double peak = 0.8, double decay_s = 0.2, int rate = 48000,
                   double start_s = 0.0, double stop_s = 1e9) {
    Signal s{rate, 1, std::vector<float>(static_cast<std::size_t>(seconds * rate), 0.0f)};
    for (double hit = start_s; hit < std::min(seconds, stop_s); hit += period_s) {
        double phase = 0.0;
        const auto i0 = static_cast<std::size_t>(hit * rate);
        for (std::size_t i = i0; i < s.samples.size() && i < i0 + static_cast<std::size_t>(6.0 * decay_s * rate); ++i) {
            const double t = static_cast<double>(i - i0) / rate;
            const double f = 55.0 + 45.0 * std::exp(-t / 0.025);
            phase += two_pi * f / rate;
            s.samples[i] += static_cast<float>(peak * std::exp(-t / decay_s) * std::sin(phase));
        }
    }
    return s;
}

/// Bass: sustained notes (1 s each, cycling through `notes_hz`), five harmonics at 1/n, 10 ms
/// fades at note edges. Peak about `amp`.
inline Signal bass(double seconds, std::vector<double> notes_hz = {62.0, 65.0, 73.0, 82.0, 98.0}, double amp = 0.3,
                   int rate = 48000, double start_s = 0.0, double stop_s = 1e9, double note_s = 1.0) {
    Signal s{rate, 1, std::vector<float>(static_cast<std::size_t>(seconds * rate), 0.0f)};
    const double fade = 0.01;
    for (std::size_t i = 0; i < s.samples.size(); ++i) {
        const double t = static_cast<double>(i) / rate;
        if (t < start_s || t >= stop_s) continue;
        const auto note = static_cast<std::size_t>((t - start_s) / note_s);
        const double f = notes_hz[note % notes_hz.size()];
        const double tn = (t - start_s) - static_cast<double>(note) * note_s;
        const double env = std::min({1.0, tn / fade, (note_s - tn) / fade});
        double x = 0.0;
        for (int h = 1; h <= 5; ++h) x += std::sin(two_pi * f * h * tn) / h;
        s.samples[i] = static_cast<float>(amp * 0.6 * env * x);
    }
    return s;
}

/// 8th-order Butterworth high-pass (four RBJ sections), in place.
inline void high_pass(Signal& s, double fc) {
    static constexpr double qs[] = {0.50980, 0.60134, 0.89998, 2.56292};
    for (double q : qs) {
        const double w0 = two_pi * fc / s.sample_rate, alpha = std::sin(w0) / (2 * q), c = std::cos(w0), a0 = 1 + alpha;
        const double b0 = (1 + c) / 2 / a0, b1 = -(1 + c) / a0, b2 = (1 + c) / 2 / a0, a1 = -2 * c / a0, a2 = (1 - alpha) / a0;
        for (int ch = 0; ch < s.channels; ++ch) {
            double z1 = 0, z2 = 0;
            for (std::size_t i = static_cast<std::size_t>(ch); i < s.samples.size(); i += static_cast<std::size_t>(s.channels)) {
                const double x = s.samples[i], y = b0 * x + z1;
                z1 = b1 * x - a1 * y + z2;
                z2 = b2 * x - a2 * y;
                s.samples[i] = static_cast<float>(y);
            }
        }
    }
}

/// Snare: 200 Hz + 330 Hz body and a noise burst, every period_s starting at offset_s.
inline Signal snare(double seconds, double period_s = 1.0, double offset_s = 0.5, double peak = 0.5, int rate = 48000) {
    Signal s{rate, 1, std::vector<float>(static_cast<std::size_t>(seconds * rate), 0.0f)};
    mixscout::test::Random rng(7);
    for (double hit = offset_s; hit < seconds; hit += period_s) {
        const auto i0 = static_cast<std::size_t>(hit * rate);
        for (std::size_t i = i0; i < s.samples.size() && i < i0 + static_cast<std::size_t>(0.4 * rate); ++i) {
            const double t = static_cast<double>(i - i0) / rate;
            const double body = 0.6 * std::sin(two_pi * 200.0 * t) + 0.4 * std::sin(two_pi * 330.0 * t);
            s.samples[i] += static_cast<float>(peak * (std::exp(-t / 0.06) * body + 0.3 * std::exp(-t / 0.04) * rng.uniform_pm1()));
        }
    }
    return s;
}

/// A sung vowel: a fundamental moving between 190 and 250 Hz (one note per 0.5 s), 25 harmonics
/// shaped by formants at 600, 1100 and 2500 Hz; phrases of 2 s with 0.25 s breaths. Peak ~`amp`.
inline Signal vocal(double seconds, double amp = 0.3, int rate = 48000) {
    Signal s{rate, 1, std::vector<float>(static_cast<std::size_t>(seconds * rate), 0.0f)};
    const double notes[] = {196.0, 220.0, 247.0, 220.0};
    auto formant = [](double f) {
        auto peak = [f](double fc, double bw, double g) { return g / (1.0 + std::pow((f - fc) / bw, 2)); };
        return 0.25 + peak(600, 120, 1.0) + peak(1100, 150, 0.6) + peak(2500, 250, 0.3);
    };
    double phase = 0.0;
    for (std::size_t i = 0; i < s.samples.size(); ++i) {
        const double t = static_cast<double>(i) / rate;
        const double f0 = notes[static_cast<std::size_t>(t / 0.5) % 4];
        phase += two_pi * f0 / rate;
        const double in_phrase = std::fmod(t, 2.0);
        const double env = in_phrase > 1.75 ? 0.0 : std::min({1.0, in_phrase / 0.03, (1.75 - in_phrase) / 0.03});
        if (env <= 0.0) continue;
        double x = 0.0;
        for (int h = 1; h <= 25; ++h) x += formant(f0 * h) * std::sin(h * phase) / std::sqrt(h);
        s.samples[i] = static_cast<float>(amp * 0.35 * env * x);
    }
    return s;
}

}  // namespace mixscout::test::stems
