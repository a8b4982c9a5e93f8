// LiveMeters and TakeRecorder without an audio device: built signals with known properties are
// pushed in odd-sized blocks (like capture periods); libebur128 is the loudness oracle.
#include <gtest/gtest.h>


#include <cmath>
#include <cstdio>
#include <ctime>
#include <numbers>
#include <vector>

#include "config/config.hpp"
#include "monitor/live_meters.hpp"
#include "monitor/monitor.hpp"
#include "monitor/take.hpp"
#include "support/ebur128_oracle.hpp"
#include "support/signals.hpp"

using namespace mixscout;
using namespace mixscout::monitor;

namespace {

struct Recorded {
    std::vector<MeterReading> meters;
    std::vector<LiveIssue> issues;
    std::vector<std::size_t> meters_before_issue;  // meters seen when each issue arrived
};

Recorded run_meters(const test::Signal& s, LiveOptions o = {}, std::size_t block = 333) {
    Recorded r;
    LiveMeters m(
        s.sample_rate, s.channels, o, [&](const MeterReading& x) { r.meters.push_back(x); },
        [&](const LiveIssue& i) {
            r.issues.push_back(i);
            r.meters_before_issue.push_back(r.meters.size());
        });
    const auto ch = static_cast<std::size_t>(s.channels);
    for (std::size_t f = 0; f < s.frames(); f += block) {
        const std::size_t n = std::min(block, s.frames() - f);
        m.push(audio::Block{std::span<const float>(s.samples.data() + f * ch, n * ch), s.channels});
    }
    return r;
}

using test::ebur128_short_term;

std::size_t count_key(const Recorded& r, const std::string& key) {
    std::size_t n = 0;
    for (const auto& i : r.issues) n += i.key == key;
    return n;
}

}  // namespace

TEST(LiveMeters, TenMetersPerSecondOfAudioAndShortTermMatchesLibebur128) {
    test::Signal s = test::pink_noise(-20.0, 6.0, 48000, 2, 11);
    const Recorded r = run_meters(s);
    ASSERT_EQ(r.meters.size(), 60u);  // one per 100 ms hop, whatever the block size
    const auto oracle = ebur128_short_term(s);
    ASSERT_EQ(oracle.size(), 60u);
    for (std::size_t k = 29; k < 60; ++k) {  // complete 3 s windows
        EXPECT_NEAR(r.meters[k].short_term_lufs, oracle[k], 0.1) << "hop " << k;
        EXPECT_EQ(r.meters[k].hop, static_cast<std::int64_t>(k));
        EXPECT_NEAR(r.meters[k].time_s, 0.1 * static_cast<double>(k + 1), 1e-9);
    }
    // Independent channels of noise: correlation around 0 (pink noise is mostly lows, so 400 ms
    // windows scatter), never a sustained anti-phase reading, nothing clips.
    double sum = 0, lowest = 1;
    for (const auto& m : r.meters) {
        sum += m.correlation;
        lowest = std::min(lowest, m.correlation);
    }
    EXPECT_NEAR(sum / static_cast<double>(r.meters.size()), 0.0, 0.1);
    for (const auto& i : r.issues) ADD_FAILURE() << i.key << ": " << i.title << " (lowest correlation " << lowest << ")";
}

TEST(LiveMeters, SilenceReadsAsTheProtocolFloor) {
    const Recorded r = run_meters(test::silence(1.0));
    ASSERT_EQ(r.meters.size(), 10u);
    EXPECT_EQ(r.meters.back().momentary_lufs, -70.0);
    EXPECT_EQ(r.meters.back().short_term_lufs, -70.0);
    EXPECT_EQ(r.meters.back().correlation, 1.0);
}

TEST(LiveMeters, ClippingIsReportedInTheHopWhereItHappens) {
    test::Signal s = test::pink_noise(-20.0, 3.0, 48000, 2, 3);
    test::insert_clip(s, 1.234, 5, 1);  // hop 12
    const Recorded r = run_meters(s, {}, 517);
    ASSERT_EQ(count_key(r, "clipping"), 1u);
    std::size_t i = 0;
    while (r.issues[i].key != "clipping") ++i;
    EXPECT_EQ(r.issues[i].severity, "critical");
    EXPECT_NE(r.issues[i].title.find("right"), std::string::npos) << r.issues[i].title;
    EXPECT_NEAR(r.issues[i].time_s, 1.234, 1.0 / 48000 + 1e-9);
    EXPECT_EQ(r.meters_before_issue[i], 12u);  // before the meter of hop 12 (ends at 1.3 s)
}

