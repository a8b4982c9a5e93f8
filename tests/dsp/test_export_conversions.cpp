// Export conversions: dither (QuantisationMeter) and sample-rate conversion (find_band_limit),
// on signals whose property is known because sox made it: `sox -b 16 -D` truncates without
// dither, `sox ... dither` adds TPDF dither (`-s`: noise-shaped), `sox ... rate 48000` converts
// with a brick-wall filter; images come from zero-stuffing (a known mirror of the spectrum).
#include <gtest/gtest.h>

#include <cmath>

#include "dsp/band_limit.hpp"
#include "dsp/quantisation.hpp"
#include "dsp/spectrum.hpp"
#include "kernel_signals.hpp"
#include "support/process.hpp"

using namespace mixscout;
using namespace mixscout::dsp;

namespace {

/// A file's samples through a QuantisationMeter at the file's own word length.
QuantisationMeter quantisation_of(const std::filesystem::path& file, int bits) {
    const test::Signal s = test::read_audio(file);
    QuantisationMeter q(s.sample_rate, s.channels, bits);
    test::push_in_blocks(q, s, 1000);
    return q;
}

/// The channel-averaged Welch spectrum of a file, and what find_band_limit makes of it.
BandLimit band_limit_of(const test::Signal& s) {
    WelchSpectrum w(s.sample_rate, s.channels);
    test::push_in_blocks(w, s, 4096);
    std::vector<double> p = w.power_spectrum(0);
    if (s.channels == 2) {
        const std::vector<double> r = w.power_spectrum(1);
        for (std::size_t k = 0; k < p.size(); ++k) p[k] = 0.5 * (p[k] + r[k]);
    }
    return find_band_limit(p, w.bin_hz(), s.sample_rate);
}

int sox(const std::vector<std::string>& args) { return test::run_command(test::find_program("sox"), args); }

}  // namespace

TEST(Dither, TruncationWithoutDitherIsFoundAndDitherIsNot) {
    MIXSCOUT_NEEDS_PROGRAM("sox");
    test::TempDir dir;
    // A quiet 24-bit passage: a 440 Hz sine at -70 dBFS (about 10 LSB of 16 bits), 3 s.
    const auto src = dir / "quiet24.wav";
    ASSERT_EQ(sox({"-n", "-r", "44100", "-b", "24", src.string(), "synth", "3", "sine", "440", "vol", "-70dB"}), 0);
    const auto trunc = dir / "trunc16.wav", tpdf = dir / "tpdf16.wav", shaped = dir / "shaped16.wav";
    ASSERT_EQ(sox({src.string(), "-b", "16", "-D", trunc.string()}), 0);
    ASSERT_EQ(sox({src.string(), "-b", "16", tpdf.string(), "dither"}), 0);
    ASSERT_EQ(sox({src.string(), "-b", "16", shaped.string(), "dither", "-s"}), 0);

    const QuantisationMeter t = quantisation_of(trunc, 16);
    EXPECT_GT(t.sounding_s(), 2.5);
    EXPECT_NEAR(t.undithered_s(), t.sounding_s(), 0.1) << "every frame of the truncated sine is below the dither floor";
    EXPECT_LT(t.lowest_noise_lsb2(), 0.7) << "rounding error alone: about 6/12 LSB^2";

    for (const auto& f : {tpdf, shaped}) {
        const QuantisationMeter d = quantisation_of(f, 16);
        EXPECT_GT(d.sounding_s(), 2.5) << f;
        EXPECT_EQ(d.undithered_frames(), 0) << f;
        EXPECT_GT(d.lowest_noise_lsb2(), 1.2) << f << ": TPDF dither reads >= 1.5 LSB^2";
    }
}

TEST(Dither, DigitalSilenceAndLoudNoiseAreNoEvidence) {
    // Digital silence: no sounding frame at all. White noise at -40 dBFS quantised without
    // dither dithers itself (its own noise is far above the LSB): no frame counts.
    test::Signal s = test::concat(test::silence(1.0, 44100, 2), test::white_noise(-40.0, 2.0, 44100, 2));
    for (float& v : s.samples) v = std::round(v * 32768.0f) / 32768.0f;
    QuantisationMeter q(44100, 2, 16);
    test::push_in_blocks(q, s, 777);
    EXPECT_NEAR(q.sounding_s(), 2.0, 0.1);
    EXPECT_EQ(q.undithered_frames(), 0);
}

