// ClipDetector: bursts inserted at known times are found there; clean signals give none;
// 16-bit full scale (read back through libsndfile) counts.
#include <gtest/gtest.h>
#include <sndfile.h>

#include "dsp/clipping.hpp"
#include "dsp/loudness.hpp"
#include "dsp/true_peak.hpp"
#include "kernel_signals.hpp"

using namespace mixscout;
using namespace mixscout::dsp;
using mixscout::test::Signal;

TEST(Clipping, BurstsFoundAtTheirTimes) {
    for (int fs : {44100, 48000}) {
        Signal s = test::pink_noise(-14, 10.0, fs, 2);
        struct Burst { double t; int n; int ch; };
        const Burst bursts[] = {{1.0, 12, 0}, {2.5, 5, 1}, {4.25, 40, 0}, {7.777, 3, 1}, {9.5, 100, 0}};
        for (const Burst& b : bursts) test::insert_clip(s, b.t, b.n, b.ch);
        ClipDetector d(fs, 2);
        test::push_in_blocks(d, s, 999);
        ASSERT_EQ(d.runs().size(), std::size(bursts)) << fs;
        std::int64_t total = 0;
        for (std::size_t i = 0; i < std::size(bursts); ++i) {
            const auto& r = d.runs()[i];
            EXPECT_NEAR(static_cast<double>(r.start_frame) / fs, bursts[i].t, 0.010);
            EXPECT_EQ(r.frames, bursts[i].n);
            EXPECT_EQ(r.channel, bursts[i].ch);
            total += bursts[i].n;
        }
        EXPECT_EQ(d.run_count(), static_cast<std::int64_t>(std::size(bursts)));
        EXPECT_EQ(d.clipped_samples(), total);
    }
}

TEST(Clipping, CleanSignalsGiveNone) {
    // A sine peaking exactly at full scale touches it in single samples only; loud noise below
    // full scale never does.
    for (int fs : {44100, 48000}) {
        ClipDetector d(fs, 2);
        d.push(test::as_block(test::sine(997.0, 0.0, 3.0, fs, 2)));
        d.push(test::as_block(test::pink_noise(-20, 3.0, fs, 2)));
        d.push(test::as_block(test::music_like(3.0, fs)));
        EXPECT_TRUE(d.runs().empty());
        EXPECT_EQ(d.run_count(), 0);
        EXPECT_EQ(d.clipped_samples(), 0);
    }
}

TEST(Clipping, ShortRunsBelowTheMinimumAreIgnored) {
    Signal s = test::silence(1.0, 48000, 1);
    test::insert_clip(s, 0.2, 2, 0);  // 2 < default minimum of 3
    test::insert_clip(s, 0.5, 3, 0);
    ClipDetector d(48000, 1);
    d.push(test::as_block(s));
    ASSERT_EQ(d.runs().size(), 1u);
    EXPECT_EQ(d.runs()[0].start_frame, 24000);
}

TEST(Clipping, SixteenAndTwentyFourBitFullScaleCount) {
    // A sine at +6 dB hard-clipped to [-1, 1], written as 16-bit and 24-bit PCM and read back:
    // libsndfile stores +1.0 as 32767 (0.99997 on reading) and -1.0 as -32768.
    test::TempDir dir;
    Signal s = test::sine(100.0, 6.0, 1.0, 48000, 1);
    for (float& x : s.samples) x = std::clamp(x, -1.0f, 1.0f);
    ClipDetector ref(48000, 1);
    ref.push(test::as_block(s));
    ASSERT_EQ(ref.run_count(), 200);  // 100 Hz: one positive and one negative plateau per cycle
    for (int fmt : {SF_FORMAT_WAV | SF_FORMAT_PCM_16, SF_FORMAT_WAV | SF_FORMAT_PCM_24}) {
        test::write_audio(dir / "clipped.wav", s, fmt);
        const Signal back = test::read_audio(dir / "clipped.wav");
        float max_pos = 0.0f;
        for (float x : back.samples) max_pos = std::max(max_pos, x);
        ASSERT_LT(max_pos, 1.0f);  // really below +1.0: the threshold must reach down to it
        ClipDetector d(48000, 1);
        d.push(test::as_block(back));
        EXPECT_EQ(d.run_count(), ref.run_count()) << std::hex << fmt;
        EXPECT_EQ(d.clipped_samples(), ref.clipped_samples()) << std::hex << fmt;
    }
}