TEST(LiveMeters, IssuesAreRateLimitedInAudioTime) {
    // Clipping every 0.5 s for 7 s: with a 3 s interval, issues at 0.2, 3.2, 6.2 s only.
    test::Signal s = test::pink_noise(-20.0, 7.0, 48000, 2, 4);
    for (int k = 0; k < 14; ++k) test::insert_clip(s, 0.2 + 0.5 * k, 4, 0);
    LiveOptions o;
    o.issue_interval_s = 3.0;
    const Recorded r = run_meters(s, o);
    ASSERT_EQ(count_key(r, "clipping"), 3u);
    EXPECT_NEAR(r.issues[0].time_s, 0.2, 0.001);
    EXPECT_NEAR(r.issues[1].time_s, 3.2, 0.001);
    EXPECT_NEAR(r.issues[2].time_s, 6.2, 0.001);
}

TEST(LiveMeters, InterSamplePeakOverTheCeilingWithoutClipping) {
    // fs/4 sine with a 45 degree phase: samples sit at A*cos(45 deg) = 0.85 (no clipping), the
    // waveform between them reaches A = 1.2, i.e. +1.58 dBTP.
    test::Signal s{48000, 2, {}};
    const double a = 1.2;
    for (int i = 0; i < 48000; ++i) {
        const auto v = static_cast<float>(a * std::sin(std::numbers::pi / 2 * i + std::numbers::pi / 4));
        s.samples.push_back(v);
        s.samples.push_back(v);
    }
    LiveOptions o;
    o.ceiling_dbtp = -1.0;
    const Recorded r = run_meters(s, o);
    EXPECT_EQ(count_key(r, "clipping"), 0u);
    ASSERT_EQ(count_key(r, "true_peak"), 1u);
    EXPECT_NEAR(r.meters.back().true_peak_dbtp, 20 * std::log10(a), 0.2);
}

TEST(LiveMeters, SustainedAntiPhaseIsPhaseTrouble) {
    // Right = -left: correlation -1. Reported once 1 s of it has been heard, not before.
    test::Signal s = test::sine(440.0, -12.0, 3.0, 48000, 2, 180.0);
    LiveOptions o;
    o.phase_sustain_s = 1.0;
    const Recorded r = run_meters(s, o);
    ASSERT_EQ(count_key(r, "phase"), 1u);
    EXPECT_NEAR(r.meters.back().correlation, -1.0, 1e-3);
    EXPECT_GE(r.issues[0].time_s, 1.0 - 1e-9);
    EXPECT_LE(r.issues[0].time_s, 1.1 + 1e-9);
    EXPECT_EQ(r.issues[0].severity, "important");
    // In phase: no issue at all.
    EXPECT_EQ(count_key(run_meters(test::sine(440.0, -12.0, 3.0)), "phase"), 0u);
}

namespace {

std::vector<Take> run_takes(const test::Signal& s, TakeOptions o, std::size_t block = 480, bool finish = false) {
    TakeRecorder rec(s.sample_rate, s.channels, o);
    std::vector<Take> out;
    const auto ch = static_cast<std::size_t>(s.channels);
    for (std::size_t f = 0; f < s.frames(); f += block) {
        const std::size_t n = std::min(block, s.frames() - f);
        if (auto t = rec.push(audio::Block{std::span<const float>(s.samples.data() + f * ch, n * ch), s.channels}))
            out.push_back(std::move(*t));
    }
    if (finish)
        if (auto t = rec.finish()) out.push_back(std::move(*t));
    return out;
}

}  // namespace

