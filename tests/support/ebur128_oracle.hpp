// Test support: libebur128 as the independent loudness oracle (header-only: the test binaries
// that include it link libebur128).
#pragma once
#include <ebur128.h>

#include <stdexcept>
#include <vector>

#include "support/signals.hpp"

namespace mixscout::test {

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
