// Kernel throughput on 4 minutes of 48 kHz stereo, next to libebur128 on the same samples.
// A benchmark, not a test: disabled by default, run with
//   build/tests/test_dsp --gtest_also_run_disabled_tests --gtest_filter='*KernelBench*'
#include <gtest/gtest.h>

#include <time.h>

#include <cstdio>

#include "dsp/clipping.hpp"
#include "dsp/loudness.hpp"
#include "dsp/true_peak.hpp"
#include "kernel_signals.hpp"

using namespace mixscout;
using namespace mixscout::dsp;

namespace {
// Thread CPU time, thread CPU time, best of 3: the machine may be shared, and wall time then measures the
// neighbours as much as the kernel.
double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
template <class F>
double best_of_3_s(F&& f) {
    double best = 1e9;
    for (int i = 0; i < 3; ++i) {
        const double t0 = thread_cpu_s();
        f();
        best = std::min(best, thread_cpu_s() - t0);
    }
    return best;
}
}  // namespace

TEST(KernelBench, DISABLED_FourMinutes48kStereo) {
    const int fs = 48000;
    const test::Signal s = test::music_like(240.0, fs);
    double sink = 0.0;
    const double t_loud = best_of_3_s([&] {
        LoudnessMeter m(fs, 2, LoudnessOptions{true});
        test::push_in_blocks(m, s, 4096, [&](std::int64_t, double, double st) { sink += st; });
        sink += m.integrated_lufs() + m.loudness_range_lu() + m.mono_fold_integrated_lufs();
    });
    const double t_tp = best_of_3_s([&] {
        TruePeakMeter m(fs, 2);
        test::push_in_blocks(m, s, 4096);
        sink += m.true_peak_dbtp();
    });
    const double t_clip = best_of_3_s([&] {
        ClipDetector d(fs, 2);
        test::push_in_blocks(d, s, 4096);
        sink += static_cast<double>(d.run_count());
    });
    const double t_ebu_tp = best_of_3_s([&] {
        ebur128_state* st = ebur128_init(2, fs, EBUR128_MODE_TRUE_PEAK);
        for (std::size_t f = 0; f < s.frames(); f += 4096)
            ebur128_add_frames_float(st, s.samples.data() + 2 * f, std::min<std::size_t>(4096, s.frames() - f));
        double tp = 0;
        ebur128_true_peak(st, 0, &tp);
        sink += tp;
        ebur128_destroy(&st);
    });
    const double t_ebu_loud = best_of_3_s([&] {
        ebur128_state* st = ebur128_init(2, fs, EBUR128_MODE_I | EBUR128_MODE_LRA);
        for (std::size_t f = 0; f < s.frames(); f += 4096)
            ebur128_add_frames_float(st, s.samples.data() + 2 * f, std::min<std::size_t>(4096, s.frames() - f));
        double v = 0;
        ebur128_loudness_global(st, &v);
        sink += v;
        ebur128_loudness_range(st, &v);
        sink += v;
        ebur128_destroy(&st);
    });
    std::printf("4 min 48 kHz stereo (%zu frames), thread CPU time, best of 3:\n", s.frames());
    std::printf("  LoudnessMeter (M/S/I/LRA + mono fold)  %.3f s\n", t_loud);
    std::printf("  TruePeakMeter (4x, 16 taps/phase)      %.3f s\n", t_tp);
    std::printf("  ClipDetector                           %.3f s\n", t_clip);
    std::printf("  libebur128 I+LRA                       %.3f s\n", t_ebu_loud);
    std::printf("  libebur128 true peak                   %.3f s\n", t_ebu_tp);
    EXPECT_TRUE(std::isfinite(sink));
}
