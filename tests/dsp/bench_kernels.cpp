// Kernel throughput on 4 minutes of 48 kHz stereo, next to libebur128 on the same samples.
// A benchmark, not a test: disabled by default, run with
//   build/tests/test_dsp --gtest_also_run_disabled_tests --gtest_filter='*KernelBench*'
// MIXSCOUT_BENCH_WAV=FILE measures on that file instead of the built signal; MIXSCOUT_BENCH_RUNS=N
// times each part N times (default 3, best kept). Each part is one named function that is never
// inlined (bench_ours_*, bench_ebur128_*), so `valgrind --tool=callgrind` can count its
// instructions inclusively: scripts/bench does, with MIXSCOUT_BENCH_RUNS=1.
#include <gtest/gtest.h>

#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "dsp/clipping.hpp"
#include "dsp/loudness.hpp"
#include "dsp/true_peak.hpp"
#include "kernel_signals.hpp"

using namespace mixscout;
using namespace mixscout::dsp;

namespace {
constexpr std::size_t kBlockFrames = 4096;

// Thread CPU time, best of N: the machine may be shared, and wall time then measures the
// neighbours as much as the kernel.
double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
template <class F>
double best_of_s(int runs, F&& f) {
    double best = 1e9;
    for (int i = 0; i < runs; ++i) {
        const double t0 = thread_cpu_s();
        f();
        best = std::min(best, thread_cpu_s() - t0);
    }
    return best;
}

[[gnu::noinline]] double bench_ours_loudness(const test::Signal& s) {
    double sink = 0.0;
    LoudnessMeter m(s.sample_rate, s.channels, LoudnessOptions{true});
    test::push_in_blocks(m, s, kBlockFrames, [&](std::int64_t, double, double st) { sink += st; });
    return sink + m.integrated_lufs() + m.loudness_range_lu() + m.mono_fold_integrated_lufs();
}
[[gnu::noinline]] double bench_ours_true_peak(const test::Signal& s) {
    TruePeakMeter m(s.sample_rate, s.channels);
    test::push_in_blocks(m, s, kBlockFrames);
    return m.true_peak_dbtp();
}
[[gnu::noinline]] double bench_ours_clip(const test::Signal& s) {
    ClipDetector d(s.sample_rate, s.channels);
    test::push_in_blocks(d, s, kBlockFrames);
    return static_cast<double>(d.run_count());
}
double ebur128_run(const test::Signal& s, int mode) {
    ebur128_state* st = ebur128_init(static_cast<unsigned>(s.channels), static_cast<unsigned long>(s.sample_rate), mode);
    const auto ch = static_cast<std::size_t>(s.channels);
    for (std::size_t f = 0; f < s.frames(); f += kBlockFrames)
        ebur128_add_frames_float(st, s.samples.data() + ch * f, std::min(kBlockFrames, s.frames() - f));
    double sink = 0, v = 0;
    if ((mode & EBUR128_MODE_TRUE_PEAK) == EBUR128_MODE_TRUE_PEAK)
        for (unsigned c = 0; c < ch; ++c) sink += (ebur128_true_peak(st, c, &v), v);
    if ((mode & EBUR128_MODE_I) == EBUR128_MODE_I) sink += (ebur128_loudness_global(st, &v), v);
    if ((mode & EBUR128_MODE_LRA) == EBUR128_MODE_LRA) sink += (ebur128_loudness_range(st, &v), v);
    ebur128_destroy(&st);
    return sink;
}
[[gnu::noinline]] double bench_ebur128_loudness(const test::Signal& s) {
    return ebur128_run(s, EBUR128_MODE_I | EBUR128_MODE_LRA);
}
[[gnu::noinline]] double bench_ebur128_true_peak(const test::Signal& s) {
    return ebur128_run(s, EBUR128_MODE_TRUE_PEAK);
}
}  // namespace

TEST(KernelBench, DISABLED_FourMinutes48kStereo) {
    const char* wav = std::getenv("MIXSCOUT_BENCH_WAV");
    const char* runs_env = std::getenv("MIXSCOUT_BENCH_RUNS");
    const int runs = runs_env ? std::max(1, std::atoi(runs_env)) : 3;
    const test::Signal s = wav ? test::read_audio(wav) : test::music_like(240.0, 48000);
    ASSERT_GT(s.frames(), 0u);
    double sink = 0.0;
    const double t_loud = best_of_s(runs, [&] { sink += bench_ours_loudness(s); });
    const double t_tp = best_of_s(runs, [&] { sink += bench_ours_true_peak(s); });
    const double t_clip = best_of_s(runs, [&] { sink += bench_ours_clip(s); });
    const double t_ebu_loud = best_of_s(runs, [&] { sink += bench_ebur128_loudness(s); });
    const double t_ebu_tp = best_of_s(runs, [&] { sink += bench_ebur128_true_peak(s); });
    std::printf("%s: %zu frames, %d Hz, %d channels; thread CPU time, best of %d:\n",
                wav ? wav : "built music-like signal", s.frames(), s.sample_rate, s.channels, runs);
    std::printf("  LoudnessMeter (M/S/I/LRA + mono fold)  %.3f s\n", t_loud);
    std::printf("  TruePeakMeter (4x, 16 taps/phase)      %.3f s\n", t_tp);
    std::printf("  ClipDetector                           %.3f s\n", t_clip);
    std::printf("  libebur128 I+LRA                       %.3f s\n", t_ebu_loud);
    std::printf("  libebur128 true peak                   %.3f s\n", t_ebu_tp);
    EXPECT_TRUE(std::isfinite(sink));
}
