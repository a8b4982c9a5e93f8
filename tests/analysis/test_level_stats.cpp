// Level statistics: DC offset, crest factor, leading/trailing silence.
#include <gtest/gtest.h>

#include "analysis/analyzer.hpp"
#include "analysis_signals.hpp"
#include "dsp/level_stats.hpp"

namespace mixscout {
namespace {

using test::block_of;

TEST(LevelStats, SineCrestIsThreeDbAndDcIsTheAddedOffset) {
    test::Signal s = test::sine(997.0, -6.0, 2.0, 48000, 2);
    for (std::size_t i = 0; i < s.frames(); ++i) s.samples[2 * i + 1] += 0.05f;  // DC on the right only
    dsp::LevelStats st(48000, 2);
    st.push(block_of(s));
    EXPECT_NEAR(st.dc_offset(0), 0.0, 1e-4);
    EXPECT_NEAR(st.dc_offset(1), 0.05, 1e-4);
    EXPECT_NEAR(st.sample_peak(0), std::pow(10.0, -6.0 / 20.0), 1e-4);
    // Left: amplitude a, mean square a^2/2.
    EXPECT_NEAR(10.0 * std::log10(st.mean_square(0)), -6.0 - 3.0103, 0.01);

    const auto a = analysis::analyze_samples(block_of(test::sine(997.0, -6.0, 2.0, 48000, 2)), 48000);
    EXPECT_NEAR(a.dynamics.crest_db, 3.0103, 0.01);
    EXPECT_NEAR(a.peak.sample_peak_dbfs, -6.0, 0.01);
}

TEST(LevelStats, LeadingAndTrailingSilence) {
    const test::Signal body = test::pink_noise(-20.0, 2.0, 44100, 2);
    const test::Signal s = test::concat(test::concat(test::silence(1.5, 44100, 2), body), test::silence(0.7, 44100, 2));
    const auto a = analysis::analyze_samples(block_of(s), 44100);
    // Pink noise at -20 dBFS RMS exceeds -60 dBFS within a few samples of its start/end.
    EXPECT_NEAR(a.silence.leading_s, 1.5, 0.002);
    EXPECT_NEAR(a.silence.trailing_s, 0.7, 0.002);
    EXPECT_NEAR(a.format.duration_s, 4.2, 1e-9);
}

TEST(LevelStats, AllSilentIsSilentThroughout) {
    const auto a = analysis::analyze_samples(block_of(test::silence(2.0, 48000, 2)), 48000);
    EXPECT_DOUBLE_EQ(a.silence.leading_s, 2.0);
    EXPECT_DOUBLE_EQ(a.silence.trailing_s, 2.0);
    EXPECT_EQ(a.peak.sample_peak_dbfs, -120.0);
    EXPECT_EQ(a.dc_offset_dbfs, -120.0);
    EXPECT_EQ(a.dynamics.crest_db, 0.0);
    EXPECT_EQ(a.clipping.count, 0);
    for (const auto& b : a.spectrum.bands) EXPECT_EQ(b.db, -120.0);
}

}  // namespace
}  // namespace mixscout
