// The kernels' push() must not allocate (the live monitor calls them from its audio path).
// A counting global operator new for this test binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <optional>

#include "dsp/band_energy.hpp"
#include "dsp/clipping.hpp"
#include "dsp/level_stats.hpp"
#include "dsp/loudness.hpp"
#include "dsp/quantisation.hpp"
#include "dsp/short_term_image.hpp"
#include "dsp/spectrum.hpp"
#include "dsp/stereo.hpp"
#include "dsp/true_peak.hpp"
#include "kernel_signals.hpp"

namespace {
std::atomic<long> g_allocations{0};
}

// The replacements below pair malloc with free, which is correct; GCC cannot see that the
// replaced operator new is the allocator and warns about the pairing.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace mixscout;
using namespace mixscout::dsp;

TEST(KernelAllocations, PushAllocatesNothing) {
    test::Signal s = test::music_like(4.0, 48000);
    test::insert_clip(s, 1.0, 10, 0);
    for (std::size_t i = 0; i < s.samples.size(); i += 9000) s.samples[i] = 1.3f;  // overs too
    LoudnessMeter loud(48000, 2, LoudnessOptions{true});
    TruePeakMeter tp(48000, 2);
    ClipDetector clip(48000, 2);
    ShortTermImage image(48000, 2);
    Oversampler os(4);
    std::vector<float> mono(s.frames()), up(s.frames() * 4);
    for (std::size_t i = 0; i < s.frames(); ++i) mono[i] = s.samples[2 * i];

    double sink = 0.0;
    const long before = g_allocations.load();
    test::push_in_blocks(loud, s, 512, [&](std::int64_t, double m, double st) { sink += m + st; });
    test::push_in_blocks(tp, s, 512);
    test::push_in_blocks(image, s, 512, [&](std::int64_t, const ShortTermReading& r) { sink += r.correlation + r.width + r.crest_db; });
    test::push_in_blocks(clip, s, 512, [&](const ClipDetector::Run& r) { sink += static_cast<double>(r.frames); });
    os.process(mono.data(), mono.size(), up.data());
    sink += loud.integrated_lufs() + loud.loudness_range_lu() + tp.true_peak_dbtp() + tp.take_held_peak_dbtp();
    const long after = g_allocations.load();
    EXPECT_EQ(after - before, 0);
    EXPECT_FALSE(tp.overs().empty());
    EXPECT_FALSE(clip.runs().empty());
    EXPECT_TRUE(std::isfinite(sink));
}

// Every kernel, at every channel count it accepts (the contract test covers the refusals).
TEST(KernelAllocations, EveryKernelAtEveryChannelCount) {
    for (int channels : {1, 2, 3, 6}) {
        test::Signal s{48000, channels, {}};
        s.samples.resize(static_cast<std::size_t>(48000 * 2 * channels));
        for (std::size_t i = 0; i < s.samples.size(); ++i)
            s.samples[i] = static_cast<float>(0.5 * std::sin(0.01 * static_cast<double>(i)));
        for (std::size_t i = 0; i < s.samples.size(); i += 7001) s.samples[i] = 1.2f;
        LevelStats stats(48000, channels);
        LoudnessMeter loud(48000, channels);
        TruePeakMeter tp(48000, channels);
        ClipDetector clip(48000, channels);
        QuantisationMeter quant(48000, channels, 16);
        const bool stereo_kernels = channels <= 2;
        std::optional<StereoMeter> stereo;
        std::optional<WelchSpectrum> spectrum;
        std::optional<BandEnergy> bands;
        if (stereo_kernels) {
            stereo.emplace(channels);
            spectrum.emplace(48000, channels);
            bands.emplace(48000, channels, BandEnergyOptions{.stereo_balance = true});
        }
        double sink = 0.0;
        const long before = g_allocations.load();
        test::push_in_blocks(stats, s, 500);
        test::push_in_blocks(loud, s, 500);
        test::push_in_blocks(tp, s, 500);
        test::push_in_blocks(clip, s, 500);
        test::push_in_blocks(quant, s, 500);
        if (stereo_kernels) {
            test::push_in_blocks(*stereo, s, 500);
            test::push_in_blocks(*spectrum, s, 500);
            test::push_in_blocks(*bands, s, 500, [&](std::int64_t, std::span<const float> p) { sink += p[0]; });
        }
        const long after = g_allocations.load();
        EXPECT_EQ(after - before, 0) << channels << " channels";
        sink += stats.sample_peak() + loud.integrated_lufs() + tp.true_peak_dbtp() + quant.sounding_s();
        EXPECT_TRUE(std::isfinite(sink));
        EXPECT_GT(tp.true_peak_dbtp(), 0.0);  // the 1.2 overs were seen on every layout
    }
}
