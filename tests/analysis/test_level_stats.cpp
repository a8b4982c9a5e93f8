// Level statistics: DC offset, crest factor, leading/trailing silence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

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
    // The threshold's bin adds at most 0.4 % (sine) and 0.3 % (noise), never subtracts.
    EXPECT_NEAR(sine_stats.share_within_db(6.0206), 2.0 / 3.0 + 0.002, 0.0025);
    EXPECT_NEAR(noise_stats.share_within_db(6.0206), 0.5 + 0.0015, 0.002);
    EXPECT_DOUBLE_EQ(square_stats.share_within_db(6.0206), 1.0);
    // Within 20 dB of the peak, the sine: 1 - (2/pi) asin(0.1).
    EXPECT_NEAR(sine_stats.share_within_db(20.0), 1.0 - 2.0 / std::numbers::pi * std::asin(0.1), 0.0015);
}

TEST(LevelStats, HalfPeakShareCountsSamplesToOneBin) {
    // Peak 0.8: half of it, 0.4 = 1.6 x 2^-2, lies in the bin [1 + 38/64, 1 + 39/64) x 2^-2 =
    // [0.3984375, 0.40234375), which counts whole: its lowest float counts, the float just below
    // it (the bin before) does not; 0.4, the bin's top float and the next bin's first count.
    const float bin_lo = 0.3984375f, bin_hi = 0.40234375f;
    test::Signal s = test::silence(0.001, 48000, 1);  // 48 samples of zero
    s.samples[0] = -0.8f;
    s.samples[1] = 0.4f;                               // counts
    s.samples[2] = -bin_lo;                            // counts: the threshold's bin, whole
    s.samples[3] = std::nextafter(bin_hi, 0.0f);       // counts: the same bin's top
    s.samples[4] = bin_hi;                             // counts: the next bin
    s.samples[30] = std::nextafter(bin_lo, 0.0f);      // does not: the bin below
    for (int i = 5; i <= 13; ++i) s.samples[static_cast<std::size_t>(i)] = 0.408f;   // 0.51 x peak: counts
    for (int i = 14; i <= 29; ++i) s.samples[static_cast<std::size_t>(i)] = -0.392f;  // 0.49 x peak: does not
    dsp::LevelStats st(48000, 1);
    st.push(block_of(s));
    EXPECT_DOUBLE_EQ(st.share_within_db(20.0 * std::log10(0.8 / 0.4)), 14.0 / 48.0);  // the peak, 4 at the edges, 9 x 0.408
    EXPECT_DOUBLE_EQ(st.share_within_db(7.0), 31.0 / 48.0);
    st.reset();
    EXPECT_EQ(st.share_within_db(6.0206), 0.0);
    const auto a = analysis::analyze_samples(block_of(s), 48000);
    EXPECT_DOUBLE_EQ(a.dynamics.half_peak_share, 14.0 / 48.0);
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
    // Noise whose level a gain rides by 12 dB, down and up every 0.7 s with 20 ms ramps, off the
    // hop grid (a limiter's gain): the hop crest does not drop; it rises a little where a ramp
    // falls inside a hop. Saturation is what lowers it.
    const test::Signal noise = test::white_noise(-20.0, 8.0, 48000, 1);
    test::Signal ridden = noise;
    for (std::size_t i = 0; i < ridden.samples.size(); ++i) {
        const double t = std::fmod(static_cast<double>(i) / 48000.0 + 0.037, 0.7);
        const double ramp = std::clamp(std::min(t, 0.35 - t) / 0.02, 0.0, 1.0) * (t < 0.35 ? 1.0 : 0.0);
        ridden.samples[i] *= static_cast<float>(std::pow(10.0, -12.0 * ramp / 20.0));
    }
    EXPECT_GE(crest_of(ridden), crest_of(noise) - 0.05);
    EXPECT_LT(crest_of(ridden), crest_of(noise) + 1.0);
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
