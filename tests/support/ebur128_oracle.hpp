// Test support: libebur128 as the independent loudness oracle (header-only: the test binaries
// that include it link libebur128).
#pragma once
#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "support/signals.hpp"

namespace mixscout::test {

/// What libebur128 measures on a signal (test-only oracle).
struct Ebur128Figures {
    double integrated_lufs = 0, lra_lu = 0, true_peak_dbtp = 0, shortterm_last_lufs = 0;
    std::vector<double> channel_true_peak_dbtp;
};

inline Ebur128Figures ebur128_measure(const Signal& s) {
    ebur128_state* st = ebur128_init(static_cast<unsigned>(s.channels), static_cast<unsigned long>(s.sample_rate),
                                     EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_S);
    if (!st) throw std::runtime_error("ebur128_init failed");
    ebur128_add_frames_float(st, s.samples.data(), s.frames());
    Ebur128Figures f;
    ebur128_loudness_global(st, &f.integrated_lufs);
    ebur128_loudness_range(st, &f.lra_lu);
    ebur128_loudness_shortterm(st, &f.shortterm_last_lufs);
    double tp_max = 0.0;
    for (int c = 0; c < s.channels; ++c) {
        double tp = 0.0;
        ebur128_true_peak(st, static_cast<unsigned>(c), &tp);
        tp_max = std::max(tp_max, tp);
        f.channel_true_peak_dbtp.push_back(20.0 * std::log10(tp));
    }
    f.true_peak_dbtp = 20.0 * std::log10(tp_max);
    ebur128_destroy(&st);
    return f;
}

/// libebur128's short-term loudness (LUFS) at the end of every whole 100 ms of the signal.
inline std::vector<double> ebur128_short_term(const Signal& s) {
    ebur128_state* st = ebur128_init(static_cast<unsigned>(s.channels), static_cast<unsigned long>(s.sample_rate), EBUR128_MODE_S);
    if (!st) throw std::runtime_error("ebur128_init failed");
    std::vector<double> out;
    const std::size_t hop = static_cast<std::size_t>(s.sample_rate / 10);
    for (std::size_t f = 0; f + hop <= s.frames(); f += hop) {
        ebur128_add_frames_float(st, s.samples.data() + f * static_cast<std::size_t>(s.channels), hop);
        double v = 0.0;
        ebur128_loudness_shortterm(st, &v);
        out.push_back(v);
    }
    ebur128_destroy(&st);
    return out;
}

}  // namespace mixscout::test
