// The 10 Hz series the report plots (analysis.hpp): momentary loudness, true peak, crest, PSR,
// correlation, width — checked on signals whose values are known in closed form or by EBU Tech 3341.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/analyzer.hpp"
#include "support/signals.hpp"

namespace mixscout::analysis {
namespace {

Analysis run(const test::Signal& s) {
    return analyze_samples({s.samples, s.channels}, s.sample_rate);
}

// Tech 3341 test 1/2 idea: a stereo 1 kHz sine at -23 dBFS per channel reads -23 LUFS momentary
// and short-term (+/-0.1). Its crest is 3.01 dB (a sine's peak over RMS), its true peak -23 dBTP,
// so PSR = -23 - (-23) = 0; identical channels: correlation 1, width 0.
TEST(AnalysisSeries, SteadySineReadsItsKnownValuesEveryHop) {
    const Analysis a = run(test::sine(1000.0, -23.0, 10.0));
    const std::size_t n = a.loudness.short_term_series.size();
    ASSERT_EQ(n, 100u);  // one per 100 ms
    for (auto* v : {&a.loudness.momentary_series, &a.peak.true_peak_series, &a.dynamics.crest_series, &a.dynamics.psr_series,
                    &a.stereo.correlation_series, &a.stereo.width_series})
        EXPECT_EQ(v->size(), n);
    for (std::size_t i = 30; i < n; ++i) {  // complete 3 s windows
        EXPECT_NEAR(a.loudness.momentary_series[i], -23.0, 0.1) << i;
        EXPECT_NEAR(a.loudness.short_term_series[i], -23.0, 0.1) << i;
        EXPECT_NEAR(a.peak.true_peak_series[i], -23.0, 0.05) << i;
        EXPECT_NEAR(a.dynamics.crest_series[i], 10.0 * std::log10(2.0), 0.01) << i;
        EXPECT_NEAR(a.dynamics.psr_series[i], 0.0, 0.15) << i;
        EXPECT_NEAR(a.stereo.correlation_series[i], 1.0, 1e-6) << i;
        EXPECT_NEAR(a.stereo.width_series[i], 0.0, 1e-6) << i;
    }
}

// Right channel inverted (180 degrees): correlation -1; independent noise: correlation ~0 and
// width ~1 (side and mid energy equal). Each over the 3 s window, hop for hop.
TEST(AnalysisSeries, StereoSeriesFollowTheImage) {
    const Analysis inverted = run(test::sine(440.0, -20.0, 5.0, 48000, 2, 180.0));
    ASSERT_FALSE(inverted.stereo.correlation_series.empty());
    for (std::size_t i = 10; i < inverted.stereo.correlation_series.size(); ++i)
        EXPECT_NEAR(inverted.stereo.correlation_series[i], -1.0, 1e-4) << i;
    const Analysis noise = run(test::white_noise(-20.0, 6.0));
    for (std::size_t i = 30; i < noise.stereo.correlation_series.size(); ++i) {
        EXPECT_NEAR(noise.stereo.correlation_series[i], 0.0, 0.02) << i;
        EXPECT_NEAR(noise.stereo.width_series[i], 1.0, 0.04) << i;
    }
}

// A loud burst in the middle: the true-peak series shows it in the hop it happens in, and only
// there; the series are where the clip events say. Mono files have no stereo series.
TEST(AnalysisSeries, TruePeakSeriesLocatesABurst) {
    test::Signal s = test::sine(1000.0, -30.0, 4.0, 48000, 1);
    test::Signal burst = test::sine(1000.0, -6.0, 0.05, 48000, 1);  // 50 ms at 2.02 s, inside hop 20 with its FIR ringing
    mix_into(s, burst, 2.02);
    const Analysis a = run(s);
    ASSERT_EQ(a.peak.true_peak_series.size(), 40u);
    EXPECT_TRUE(a.stereo.correlation_series.empty());
    for (std::size_t i = 0; i < 40; ++i) {
        if (i == 20)
            EXPECT_GT(a.peak.true_peak_series[i], -6.5) << i;  // -6 dB burst over the -30 dB sine
        else
            EXPECT_NEAR(a.peak.true_peak_series[i], -30.0, 0.1) << i;
    }
}

}  // namespace
}  // namespace mixscout::analysis
