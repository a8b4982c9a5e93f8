// The mastering chain's building blocks: the true-peak limiter, judged by libebur128's true-peak
// meter (an independent 4x/8x interpolator), and the linear-phase FIR + FFT convolver, judged by
// sines of known frequency against the curve they were designed from.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "master/convolver.hpp"
#include "master/eq_match.hpp"
#include "master/limiter.hpp"
#include "master/profile.hpp"
#include "support/ebur128_oracle.hpp"
#include "support/signals.hpp"

namespace mixscout::test {
namespace {

double libebur128_true_peak_db(const std::vector<float>& interleaved, int rate) {
    return ebur128_measure(Signal{rate, 2, interleaved}).true_peak_dbtp;
}

/// Runs the limiter over s plus latency frames of silence; returns the aligned output.
std::vector<float> limit(const Signal& s, double ceiling_dbtp, std::vector<float>* gains = nullptr) {
    master::TruePeakLimiter lim(s.sample_rate, ceiling_dbtp);
    const std::size_t lat = static_cast<std::size_t>(lim.latency_frames());
    std::vector<float> in = s.samples;
    in.resize(in.size() + 2 * lat, 0.0f);
    std::vector<float> out(in.size()), g(in.size() / 2);
    lim.process(in.data(), out.data(), in.size() / 2, g.data());
    if (gains) gains->assign(g.begin() + static_cast<std::ptrdiff_t>(lat), g.end());
    return {out.begin() + static_cast<std::ptrdiff_t>(2 * lat), out.end()};
}

TEST(TruePeakLimiter, BelowTheCeilingItIsAPureDelay) {
    const Signal s = pink_noise(-30.0, 2.0);
    const std::vector<float> out = limit(s, -1.0);
    ASSERT_EQ(out.size(), s.samples.size());
    for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], s.samples[i]) << i;
}

TEST(TruePeakLimiter, HotMaterialStaysUnderTheCeiling) {
    // Pink noise 12 dB too hot, plus bursts of a 15 kHz sine (inter-sample peaks well above the
    // sample peaks), plus single full-scale-plus impulses.
    Signal s = pink_noise(-6.0, 6.0, 48000, 2, 3);
    const Signal hf = sine(15000.0, 6.0, 6.0, 48000, 2, 45.0);
    for (std::size_t i = 0; i < s.frames(); ++i)
        if ((i / 4800) % 4 == 1)
            for (int c = 0; c < 2; ++c) s.samples[2 * i + c] += hf.samples[2 * i + c];
    for (double t : {1.0, 2.5, 4.0}) s.samples[2 * static_cast<std::size_t>(t * 48000)] = 3.0f;
    for (double ceiling : {-1.0, -3.0}) {
        const std::vector<float> out = limit(s, ceiling);
        EXPECT_LE(libebur128_true_peak_db(out, 48000), ceiling + 0.1) << ceiling;
    }
}

TEST(TruePeakLimiter, AnIsolatedPeakIsReleasedQuickly) {
    // A quiet sine with one loud 20 ms burst: half a second later the gain is back to unity.
    Signal s = sine(440.0, -20.0, 3.0, 48000, 2);
    const Signal burst = sine(1000.0, 6.0, 0.02, 48000, 2);
    mix_into(s, burst, 1.0);
    std::vector<float> gains;
    const std::vector<float> out = limit(s, -1.0, &gains);
    float lowest = 1.0f;
    for (std::size_t i = 48000; i < 49000; ++i) lowest = std::min(lowest, gains[i]);
    EXPECT_LT(20.0 * std::log10(lowest), -6.0);  // it did limit the burst
    for (std::size_t i = static_cast<std::size_t>(1.52 * 48000); i < gains.size(); ++i)
        ASSERT_GT(gains[i], std::pow(10.0f, -0.1f / 20.0f)) << "gain still reduced at " << i / 48000.0 << " s";
    // And the gain came down before the burst, not at it: no overshoot through the attack.
    EXPECT_LE(libebur128_true_peak_db(out, 48000), -1.0 + 0.1);
}

TEST(LinearPhaseFir, FollowsTheCurveWithTheDesignedDelay) {
    // Curve: 0 dB up to 500 Hz, rising linearly in log-frequency to +6 dB at 4 kHz, -3 dB at the very top.
    const auto& g = master::grid_hz();
    std::vector<double> curve(g.size());
    for (std::size_t i = 0; i < g.size(); ++i)
        curve[i] = g[i] <= 500 ? 0.0 : g[i] >= 4000 ? 6.0 : 6.0 * std::log2(g[i] / 500.0) / 3.0;
    const int rate = 48000, taps = master::fir_taps_for(rate);
    ASSERT_EQ(taps % 2, 1);
    const std::vector<float> fir = master::design_linear_phase_fir(curve, rate, taps);
    master::FftConvolver conv(fir);
    const std::size_t block = conv.block_frames();

    // Impulse: the response is symmetric around (taps - 1) / 2.
    std::vector<float> in(4 * block, 0.0f), out(4 * block);
    in[0] = 1.0f;
    for (std::size_t b = 0; b < 4; ++b) conv.process(in.data() + b * block, out.data() + b * block);
    const std::size_t centre = static_cast<std::size_t>(taps - 1) / 2;
    std::size_t argmax = 0;
    for (std::size_t i = 0; i < out.size(); ++i)
        if (std::fabs(out[i]) > std::fabs(out[argmax])) argmax = i;
    EXPECT_EQ(argmax, centre);
    for (std::size_t k = 1; k < 200; ++k) EXPECT_NEAR(out[centre - k], out[centre + k], 1e-5f) << k;

    // Sines: steady-state gain matches the curve.
    for (double f : {100.0, 1000.0, 2000.0, 8000.0}) {
        master::FftConvolver c(fir);
        const Signal s = sine(f, -6.0, 1.0, rate, 1);
        std::vector<float> x = s.samples;
        x.resize((x.size() / block + 1) * block, 0.0f);
        std::vector<float> y(x.size());
        for (std::size_t b = 0; b < x.size() / block; ++b) c.process(x.data() + b * block, y.data() + b * block);
        double in_e = 0, out_e = 0;
        for (std::size_t i = 20000; i < 40000; ++i) {
            in_e += static_cast<double>(x[i]) * x[i];
            out_e += static_cast<double>(y[i + centre]) * y[i + centre];
        }
        const double expected = f <= 500 ? 0.0 : f >= 4000 ? 6.0 : 6.0 * std::log2(f / 500.0) / 3.0;
        EXPECT_NEAR(10.0 * std::log10(out_e / in_e), expected, 0.3) << f << " Hz";
    }
}

}  // namespace
}  // namespace mixscout::test
