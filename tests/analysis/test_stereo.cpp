// Stereo image: correlation, width, balance, per-band correlation and mono loss, on signals whose
// values follow from how they are built.
#include <gtest/gtest.h>

#include "analysis/analyzer.hpp"
#include "analysis_signals.hpp"
#include "dsp/stereo.hpp"

namespace mixscout {
namespace {

using test::block_of;

analysis::Analysis analyze(const test::Signal& s) { return analysis::analyze_samples(block_of(s), s.sample_rate); }

TEST(Stereo, IdenticalChannelsAreMono) {
    const auto a = analyze(test::music_like(8.0));  // chord phases differ per channel: not mono
    const test::Signal mono = test::pink_noise(-20.0, 8.0, 48000, 1);
    const auto m = analyze(test::interleave(mono, mono));
    EXPECT_NEAR(m.stereo.correlation, 1.0, 1e-9);
    EXPECT_NEAR(m.stereo.width, 0.0, 1e-9);
    EXPECT_NEAR(m.stereo.balance_db, 0.0, 1e-9);
    EXPECT_NEAR(m.stereo.mono_loss_db, 0.0, 0.01);
    EXPECT_NEAR(m.stereo.low_correlation, 1.0, 1e-6);
    ASSERT_EQ(m.stereo.band_correlation.size(), 10u);
    for (const auto& b : m.stereo.band_correlation) EXPECT_NEAR(b.correlation, 1.0, 1e-6) << b.lo_hz;
    EXPECT_LT(a.stereo.correlation, 1.0);  // sanity: the music-like signal is not mono
}

TEST(Stereo, InvertedChannelIsMinusOne) {
    const test::Signal left = test::pink_noise(-20.0, 6.0, 48000, 1);
    test::Signal right = left;
    for (float& x : right.samples) x = -x;
    const auto a = analyze(test::interleave(left, right));
    EXPECT_NEAR(a.stereo.correlation, -1.0, 1e-9);
    EXPECT_NEAR(a.stereo.low_correlation, -1.0, 1e-6);
    for (const auto& b : a.stereo.band_correlation) EXPECT_NEAR(b.correlation, -1.0, 1e-6) << b.lo_hz;
    EXPECT_GT(a.stereo.width, 1000.0);  // no mid at all
    // The fold-down cancels completely: nothing passes the gate, the loss is > 50 dB.
    EXPECT_GT(a.stereo.mono_loss_db, 50.0);
}

TEST(Stereo, UncorrelatedNoiseIsZeroCorrelationUnitWidthAndLosesThreeDbInMono) {
    for (int rate : {44100, 48000}) {
        const auto a = analyze(test::white_noise(-20.0, 20.0, rate, 2));  // independent channels
        EXPECT_NEAR(a.stereo.correlation, 0.0, 0.01) << rate;
        EXPECT_NEAR(a.stereo.width, 1.0, 0.03) << rate;
        // (L+R)/2 of independent equal-power signals has half the power: -3.01 dB.
        EXPECT_NEAR(a.stereo.mono_loss_db, 3.01, 0.1) << rate;
        for (const auto& b : a.stereo.band_correlation) {
            if (b.lo_hz < 60.0) continue;  // few bins: wider statistical spread
            EXPECT_NEAR(b.correlation, 0.0, 0.1) << b.lo_hz;
        }
    }
}

TEST(Stereo, SixDbLouderLeftReadsSixDbBalance) {
    const test::Signal mono = test::pink_noise(-20.0, 5.0, 48000, 1);
    test::Signal left = mono;
    test::apply_gain_db(left, 6.0);
    const auto a = analyze(test::interleave(left, mono));
    EXPECT_NEAR(a.stereo.balance_db, 6.0, 0.01);
    EXPECT_NEAR(a.stereo.correlation, 1.0, 1e-9);
    const auto b = analyze(test::interleave(mono, left));
    EXPECT_NEAR(b.stereo.balance_db, -6.0, 0.01);
}

TEST(Stereo, MonoBassUnderWideTopIsCorrelatedBelow120Hz) {
    // L = bass + n1, R = bass + n2: below 120 Hz the shared 60 Hz sine dominates (the white noise
    // has only 120/24000 of its power there), over the whole band it is half and half.
    const test::Signal bass = test::sine(60.0, -20.0, 10.0, 48000, 1);
    test::Signal l = test::white_noise(-23.0, 10.0, 48000, 1, 11);
    test::Signal r = test::white_noise(-23.0, 10.0, 48000, 1, 12);
    test::mix_into(l, bass);
    test::mix_into(r, bass);
    const auto a = analyze(test::interleave(l, r));
    EXPECT_GT(a.stereo.low_correlation, 0.97);
    EXPECT_LT(a.stereo.low_width, 0.02);
    EXPECT_NEAR(a.stereo.correlation, 0.5, 0.05);  // equal powers: Ps / (Ps + Pn)
}

TEST(Stereo, MonoFileReadsAsCentred) {
    const auto a = analyze(test::pink_noise(-20.0, 3.0, 48000, 1));
    EXPECT_EQ(a.stereo.correlation, 1.0);
    EXPECT_EQ(a.stereo.width, 0.0);
    EXPECT_EQ(a.stereo.balance_db, 0.0);
    EXPECT_EQ(a.stereo.mono_loss_db, 0.0);
}

TEST(StereoImage, FormulaMatchesMidSideDefinition) {
    // PL = 1, PR = 0.25, X = 0.3: M = (1 + 0.25 + 0.6)/4, S = (1 + 0.25 - 0.6)/4.
    const dsp::StereoImage s = dsp::stereo_image(1.0, 0.25, 0.3);
    EXPECT_NEAR(s.correlation, 0.3 / 0.5, 1e-12);
    EXPECT_NEAR(s.width, 0.65 / 1.85, 1e-12);
    EXPECT_NEAR(s.balance_db, 10.0 * std::log10(4.0), 1e-12);
}

}  // namespace
}  // namespace mixscout