TEST(TakeRecorder, APauseShorterThanTheEndSilenceStaysInTheTake) {
    // 1 s silence, 3 s noise, 1 s pause, 2 s noise, 3 s silence: one take of 6 s starting at 1 s.
    using test::concat;
    test::Signal s = concat(concat(concat(concat(test::silence(1.0), test::pink_noise(-20, 3.0, 48000, 2, 5)),
                                          test::silence(1.0)),
                                   test::pink_noise(-20, 2.0, 48000, 2, 6)),
                            test::silence(3.0));
    TakeOptions o;
    o.end_silence_s = 2.0;
    const auto takes = run_takes(s, o);
    ASSERT_EQ(takes.size(), 1u);
    EXPECT_NEAR(takes[0].analysis.format.duration_s, 6.0, 0.011);  // block granularity: 10 ms
    EXPECT_NEAR(takes[0].start_s, 1.0, 0.011);
    EXPECT_NEAR(takes[0].analysis.silence.trailing_s, 0.0, 0.011);  // the wait is not in the take
    EXPECT_EQ(takes[0].hash.rfind("live:fnv1a64:", 0), 0u);

    // Its integrated loudness is that of its audio (libebur128 over the same 6 s).
    const std::size_t first = 48000, frames = 6 * 48000;
    const test::Signal take_audio{48000, 2, std::vector<float>(s.samples.begin() + first * 2, s.samples.begin() + (first + frames) * 2)};
    const double lufs = test::ebur128_measure(take_audio).integrated_lufs;
    EXPECT_NEAR(takes[0].analysis.loudness.integrated_lufs, lufs, 0.1);
}

TEST(TakeRecorder, ShortSoundsAreNotTakesAndStopEndsATake) {
    TakeOptions o;
    o.end_silence_s = 1.0;
    o.min_take_s = 2.0;
    // A 0.5 s blip followed by silence: nothing.
    EXPECT_TRUE(run_takes(test::concat(test::pink_noise(-20, 0.5), test::silence(2.0)), o).empty());
    // 3 s of sound and the monitor stops: the take ends there.
    const auto takes = run_takes(test::pink_noise(-20, 3.0), o, 480, true);
    ASSERT_EQ(takes.size(), 1u);
    EXPECT_NEAR(takes[0].analysis.format.duration_s, 3.0, 0.011);
    // Two different takes have different hashes.
    const auto other = run_takes(test::pink_noise(-20, 3.0, 48000, 2, 99), o, 480, true);
    ASSERT_EQ(other.size(), 1u);
    EXPECT_NE(takes[0].hash, other[0].hash);
}

TEST(MonitorOptions, ShippedConfigGivesTheDocumentedDefaults) {
    const auto o = monitor_options(config::Config::defaults());
    EXPECT_EQ(o.capture.api, "auto");
    EXPECT_EQ(o.capture.channels, (std::vector<int>{1, 2}));
    EXPECT_EQ(o.profile, "mix");
    EXPECT_EQ(o.live.ceiling_dbtp, 0.0);  // the mix profile's ceiling
    EXPECT_EQ(o.take.silence_dbfs, -60.0);
    EXPECT_EQ(o.live.clipping_severity, "critical");
}

// Not a test: the DSP share of the monitor's CPU (scripts/bench-monitor measures the process).
// build/tests/test_monitor --gtest_also_run_disabled_tests --gtest_filter='*MonitorDspBench*'
TEST(MonitorDspBench, DISABLED_SixtySecondsOfStereo) {
    const test::Signal s = test::pink_noise(-20.0, 60.0, 48000, 2, 5);
    const auto cpu = [] {
        timespec t{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
    };
    const std::size_t block = 480;  // 10 ms, as the monitor thread reads
    auto run = [&](auto&& push) {
        const double t0 = cpu();
        for (std::size_t f = 0; f < s.frames(); f += block) {
            const std::size_t n = std::min(block, s.frames() - f);
            push(audio::Block{std::span<const float>(s.samples.data() + f * 2, n * 2), 2});
        }
        return cpu() - t0;
    };
    LiveMeters meters(48000, 2, {}, [](const MeterReading&) {}, [](const LiveIssue&) {});
    const double meters_s = run([&](const audio::Block& b) { meters.push(b); });
    TakeRecorder takes(48000, 2, {});
    const double takes_s = run([&](const audio::Block& b) { (void)takes.push(b); });
    std::printf("LiveMeters: %.3f s CPU per 60 s (%.2f %% of a core); TakeRecorder (Analyzer): %.3f s (%.2f %%)\n", meters_s,
                meters_s / 0.6, takes_s, takes_s / 0.6);
}