TEST(Dither, BlockSizeDoesNotChangeTheFrames) {
    // The frames run across pushes: single samples (the stream's first two have no second
    // difference), blocks shorter than the meter's 4-sample step, and one block of everything
    // find the same frames; only the sums' order differs.
    test::Signal s = test::concat(test::sine(440.0, -70.0, 1.0, 44100, 2), test::white_noise(-60.0, 1.0, 44100, 2));
    for (float& v : s.samples) v = std::floor(v * 32768.0f) / 32768.0f;  // truncated: undithered
    QuantisationMeter whole(44100, 2, 16);
    whole.push(test::as_block(s));
    ASSERT_GT(whole.sounding_frames(), 0);
    ASSERT_GT(whole.undithered_frames(), 0);
    for (const std::size_t block : {std::size_t{1}, std::size_t{3}, std::size_t{4099}}) {
        QuantisationMeter q(44100, 2, 16);
        test::push_in_blocks(q, s, block);
        EXPECT_EQ(q.sounding_frames(), whole.sounding_frames()) << block;
        EXPECT_EQ(q.undithered_frames(), whole.undithered_frames()) << block;
        EXPECT_NEAR(q.lowest_noise_lsb2(), whole.lowest_noise_lsb2(), 1e-9 * whole.lowest_noise_lsb2()) << block;
    }
}

TEST(Dither, RefusesABlockOfAnotherChannelCount) {
    QuantisationMeter q(44100, 2, 16);
    const std::vector<float> mono(64, 0.0f);
    EXPECT_THROW(q.push(audio::Block{std::span<const float>(mono), 1}), std::invalid_argument);
    EXPECT_THROW(QuantisationMeter(44100, 2, 4), std::invalid_argument);
}

TEST(SampleRateConversion, UpsampledExportShowsTheOldNyquistAsABandGap) {
    MIXSCOUT_NEEDS_PROGRAM("sox");
    test::TempDir dir;
    // White noise at 44.1 kHz (content up to its Nyquist), converted to 48 and 96 kHz by sox.
    const auto src = dir / "noise441.wav";
    test::write_audio(src, test::white_noise(-20.0, 4.0, 44100, 2));
    const auto up48 = dir / "up48.wav", up96 = dir / "up96.wav";
    ASSERT_EQ(sox({src.string(), "-b", "24", up48.string(), "rate", "48000"}), 0);
    ASSERT_EQ(sox({src.string(), "-b", "24", up96.string(), "rate", "96000"}), 0);
    for (const auto& f : {up48, up96}) {
        const BandLimit b = band_limit_of(test::read_audio(f));
        EXPECT_EQ(b.source_rate_hz, 44100) << f;
        EXPECT_DOUBLE_EQ(b.edge_hz, 22050.0) << f;
        EXPECT_GT(b.drop_db, 60.0) << f;
        EXPECT_FALSE(b.imaging) << f;
    }
    // A native 48 kHz recording upsampled to 96 kHz: its source is 48 kHz, not 44.1.
    const auto src48 = dir / "noise48.wav", up48_96 = dir / "up48_96.wav";
    test::write_audio(src48, test::white_noise(-20.0, 4.0, 48000, 2));
    ASSERT_EQ(sox({src48.string(), "-b", "24", up48_96.string(), "rate", "96000"}), 0);
    EXPECT_EQ(band_limit_of(test::read_audio(up48_96)).source_rate_hz, 48000);
}

TEST(SampleRateConversion, NativeMaterialAndDownsamplingAreNotConversions) {
    MIXSCOUT_NEEDS_PROGRAM("sox");
    // Native 48 and 96 kHz noise (pink: a falling spectrum, as music has), and a 96 kHz file
    // brought down to 48 kHz (a downsampled master: its top stops just under its own Nyquist,
    // which is no sign of an upsampled project).
    EXPECT_EQ(band_limit_of(test::pink_noise(-20.0, 4.0, 48000, 2)).source_rate_hz, 0);
    EXPECT_EQ(band_limit_of(test::pink_noise(-20.0, 4.0, 96000, 2)).source_rate_hz, 0);
    test::TempDir dir;
    const auto src = dir / "pink96.wav", down = dir / "down48.wav";
    test::write_audio(src, test::pink_noise(-20.0, 4.0, 96000, 2));
    ASSERT_EQ(sox({src.string(), "-b", "24", down.string(), "rate", "48000"}), 0);
    EXPECT_EQ(band_limit_of(test::read_audio(down)).source_rate_hz, 0);
}

TEST(SampleRateConversion, ZeroStuffedUpsamplingLeavesImages) {
    // Upsampling 44.1 -> 88.2 kHz by inserting a zero after every sample and no filter: the
    // spectrum above 22.05 kHz is the exact mirror of the one below. Pink noise falls with
    // frequency, so the images rise away from the edge.
    const test::Signal p = test::pink_noise(-20.0, 4.0, 44100, 2);
    test::Signal up{88200, 2, {}};
    up.samples.reserve(2 * p.samples.size());
    for (std::size_t i = 0; i < p.frames(); ++i) {
        up.samples.push_back(p.samples[2 * i]);
        up.samples.push_back(p.samples[2 * i + 1]);
        up.samples.push_back(0.0f);
        up.samples.push_back(0.0f);
    }
    const BandLimit b = band_limit_of(up);
    EXPECT_EQ(b.source_rate_hz, 44100);
    EXPECT_TRUE(b.imaging);
    EXPECT_LT(b.drop_db, 10.0);
}
