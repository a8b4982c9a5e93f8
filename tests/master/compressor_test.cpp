// The mastering compressor (master/compressor.hpp) against its closed form: a steady stereo sine
// whose period divides the control step (750 Hz at 48 kHz: one period per 64-frame step) has a
// constant mean square A^2/2 per channel, so after settling the gain must be exactly the soft-knee
// curve written out below; and process() must not allocate (it runs in the render's hot loop).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <numbers>
#include <vector>

#include "master/compressor.hpp"

namespace {
std::atomic<long> compressor_test_allocations{0};
}

// The replacements pair malloc with free, which is correct; GCC cannot see that.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
    compressor_test_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
// std::stable_sort's temporary buffer uses the nothrow form: it must come from malloc too.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    compressor_test_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace mixscout::compressor_test {

/// Soft-knee downward compressor, the textbook form (Giannoulis, Massberg, Reiss, "Digital
/// Dynamic Range Compressor Design", JAES 2012, eq. 4), capped at the range.
double expected_gain_db(double level_db, double threshold_db, double ratio, double knee_db, double range_db) {
    const double over = level_db - threshold_db;
    double out = level_db;
    if (2.0 * over > knee_db) out = threshold_db + over / ratio;
    else if (2.0 * std::fabs(over) <= knee_db) out = level_db + (1.0 / ratio - 1.0) * std::pow(over + knee_db / 2.0, 2) / (2.0 * knee_db);
    return std::max(out - level_db, -range_db);
}

TEST(GlueCompressor, SteadyGainFollowsTheClosedFormCurveAndPushDoesNotAllocate) {
    master::CompressorOptions o;  // the shipped settings: 1.5:1, 6 dB knee, 3 dB range
    const double threshold_dbfs = -20.0;
    for (double level_db : {-30.0, -22.0, -20.0, -18.0, -14.0, -8.0, -2.0}) {
        master::GlueCompressor comp(48000, 64, o, threshold_dbfs);
        const double amp = std::pow(10.0, (level_db + 10.0 * std::log10(2.0)) / 20.0);  // RMS level_db
        const std::size_t frames = 4 * 48000;
        std::vector<float> x(2 * frames), in;
        for (std::size_t i = 0; i < frames; ++i)
            x[2 * i] = x[2 * i + 1] = static_cast<float>(amp * std::sin(2.0 * std::numbers::pi * 750.0 * i / 48000.0));
        in = x;
        std::vector<float> gain(frames);
        const long before = compressor_test_allocations.load();
        for (std::size_t done = 0; done < frames; done += 1000)  // blocks that do not align with the step
            comp.process(x.data() + 2 * done, std::min<std::size_t>(1000, frames - done), gain.data() + done);
        EXPECT_EQ(compressor_test_allocations.load() - before, 0);
        const double got_db = 20.0 * std::log10(gain[frames - 1]);
        EXPECT_NEAR(got_db, expected_gain_db(level_db, threshold_dbfs, o.ratio, o.knee_db, o.max_gain_reduction_db), 0.02)
            << level_db << " dBFS";
        EXPECT_FLOAT_EQ(x[2 * (frames - 5)], in[2 * (frames - 5)] * gain[frames - 5]);  // the gain is what was applied
    }
}

TEST(GlueCompressor, SlowAttackLetsTheFirstMillisecondsThrough) {
    // A step from silence to 14 dB over the threshold: after 1 ms almost nothing is taken (a
    // transient passes), after 10 attack times the full static reduction is.
    master::CompressorOptions o;
    master::GlueCompressor comp(48000, 64, o, -20.0);
    const std::size_t frames = 48000;
    std::vector<float> x(2 * frames), gain(frames);
    const double amp = std::pow(10.0, (-6.0 + 10.0 * std::log10(2.0)) / 20.0);
    for (std::size_t i = 0; i < frames; ++i)
        x[2 * i] = x[2 * i + 1] = static_cast<float>(amp * std::sin(2.0 * std::numbers::pi * 750.0 * i / 48000.0));
    comp.process(x.data(), frames, gain.data());
    EXPECT_GT(20.0 * std::log10(gain[48]), -0.1);  // 1 ms
    EXPECT_NEAR(20.0 * std::log10(gain[static_cast<std::size_t>(0.3 * 48000)]), -3.0, 0.05);  // 300 ms = 10 attacks
}

}  // namespace mixscout::compressor_test