TEST(Clipping, LiveMonitorSeesARunInTheBlockThatQualifiesIt) {
    ClipDetector d(48000, 2);
    std::vector<float> block(2 * 64, 0.0f);
    int reported = 0;
    auto on_run = [&](const ClipDetector::Run& r) {
        ++reported;
        EXPECT_EQ(r.channel, 1);
        EXPECT_EQ(r.start_frame, 64 + 62);
    };
    const audio::Block b{std::span<const float>(block), 2};
    d.push(b, on_run);
    // Two full-scale samples at the end of this block, two more at the start of the next.
    block[2 * 62 + 1] = block[2 * 63 + 1] = -1.0f;
    d.push(b, on_run);
    EXPECT_EQ(reported, 0);
    EXPECT_TRUE(d.runs().empty());
    std::fill(block.begin(), block.end(), 0.0f);
    block[1] = block[3] = 1.0f;
    d.push(b, on_run);
    EXPECT_EQ(reported, 1);
    ASSERT_EQ(d.runs().size(), 1u);
    EXPECT_EQ(d.runs()[0].frames, 4);  // the run spans the block edge
    EXPECT_FALSE(d.run_open(1));
}

TEST(Clipping, RunsAreCappedButCounted) {
    Signal s = test::silence(2.0, 48000, 1);
    for (int i = 0; i < 1200; ++i) test::insert_clip(s, i * 0.0015, 4, 0);
    ClipDetector d(48000, 1);
    d.push(test::as_block(s));
    EXPECT_EQ(d.runs().size(), 1000u);
    EXPECT_EQ(d.run_count(), 1200);
    EXPECT_EQ(d.clipped_samples(), 4800);
}

TEST(KernelContract, EmptyBlocksAreNoOpsAndWrongLayoutsThrow) {
    ClipDetector clip(48000, 2);
    LoudnessMeter loud(48000, 2);
    TruePeakMeter tp(48000, 2);
    const audio::Block empty{};  // what a decoder returns at the end: no samples, 0 channels
    clip.push(empty);
    loud.push(empty);
    tp.push(empty);
    EXPECT_EQ(clip.frames() + loud.frames() + tp.frames(), 0);
    const std::vector<float> mono(480, 0.1f);
    const audio::Block wrong{std::span<const float>(mono), 1};
    EXPECT_THROW(clip.push(wrong), std::invalid_argument);
    EXPECT_THROW(loud.push(wrong), std::invalid_argument);
    EXPECT_THROW(tp.push(wrong), std::invalid_argument);
}

TEST(Clipping, SamplePeakIsTheLargestMagnitude) {
    // 1 kHz at 48 kHz with zero phase has a sample on every crest (48 samples per period): the
    // sample peak is the amplitude, -6 dBFS = 0.50119; a negative sample of -0.9 inserted later
    // into the right channel is larger still.
    Signal s = test::sine(1000.0, -6.0, 1.0, 48000, 2);
    ClipDetector d(48000, 2);
    test::push_in_blocks(d, s, 1000);
    EXPECT_NEAR(d.sample_peak(), std::pow(10.0, -6.0 / 20.0), 1e-5);
    EXPECT_EQ(d.runs().size(), 0u);
    s.samples[2 * 30000 + 1] = -0.9f;
    d.reset();
    EXPECT_EQ(d.sample_peak(), 0.0f);
    test::push_in_blocks(d, s, 777);
    EXPECT_FLOAT_EQ(d.sample_peak(), 0.9f);
}
