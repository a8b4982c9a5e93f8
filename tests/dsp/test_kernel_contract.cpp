// The kernel contract (audio/block.hpp), checked on every dsp/ kernel with 1, 2, 3 and 6 channels:
// a kernel either measures each channel of an N-channel stream correctly or refuses N in its
// constructor with std::invalid_argument; a block of another channel count is refused by push()
// with std::invalid_argument and changes nothing. (No allocation in push(): test_kernel_alloc.)
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

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

using namespace mixscout;
using namespace mixscout::dsp;

namespace {

constexpr int kRate = 48000;

// Channel c: a 1 kHz sine of amplitude a_c = 0.1 (c + 1). At 48 kHz a period is 48 whole
// samples and sample 12 of each period is the crest, so sample peak = a_c exactly and the mean
// square over whole periods is a_c^2 / 2.
double amplitude(int c) { return 0.1 * (c + 1); }

test::Signal per_channel_sines(int channels, double seconds) {
    test::Signal s{kRate, channels, {}};
    const auto frames = static_cast<std::size_t>(seconds * kRate);
    s.samples.resize(frames * static_cast<std::size_t>(channels));
    for (std::size_t i = 0; i < frames; ++i)
        for (int c = 0; c < channels; ++c)
            s.samples[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
                static_cast<float>(amplitude(c) * std::sin(2.0 * std::numbers::pi * 1000.0 * static_cast<double>(i) / kRate));
    return s;
}

audio::Block block_with_channels(const std::vector<float>& samples, int channels) {
    return audio::Block{std::span<const float>(samples), channels};
}

class KernelContract : public ::testing::TestWithParam<int> {};

}  // namespace

TEST_P(KernelContract, LevelStatsMeasuresEveryChannel) {
    const int n = GetParam();
    const test::Signal s = per_channel_sines(n, 1.0);
    LevelStats stats(kRate, n);
    test::push_in_blocks(stats, s, 1001);
    ASSERT_EQ(stats.frames(), static_cast<std::int64_t>(s.frames()));
    for (int c = 0; c < n; ++c) {
        EXPECT_NEAR(stats.sample_peak(c), amplitude(c), 1e-6) << "channel " << c;
        EXPECT_NEAR(stats.mean_square(c), amplitude(c) * amplitude(c) / 2.0, 1e-6) << "channel " << c;
        EXPECT_NEAR(stats.dc_offset(c), 0.0, 1e-6) << "channel " << c;
    }
}

TEST_P(KernelContract, TruePeakMeasuresEveryChannel) {
    const int n = GetParam();
    const test::Signal s = per_channel_sines(n, 1.0);
    TruePeakMeter tp(kRate, n);
    test::push_in_blocks(tp, s, 777);
    // A 1 kHz sine's true peak is its amplitude (BS.1770-4 Annex 2's 4x interpolator is within
    // a few hundredths of a dB of it at 1 kHz).
    for (int c = 0; c < n; ++c)
        EXPECT_NEAR(tp.channel_true_peak_dbtp(c), 20.0 * std::log10(amplitude(c)), 0.05) << "channel " << c;
}

TEST_P(KernelContract, QuantisationMeterMeasuresEveryChannel) {
    // Channel c: a 500 Hz sine of 4 (c + 1) LSB of 16 bits, rounded (quantised without dither);
    // only the last channel gets TPDF dither. Every undithered channel's frames count, the
    // dithered one's do not: undithered time = (n - 1) / n of the sounding time.
    const int n = GetParam();
    test::Signal s{kRate, n, {}};
    const std::size_t frames = kRate * 2;
    s.samples.resize(frames * static_cast<std::size_t>(n));
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(-0.5, 0.5);
    for (std::size_t i = 0; i < frames; ++i)
        for (int c = 0; c < n; ++c) {
            const double x = 4.0 * (c + 1) * std::sin(2.0 * std::numbers::pi * 500.0 * static_cast<double>(i) / kRate);
            const double d = c == n - 1 ? u(rng) + u(rng) : 0.0;
            s.samples[i * static_cast<std::size_t>(n) + static_cast<std::size_t>(c)] = static_cast<float>(std::round(x + d) / 32768.0);
        }
    QuantisationMeter q(kRate, n, 16);
    test::push_in_blocks(q, s, 999);
    EXPECT_NEAR(q.sounding_s(), 2.0, 0.1);
    EXPECT_NEAR(q.undithered_s(), 2.0 * (n - 1) / n, 0.1);
    const std::vector<float> other(static_cast<std::size_t>(n + 1) * 10, 0.0f);
    EXPECT_THROW(q.push(block_with_channels(other, n + 1)), std::invalid_argument);
}

TEST_P(KernelContract, ClipDetectorReportsTheClippedChannelOnly) {
    const int n = GetParam();
    test::Signal s = per_channel_sines(n, 1.0);
    const int clipped = n - 1;
    const std::size_t at = 24000;
    for (std::size_t i = at; i < at + 5; ++i) s.samples[i * static_cast<std::size_t>(n) + static_cast<std::size_t>(clipped)] = 1.0f;
    ClipDetector clip(kRate, n);
    test::push_in_blocks(clip, s, 512);
    ASSERT_EQ(clip.runs().size(), 1u);
    EXPECT_EQ(clip.runs()[0].channel, clipped);
    EXPECT_EQ(clip.runs()[0].start_frame, static_cast<std::int64_t>(at));
    EXPECT_EQ(clip.runs()[0].frames, 5);
}

TEST_P(KernelContract, LoudnessSumsEveryChannel) {
    const int n = GetParam();
    const test::Signal s = per_channel_sines(n, 4.0);
    LoudnessMeter loud(kRate, n);
    test::push_in_blocks(loud, s, 4410);
    // BS.1770 with all channel weights 1.0: the K-filter's 1 kHz gain and the -0.691 dB offset
    // cancel (EBU Tech 3341: a 1 kHz sine of amplitude a on both channels reads 20 log10 a LUFS),
    // so the loudness is 10 log10 of the channels' summed mean squares, sum of a_c^2 / 2.
    double sum = 0.0;
    for (int c = 0; c < n; ++c) sum += amplitude(c) * amplitude(c) / 2.0;
    EXPECT_NEAR(loud.integrated_lufs(), 10.0 * std::log10(sum), 0.05);
}

TEST_P(KernelContract, StereoOnlyKernelsRefuseOtherCounts) {
    const int n = GetParam();
    if (n <= 2) {
        EXPECT_NO_THROW(StereoMeter{n});
        EXPECT_NO_THROW((WelchSpectrum{kRate, n}));
        EXPECT_NO_THROW((BandEnergy{kRate, n}));
        EXPECT_NO_THROW((ShortTermImage{kRate, n}));
    } else {
        EXPECT_THROW(StereoMeter{n}, std::invalid_argument);
        EXPECT_THROW((WelchSpectrum{kRate, n}), std::invalid_argument);
        EXPECT_THROW((BandEnergy{kRate, n}), std::invalid_argument);
        EXPECT_THROW((ShortTermImage{kRate, n}), std::invalid_argument);
    }
}

TEST_P(KernelContract, MismatchedBlockIsRefusedAndChangesNothing) {
    const int n = GetParam();
    const int other = n == 1 ? 2 : n - 1;
    // Enough samples for either layout; values that would register if read.
    const std::vector<float> loud_samples(static_cast<std::size_t>(n * other) * 4800, 0.9f);
    const audio::Block wrong = block_with_channels(loud_samples, other);

    LevelStats stats(kRate, n);
    EXPECT_THROW(stats.push(wrong), std::invalid_argument);
    EXPECT_EQ(stats.frames(), 0);
    EXPECT_EQ(stats.sample_peak(), 0.0);

    TruePeakMeter tp(kRate, n);
    EXPECT_THROW(tp.push(wrong), std::invalid_argument);
    EXPECT_EQ(tp.frames(), 0);

    ClipDetector clip(kRate, n);
    EXPECT_THROW(clip.push(wrong), std::invalid_argument);
    EXPECT_EQ(clip.frames(), 0);

    LoudnessMeter loud(kRate, n);
    EXPECT_THROW(loud.push(wrong), std::invalid_argument);
    EXPECT_EQ(loud.frames(), 0);

    if (n <= 2) {
        StereoMeter stereo(n);
        EXPECT_THROW(stereo.push(wrong), std::invalid_argument);
        WelchSpectrum spectrum(kRate, n);
        EXPECT_THROW(spectrum.push(wrong), std::invalid_argument);
        BandEnergy bands(kRate, n);
        EXPECT_THROW(bands.push(wrong, [](std::int64_t, std::span<const float>) {}), std::invalid_argument);
        EXPECT_EQ(bands.frames_out(), 0);
        ShortTermImage image(kRate, n);
        EXPECT_THROW(image.push(wrong, [](std::int64_t, const ShortTermReading&) {}), std::invalid_argument);
        EXPECT_EQ(image.hops(), 0);
    }
}

TEST(KernelContract, ConstructorsRefuseNoChannelsAndTooMany) {
    for (int bad : {0, -1, audio::max_kernel_channels + 1}) {
        EXPECT_THROW((LevelStats{kRate, bad}), std::invalid_argument) << bad;
        EXPECT_THROW((TruePeakMeter{kRate, bad}), std::invalid_argument) << bad;
        EXPECT_THROW((ClipDetector{kRate, bad}), std::invalid_argument) << bad;
        EXPECT_THROW((LoudnessMeter{kRate, bad}), std::invalid_argument) << bad;
    }
}

INSTANTIATE_TEST_SUITE_P(Channels, KernelContract, ::testing::Values(1, 2, 3, 6),
                         [](const ::testing::TestParamInfo<int>& p) { return std::to_string(p.param) + "ch"; });
