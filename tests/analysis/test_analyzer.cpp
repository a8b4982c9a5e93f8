// analyze_file against libebur128 on the same decoded file; clipping events at known times;
// one thread vs two; block sizes; the live-take path.
#include <ebur128.h>
#include <gtest/gtest.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "analysis/analyzer.hpp"
#include "analysis_signals.hpp"
#include "core/error.hpp"
#include "core/units.hpp"
#include "support/ebur128_oracle.hpp"

namespace mixscout {
namespace {

using test::block_of;

// libebur128 over exactly the samples our decoder sees (read back with libsndfile).
test::Ebur128Figures ebur128_of(const std::filesystem::path& file) { return test::ebur128_measure(test::read_audio(file)); }

TEST(AnalyzeFile, AgreesWithLibebur128OnMusicLikeAndNoise) {
    test::TempDir dir;
    struct Case {
        const char* name;
        test::Signal signal;
        int format;
    };
    const Case cases[] = {
        {"music48.wav", test::music_like(25.0, 48000), SF_FORMAT_WAV | SF_FORMAT_PCM_24},
        {"music44.flac", test::music_like(25.0, 44100), SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
        {"pink44.aiff", test::pink_noise(-16.0, 12.0, 44100, 2), SF_FORMAT_AIFF | SF_FORMAT_PCM_24},
        {"pink48mono.wav", test::pink_noise(-22.0, 12.0, 48000, 1), SF_FORMAT_WAV | SF_FORMAT_FLOAT},
        // Not white noise: near Nyquist the two interpolation filters differ (libebur128's 48-tap
        // FIR droops there) and full-band white noise reads 0.4 dB lower in libebur128.
    };
    for (const Case& c : cases) {
        const auto path = dir / c.name;
        test::write_audio(path, c.signal, c.format);
        const analysis::Analysis a = analysis::analyze_file(path);
        const test::Ebur128Figures o = ebur128_of(path);
        EXPECT_NEAR(a.loudness.integrated_lufs, o.integrated_lufs, 0.05) << c.name;
        EXPECT_NEAR(a.peak.true_peak_dbtp, o.true_peak_dbtp, 0.2) << c.name;
        EXPECT_NEAR(a.loudness.lra_lu, o.lra_lu, 1.0) << c.name;  // Tech 3342's tolerance
        EXPECT_EQ(a.path, path.string());
        EXPECT_EQ(a.format.sample_rate, c.signal.sample_rate);
        EXPECT_EQ(a.format.channels, c.signal.channels);
        EXPECT_EQ(a.format.frames, static_cast<std::int64_t>(c.signal.frames()));
        // Short-term series at 10 Hz: one value per completed 100 ms hop.
        EXPECT_EQ(a.loudness.short_term_series.size(), static_cast<std::size_t>(c.signal.duration_s() * 10.0)) << c.name;
        EXPECT_NEAR(*std::max_element(a.loudness.short_term_series.begin(), a.loudness.short_term_series.end()),
                    a.loudness.short_term_max_lufs, 1e-4);
        EXPECT_NEAR(a.dynamics.plr_db, a.peak.true_peak_dbtp - a.loudness.integrated_lufs, 1e-12);
        EXPECT_NEAR(a.dynamics.psr_db, a.peak.true_peak_dbtp - a.loudness.short_term_max_lufs, 1e-12);
    }
}

TEST(AnalyzeFile, FormatSection) {
    test::TempDir dir;
    test::write_audio(dir / "a.wav", test::sine(1000, -10, 1.0, 44100, 2), SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    const auto a = analysis::analyze_file(dir / "a.wav");
    EXPECT_EQ(a.format.bit_depth, 16);
    EXPECT_EQ(a.format.container, "wav");
    EXPECT_EQ(a.format.encoding, "pcm_16");
    EXPECT_DOUBLE_EQ(a.format.duration_s, 1.0);
}

TEST(Clipping, BurstsAreFoundAtTheirTimesAndACleanSignalHasNone) {
    test::Signal s = test::music_like(20.0, 48000);
    test::apply_gain_db(s, -6.0);
    const auto clean = analysis::analyze_samples(block_of(s), 48000);
    EXPECT_EQ(clean.clipping.count, 0);
    EXPECT_TRUE(clean.clipping.events.empty());
    EXPECT_LT(clean.peak.true_peak_dbtp, 0.0);

    const double times[] = {2.345, 7.5, 13.02};
    const int channels[] = {0, 1, 0};
    for (int i = 0; i < 3; ++i) test::insert_clip(s, times[i], 24, channels[i]);
    test::TempDir dir;
    test::write_audio(dir / "clipped.wav", s);
    const auto a = analysis::analyze_file(dir / "clipped.wav");
    std::vector<analysis::ClipEvent> full;
    for (const auto& e : a.clipping.events)
        if (e.kind == "full_scale") full.push_back(e);
    ASSERT_EQ(full.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(full[i].time_s, times[i], 0.010) << i;
        EXPECT_EQ(full[i].channel, channels[i]);
        EXPECT_EQ(full[i].samples, 24);
        EXPECT_NEAR(full[i].duration_s, 24.0 / 48000.0, 1e-9);
        EXPECT_GE(full[i].peak_dbtp, -0.01);
    }
    EXPECT_EQ(a.clipping.clipped_samples, 72);
    EXPECT_EQ(a.clipping.count, static_cast<int>(a.clipping.events.size()));
    for (std::size_t i = 1; i < a.clipping.events.size(); ++i)
        EXPECT_LE(a.clipping.events[i - 1].time_s, a.clipping.events[i].time_s);
}

TEST(Clipping, InterSampleOverWithoutFullScaleSamples) {
    // A sine at fs/4 with a 45 degree phase offset: every sample sits at A*sin(45deg), the
    // waveform between them reaches A. With A = 1.2 the samples stay at 0.85 (no full-scale
    // run) while the true peak is +1.6 dBTP.
    const int rate = 48000;
    test::Signal s = test::silence(4.0, rate, 2);
    const std::size_t start = static_cast<std::size_t>(1.25 * rate), n = 4800;  // 100 ms burst at 1.25 s
    for (std::size_t i = 0; i < n; ++i) {
        const double v = 1.2 * std::sin(std::numbers::pi / 2.0 * static_cast<double>(i) + std::numbers::pi / 4.0);
        s.samples[(start + i) * 2] = static_cast<float>(v);
    }
    const auto a = analysis::analyze_samples(block_of(s), rate);
    ASSERT_GE(a.clipping.events.size(), 1u);
    EXPECT_EQ(a.clipping.events[0].kind, "true_peak_over");
    EXPECT_EQ(a.clipping.events[0].channel, 0);
    EXPECT_NEAR(a.clipping.events[0].time_s, 1.25, 0.010);
    EXPECT_NEAR(a.clipping.events[0].peak_dbtp, 20.0 * std::log10(1.2), 0.2);
    EXPECT_EQ(a.clipping.clipped_samples, 0);
    EXPECT_NEAR(a.peak.sample_peak_dbfs, 20.0 * std::log10(1.2 * std::sqrt(0.5)), 0.01);
}

TEST(Analyzer, TwoThreadsGiveExactlyTheSameResult) {
    test::Signal s = test::music_like(10.0, 44100);
    test::insert_clip(s, 3.0, 10, 1);
    analysis::AnalyzeOptions one, two;
    one.threads = 1;
    two.threads = 2;
    const auto a = analysis::analyze_samples(block_of(s), 44100, one);
    const auto b = analysis::analyze_samples(block_of(s), 44100, two);
    EXPECT_TRUE(a == b);
}

TEST(AnalyzeFile, AnyThreadCountGivesExactlyTheSameResult) {
    // Each kernel sees the blocks in order whatever the threads do, so the numbers must not
    // change; small blocks make the decoder cycle the ring of buffers many times and the lanes
    // drift apart.
    test::TempDir dir;
    test::Signal s = test::music_like(12.0, 48000);
    test::insert_clip(s, 5.0, 12, 0);
    test::write_audio(dir / "m.wav", s, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
    analysis::AnalyzeOptions o;
    o.block_frames = 1000;
    o.threads = 1;
    const auto sequential = analysis::analyze_file(dir / "m.wav", o);
    for (int threads : {2, 3, 4}) {
        o.threads = threads;
        EXPECT_TRUE(analysis::analyze_file(dir / "m.wav", o) == sequential) << threads << " threads";
    }
    // The inserted burst is among what all of them found.
    EXPECT_TRUE(std::any_of(sequential.clipping.events.begin(), sequential.clipping.events.end(), [](const auto& e) {
        return e.kind == "full_scale" && std::abs(e.time_s - 5.0) < 0.01;
    }));
}

TEST(AnalyzeFile, ADecodeErrorMidStreamReachesTheCaller) {
    // A FLAC cut short decodes until the cut, then fails on a worker thread: the error must
    // surface from analyze_file as the decoder's InputError, on every thread count.
    test::TempDir dir;
    test::write_audio(dir / "full.flac", test::music_like(6.0, 44100), SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
    const auto size = std::filesystem::file_size(dir / "full.flac");
    std::filesystem::copy_file(dir / "full.flac", dir / "cut.flac");
    std::filesystem::resize_file(dir / "cut.flac", size / 2);
    for (int threads : {1, 2, 4}) {
        analysis::AnalyzeOptions o;
        o.threads = threads;
        o.block_frames = 2048;
        try {
            analysis::analyze_file(dir / "cut.flac", o);
            ADD_FAILURE() << "no error with " << threads << " threads";
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find("cut.flac: "), std::string::npos) << e.what();
        }
    }
}

TEST(Analyzer, IncrementalPushesMatchOnePush) {
    const test::Signal s = test::music_like(8.0, 48000);
    const auto whole = analysis::analyze_samples(block_of(s), 48000);
    analysis::Analyzer an(48000, 2, {.keep_series = true, .threads = 2});
    std::size_t i = 0, step = 1;
    while (i < s.frames()) {  // ragged block sizes: 1, 2, 4, ... 4096, 1, ...
        const std::size_t n = std::min(step, s.frames() - i);
        an.push(audio::Block{std::span<const float>(s.samples.data() + 2 * i, 2 * n), 2});
        i += n;
        step = step >= 4096 ? 1 : step * 2;
    }
    EXPECT_EQ(an.frames(), static_cast<std::int64_t>(s.frames()));
    const auto pieces = an.finish();
    EXPECT_NEAR(pieces.loudness.integrated_lufs, whole.loudness.integrated_lufs, 1e-9);
    EXPECT_NEAR(pieces.peak.true_peak_dbtp, whole.peak.true_peak_dbtp, 1e-6);
    EXPECT_EQ(pieces.loudness.short_term_series, whole.loudness.short_term_series);
    for (std::size_t k = 0; k < whole.spectrum.third_octave.size(); ++k)
        EXPECT_NEAR(pieces.spectrum.third_octave[k].db, whole.spectrum.third_octave[k].db, 1e-9);
    EXPECT_NEAR(pieces.stereo.correlation, whole.stereo.correlation, 1e-9);
    EXPECT_NEAR(pieces.dynamics.crest_db, whole.dynamics.crest_db, 1e-9);
}

TEST(Analyzer, FinishCanBeCalledMidStreamForLiveTakes) {
    const test::Signal s = test::pink_noise(-20.0, 6.0, 48000, 2);
    analysis::Analyzer an(48000, 2);
    const std::size_t half = s.frames() / 2;
    an.push(audio::Block{std::span<const float>(s.samples.data(), 2 * half), 2});
    const auto first = an.finish();
    EXPECT_NEAR(first.format.duration_s, 3.0, 1e-9);
    an.push(audio::Block{std::span<const float>(s.samples.data() + 2 * half, s.samples.size() - 2 * half), 2});
    const auto all = an.finish();
    EXPECT_NEAR(all.format.duration_s, 6.0, 1e-9);
    EXPECT_NEAR(all.loudness.integrated_lufs, first.loudness.integrated_lufs, 0.2);  // stationary noise
}

TEST(Analyzer, RejectsUnsupportedLayouts) {
    EXPECT_THROW(analysis::Analyzer(48000, 3), InputError);
    EXPECT_THROW(analysis::Analyzer(4000, 2), InputError);
}

TEST(Analyzer, KeepSeriesOff) {
    const test::Signal pink = test::pink_noise(-20, 2.0, 48000, 2);
    const auto noise = block_of(pink);  // a view of pink's samples
    const auto a = analysis::analyze_samples(noise, 48000, {.keep_series = false});
    EXPECT_TRUE(a.loudness.short_term_series.empty());
    EXPECT_TRUE(a.dynamics.crest_series.empty());
    EXPECT_GT(a.loudness.integrated_lufs, -30.0);
    // The whole-file measures that ride on the series' kernels are the same without the series.
    const auto with = analysis::analyze_samples(noise, 48000);
    EXPECT_GT(with.dynamics.hop_crest_db, 6.0);
    EXPECT_EQ(a.dynamics.hop_crest_db, with.dynamics.hop_crest_db);
    EXPECT_EQ(a.dynamics.half_peak_share, with.dynamics.half_peak_share);
}

}  // namespace
}  // namespace mixscout
