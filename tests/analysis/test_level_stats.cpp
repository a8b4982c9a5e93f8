// Level statistics: DC offset, crest factor, leading/trailing silence.
#include <gtest/gtest.h>

#include "analysis/analyzer.hpp"
#include "analysis_signals.hpp"
#include "dsp/level_stats.hpp"
#include "dsp/short_term_image.hpp"

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

TEST(LevelStats, HalfPeakShareIsTwoThirdsForASineHalfForUniformNoiseAllForASquare) {
    // |sin| >= 1/2 for 2/3 of a period; uniform noise on [-a, a] is at or above a/2 half the
    // time; a square wave always. The threshold's own bin (0.094 dB wide) counts whole: the sine
    // spends 0.4 % of its time in it, uniform noise 0.3 %.
    dsp::LevelStats sine_stats(48000, 2), noise_stats(48000, 1), square_stats(48000, 2);
    sine_stats.push(block_of(test::sine(997.0, -3.0, 4.0, 48000, 2)));
    noise_stats.push(block_of(test::white_noise(-10.0, 4.0, 48000, 1)));
    test::Signal square = test::sine(50.0, -1.0, 1.0, 48000, 2);
    for (float& x : square.samples) x = x >= 0.0f ? 0.7f : -0.7f;
    square_stats.push(block_of(square));
    EXPECT_NEAR(sine_stats.share_within_db(6.0206), 2.0 / 3.0, 0.006);
    EXPECT_NEAR(noise_stats.share_within_db(6.0206), 0.5, 0.006);
    EXPECT_DOUBLE_EQ(square_stats.share_within_db(6.0206), 1.0);
    // Within 20 dB of the peak, the sine: 1 - (2/pi) asin(0.1).
    EXPECT_NEAR(sine_stats.share_within_db(20.0), 1.0 - 2.0 / M_PI * std::asin(0.1), 0.006);
}

TEST(LevelStats, HalfPeakShareCountsSamplesToOneBin) {
    // One sample at the peak, then samples 0.18 dB either side of half of it: 0.51 counts, 0.49 not.
    test::Signal s = test::silence(0.001, 48000, 1);  // 48 samples of zero
    s.samples[0] = -0.8f;
    for (int i = 1; i <= 9; ++i) s.samples[static_cast<std::size_t>(i)] = 0.408f;   // 0.51 x peak
    for (int i = 10; i <= 29; ++i) s.samples[static_cast<std::size_t>(i)] = -0.392f;  // 0.49 x peak
    dsp::LevelStats st(48000, 1);
    st.push(block_of(s));
    EXPECT_DOUBLE_EQ(st.share_within_db(6.0206), 10.0 / 48.0);
    EXPECT_DOUBLE_EQ(st.share_within_db(7.0), 30.0 / 48.0);
    st.reset();
    EXPECT_EQ(st.share_within_db(6.0206), 0.0);
    const auto a = analysis::analyze_samples(block_of(s), 48000);
    EXPECT_DOUBLE_EQ(a.dynamics.half_peak_share, 10.0 / 48.0);
}

TEST(ShortTermImage, HopCrestIsTheWaveformsOwnCrestWhichGainRidingKeepsAndSaturationTakes) {
    // A sine: 3.01 dB in every hop; a square wave: 0 dB.
    const auto crest_of = [](const test::Signal& s) {
        dsp::ShortTermImage image(s.sample_rate, s.channels);
        image.push(block_of(s), [](std::int64_t, const dsp::ShortTermReading&) {});
        return image.hop_crest_db();
    };
    test::Signal sine = test::sine(1000.0, -6.0, 2.0, 48000, 2);  // 100 cycles per hop
    EXPECT_NEAR(crest_of(sine), 10.0 * std::log10(2.0), 0.01);
    test::Signal square = sine;
    for (float& x : square.samples) x = x >= 0.0f ? 0.3f : -0.3f;
    EXPECT_NEAR(crest_of(square), 0.0, 1e-6);
    // Noise whose level jumps by 12 dB every second (a limiter's gain moves between hops, not within
    // one): the hop crest stays that of the steady noise, though the whole file's crest grows.
    const test::Signal noise = test::white_noise(-20.0, 8.0, 48000, 1);
    test::Signal ridden = noise;
    for (std::size_t i = 0; i < ridden.samples.size(); ++i)
        if ((i / 48000) % 2) ridden.samples[i] *= 0.25f;
    EXPECT_NEAR(crest_of(ridden), crest_of(noise), 0.2);
    // The same noise through tanh at 20x: the wave itself is flattened.
    test::Signal saturated = noise;
    for (float& x : saturated.samples) x = static_cast<float>(std::tanh(20.0 * x));
    EXPECT_LT(crest_of(saturated), crest_of(noise) - 2.0);
    // Nothing pushed, or silence: 0.
    EXPECT_EQ(crest_of(test::silence(1.0, 48000, 2)), 0.0);
    // The analysis reports it.
    EXPECT_NEAR(analysis::analyze_samples(block_of(sine), 48000).dynamics.hop_crest_db, 10.0 * std::log10(2.0), 0.01);
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
