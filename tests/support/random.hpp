// Test support: random numbers that are the same with every standard library. std::mt19937's raw
// output is fixed by the standard, its distributions are not: libc++ and libstdc++ draw different
// normals from the same engine (one boundary check flipped under libc++). So the signals draw
// from the engine's raw 32-bit words only.
#pragma once
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace mixscout::test {

class Random {
public:
    explicit Random(std::uint32_t seed) : engine_(seed) {}
    /// Uniform in [-1, 1).
    double uniform_pm1() { return static_cast<double>(engine_()) / 2147483648.0 - 1.0; }
    /// Standard normal (mean 0, variance 1), Box-Muller: two uniforms give two independent normals.
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        const double u1 = (static_cast<double>(engine_()) + 1.0) / 4294967296.0;  // (0, 1]: log is finite
        const double u2 = static_cast<double>(engine_()) / 4294967296.0;          // [0, 1)
        const double r = std::sqrt(-2.0 * std::log(u1));
        spare_ = r * std::sin(2.0 * std::numbers::pi * u2);
        has_spare_ = true;
        return r * std::cos(2.0 * std::numbers::pi * u2);
    }

private:
    std::mt19937 engine_;
    double spare_ = 0.0;
    bool has_spare_ = false;
};

}  // namespace mixscout::test
