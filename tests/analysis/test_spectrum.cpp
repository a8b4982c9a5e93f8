// WelchSpectrum and the band / tilt definitions, against signals with known spectra.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/analyzer.hpp"
#include "analysis_signals.hpp"
#include "core/units.hpp"
#include "dsp/spectrum.hpp"

namespace mixscout {
namespace {

using test::block_of;

TEST(Bands, OctaveAndThirdOctaveLayout) {
    const auto& oct = dsp::octave_bands();
    ASSERT_EQ(oct.size(), 10u);
    EXPECT_NEAR(oct.front().centre_hz(), 31.25, 0.01);   // nominal 31.5
    EXPECT_NEAR(oct.back().centre_hz(), 16000.0, 0.01);
    for (std::size_t i = 1; i < oct.size(); ++i) EXPECT_DOUBLE_EQ(oct[i].lo_hz, oct[i - 1].hi_hz);
    for (const auto& b : oct) EXPECT_NEAR(b.hi_hz / b.lo_hz, 2.0, 1e-12);

    const auto& third = dsp::third_octave_bands();
    ASSERT_EQ(third.size(), 31u);
    EXPECT_NEAR(third.front().centre_hz(), 20.0, 0.5);
    EXPECT_NEAR(third.back().centre_hz(), 20000.0, 200.0);
    for (std::size_t i = 1; i < third.size(); ++i) EXPECT_NEAR(third[i].lo_hz, third[i - 1].hi_hz, 1e-9);
}

// A sine of amplitude A has mean square A^2/2: all of it must land in its band.
class SineInBand : public ::testing::TestWithParam<double> {};
TEST_P(SineInBand, LandsInItsOctaveAndThirdOctave) {
    const double f = GetParam();
    const test::Signal s = test::sine(f, -12.0, 3.0, 48000, 2);
    dsp::WelchSpectrum w(48000, 2);
    w.push(block_of(s));
    const double expected_db = -12.0 - 3.0103;
    int octave_hits = 0;
    for (const auto& b : dsp::octave_bands()) {
        const double db = power_to_db(w.band(b.lo_hz, b.hi_hz).mean());
        if (f >= b.lo_hz && f < b.hi_hz) {
            EXPECT_NEAR(db, expected_db, 0.1) << "band " << b.centre_hz();
            ++octave_hits;
        } else if (f < b.lo_hz / 1.5 || f > b.hi_hz * 1.5) {
            EXPECT_LT(db, expected_db - 40.0) << "band " << b.centre_hz();
        }
    }
    EXPECT_EQ(octave_hits, 1);
    for (const auto& b : dsp::third_octave_bands()) {
        if (f >= b.lo_hz * 1.03 && f < b.hi_hz / 1.03) {  // clear of the edges (Hann main lobe: 2 bins)
            EXPECT_NEAR(power_to_db(w.band(b.lo_hz, b.hi_hz).mean()), expected_db, 0.1) << "third " << b.centre_hz();
        }
    }
}
INSTANTIATE_TEST_SUITE_P(Frequencies, SineInBand, ::testing::Values(100.0, 440.0, 1000.0, 5000.0, 12000.0));

TEST(WelchSpectrum, ParsevalWhiteNoiseTotalPowerIsMeanSquare) {
    const test::Signal s = test::white_noise(-20.0, 4.0, 44100, 1);
    dsp::WelchSpectrum w(44100, 1);
    w.push(block_of(s));
    EXPECT_NEAR(power_to_db(w.band(0.0, 22050.0).left), -20.0, 0.1);
}

TEST(WelchSpectrum, BlockSizeDoesNotChangeTheResult) {
    const test::Signal s = test::pink_noise(-20.0, 2.0, 48000, 2);
    dsp::WelchSpectrum whole(48000, 2), pieces(48000, 2);
    whole.push(block_of(s));
    const std::size_t step = 777;  // odd block size, crossing segment boundaries
    for (std::size_t i = 0; i < s.frames(); i += step) {
        const std::size_t n = std::min(step, s.frames() - i);
        pieces.push(audio::Block{std::span<const float>(s.samples.data() + 2 * i, 2 * n), 2});
    }
    ASSERT_EQ(whole.segments(), pieces.segments());
    EXPECT_GT(whole.segments(), 10);
    for (const auto& b : dsp::third_octave_bands())
        EXPECT_DOUBLE_EQ(whole.band(b.lo_hz, b.hi_hz).mean(), pieces.band(b.lo_hz, b.hi_hz).mean());
}

TEST(WelchSpectrum, ShorterThanOneSegmentIsSilence) {
    const test::Signal s = test::sine(1000.0, -6.0, 0.05, 48000, 2);
    dsp::WelchSpectrum w(48000, 2);
    w.push(block_of(s));
    EXPECT_EQ(w.segments(), 0);
    EXPECT_EQ(w.band(500.0, 2000.0).mean(), 0.0);
}

// Tilt: pink noise has equal power per octave (0 dB/oct), white noise doubles per octave (+3.01).
TEST(Tilt, PinkNoiseIsFlatAndWhiteNoiseRisesThreeDbPerOctave) {
    for (int rate : {44100, 48000}) {
        const analysis::Analysis pink = analysis::analyze_samples(block_of(test::pink_noise(-20.0, 20.0, rate, 2)), rate);
        EXPECT_NEAR(pink.spectrum.tilt_db_per_octave, 0.0, 0.3) << rate;
        const analysis::Analysis white = analysis::analyze_samples(block_of(test::white_noise(-20.0, 20.0, rate, 2)), rate);
        EXPECT_NEAR(white.spectrum.tilt_db_per_octave, 3.01, 0.3) << rate;
    }
}

TEST(Tilt, LeastSquaresSlopeOfKnownLine) {
    const auto& bands = dsp::octave_bands();
    std::vector<double> db;
    for (const auto& b : bands) db.push_back(-4.5 * std::log2(b.centre_hz() / 1000.0) + 7.0);
    EXPECT_NEAR(dsp::spectral_tilt_db_per_octave(bands, db, 60.0, 17000.0), -4.5, 1e-9);
    // Bands at the silence floor carry no information and are skipped.
    db[3] = silence_floor_db;
    EXPECT_NEAR(dsp::spectral_tilt_db_per_octave(bands, db, 60.0, 17000.0), -4.5, 1e-9);
}

TEST(SpectrumNormalisation, LouderCopyReadsTheSame) {
    const test::Signal quiet = test::music_like(12.0);
    test::Signal loud = quiet;
    test::apply_gain_db(loud, 9.0);
    const auto a = analysis::analyze_samples(block_of(quiet), 48000);
    const auto b = analysis::analyze_samples(block_of(loud), 48000);
    ASSERT_EQ(a.spectrum.bands.size(), 10u);
    for (std::size_t i = 0; i < a.spectrum.bands.size(); ++i)
        EXPECT_NEAR(a.spectrum.bands[i].db, b.spectrum.bands[i].db, 0.02) << i;
    EXPECT_NEAR(a.loudness.integrated_lufs + 9.0, b.loudness.integrated_lufs, 0.02);
}

}  // namespace
}  // namespace mixscout
