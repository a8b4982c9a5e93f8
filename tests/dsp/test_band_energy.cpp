// The band-energy kernel (dsp/band_energy.hpp) against signals with known band powers.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "core/units.hpp"
#include "dsp/band_energy.hpp"
#include "support/signals.hpp"

namespace mixscout::dsp {
namespace {

using test::Signal;

struct Series {
    std::vector<std::vector<float>> frames;
    std::vector<std::int64_t> index;
};

Series run(BandEnergy& e, const Signal& s, std::size_t block = 4096) {
    Series out;
    auto on = [&](std::int64_t i, std::span<const float> p) {
        out.index.push_back(i);
        out.frames.emplace_back(p.begin(), p.end());
    };
    for (std::size_t at = 0; at < s.frames(); at += block) {
        const std::size_t n = std::min(block, s.frames() - at);
        e.push(audio::Block{std::span<const float>(s.samples).subspan(at * s.channels, n * s.channels), s.channels}, on);
    }
    e.flush(on);
    return out;
}

std::size_t band_of(const BandEnergy& e, double hz) {
    for (std::size_t k = 0; k < e.bands().size(); ++k)
        if (hz >= e.bands()[k].lo_hz && hz < e.bands()[k].hi_hz) return k;
    return e.bands().size();
}

TEST(BandEnergy, SineReadsHalfItsSquaredAmplitudeInItsBand) {
    // A sine of amplitude A has mean square A^2/2: -6 dBFS peak -> -9.03 dB in its band.
    for (BandMethod method : {BandMethod::fft, BandMethod::filter_bank}) {
        BandEnergy e(48000, 2, {.method = method});
        const Signal s = test::sine(1000.0, -6.0, 2.0);
        const Series r = run(e, s);
        const std::size_t k = band_of(e, 1000.0);
        const auto& mid = r.frames[r.frames.size() / 2];
        EXPECT_NEAR(power_to_db(mid[k]), -6.0 - 3.0103, method == BandMethod::fft ? 0.05 : 0.5);
        // Two bands away (630 Hz, 1.6 kHz) the sine is far down: the Hann window's side lobes are
        // below -31 dB; two cascaded 2nd-order band-passes give 18 dB at 2/3 octave.
        const double down_db = method == BandMethod::fft ? 40.0 : 15.0;
        EXPECT_LT(power_to_db(mid[k - 2]), -9.0 - down_db);
        EXPECT_LT(power_to_db(mid[k + 2]), -9.0 - down_db);
    }
}

TEST(BandEnergy, BalanceGivesEachBandsLeftShare) {
    // 200 Hz (the decimated low path) at L/R gains 0.8/0.2 and 5 kHz (the short transforms) at
    // 0.3/0.9, summed: each band's left share is its gains' power ratio, gL^2 / (gL^2 + gR^2).
    const int rate = 48000;
    Signal s{rate, 2, std::vector<float>(2 * 2 * rate)};
    for (std::size_t i = 0; i < s.frames(); ++i) {
        const double t = static_cast<double>(i) / rate;
        const double lo = 0.5 * std::sin(2.0 * std::numbers::pi * 200.0 * t), hi = 0.5 * std::sin(2.0 * std::numbers::pi * 5000.0 * t);
        s.samples[2 * i] = static_cast<float>(0.8 * lo + 0.3 * hi);
        s.samples[2 * i + 1] = static_cast<float>(0.2 * lo + 0.9 * hi);
    }
    for (BandMethod method : {BandMethod::fft, BandMethod::filter_bank}) {
        SCOPED_TRACE(method == BandMethod::fft ? "fft" : "filter bank");
        BandEnergy e(rate, 2, {.method = method, .stereo_balance = true});
        ASSERT_EQ(e.latest_balance().size(), e.bands().size());
        std::vector<float> power, balance;
        std::int64_t seen = 0;
        auto on = [&](std::int64_t i, std::span<const float> p) {
            if (i != 20) return;  // a frame well inside the signal
            power.assign(p.begin(), p.end());
            balance.assign(e.latest_balance().begin(), e.latest_balance().end());
            ++seen;
        };
        e.push(audio::Block{std::span<const float>(s.samples), 2}, on);
        ASSERT_EQ(seen, 1);
        const std::size_t k_lo = band_of(e, 200.0), k_hi = band_of(e, 5000.0);
        auto share = [&](std::size_t k) { return 0.5 + 0.5 * balance[k] / power[k]; };
        EXPECT_NEAR(share(k_lo), 0.64 / (0.64 + 0.04), 0.01);
        EXPECT_NEAR(share(k_hi), 0.09 / (0.09 + 0.81), 0.01);
        // The sum is unchanged by measuring the balance: A^2/2 of each sine, channel-averaged.
        // Channel-averaged mean square of the 200 Hz sine: ((0.5 * 0.8)^2 / 2 + (0.5 * 0.2)^2 / 2) / 2.
        // (The filter bank is -3 dB at its band edges and only 0.5 dB-accurate at the centre: see above.)
        EXPECT_NEAR(power[k_lo], (0.16 / 2.0 + 0.01 / 2.0) / 2.0, (method == BandMethod::fft ? 0.01 : 0.13) * power[k_lo]);
    }
    // Mono streams have no balance.
    EXPECT_TRUE(BandEnergy(rate, 1, {.stereo_balance = true}).latest_balance().empty());
}

TEST(BandEnergy, BandsSumToTheMeanSquare) {
    // Parseval: white noise's band powers add up to its mean square (RMS -20 dBFS -> -20 dB).
    BandEnergy e(48000, 2);
    const Signal s = test::white_noise(-20.0, 3.0);
    const Series r = run(e, s);
    for (std::size_t f = 10; f < 40; f += 10) {
        double sum = 0.0;
        for (float p : r.frames[f]) sum += p;
        EXPECT_NEAR(power_to_db(sum), -20.0, 0.5) << "frame " << f;
    }
}

TEST(BandEnergy, FrameCountTimingAndBlockSizeIndependence) {
    BandEnergy e(44100, 1);
    EXPECT_EQ(e.hop_frames(), 2205);
    EXPECT_DOUBLE_EQ(e.frame_s(), 0.05);
    EXPECT_EQ(e.bands().size(), 31u);  // 20 Hz .. 20 kHz, the top band clipped at 22.05 kHz
    EXPECT_DOUBLE_EQ(e.bands().back().hi_hz, 22050.0);
    // Silence, then a 100 ms burst of 2 kHz at 1.00 .. 1.10 s, then silence: 2.03 s in all.
    Signal s = test::silence(2.03, 44100, 1);
    const Signal burst = test::sine(2000.0, -10.0, 0.1, 44100, 1);
    test::mix_into(s, burst, 1.0);
    const Series a = run(e, s, 4096);
    ASSERT_EQ(a.frames.size(), static_cast<std::size_t>(std::ceil(2.03 * 44100 / 2205.0)));
    for (std::size_t i = 0; i < a.index.size(); ++i) EXPECT_EQ(a.index[i], static_cast<std::int64_t>(i));
    const std::size_t k = band_of(e, 2000.0);
    // The burst's frames (20 and 21) carry it; 0.5 s before and after there is nothing.
    EXPECT_GT(power_to_db(a.frames[20][k]), -25.0);
    EXPECT_GT(power_to_db(a.frames[21][k]), -25.0);
    EXPECT_LT(power_to_db(a.frames[10][k]), -100.0);
    EXPECT_LT(power_to_db(a.frames[32][k]), -100.0);
    // The loudest frame is one of the burst's, not shifted.
    std::size_t loudest = 0;
    for (std::size_t f = 0; f < a.frames.size(); ++f)
        if (a.frames[f][k] > a.frames[loudest][k]) loudest = f;
    EXPECT_TRUE(loudest == 20 || loudest == 21) << loudest;
    // Any block size gives the same series.
    e.reset();
    const Series b = run(e, s, 777);
    ASSERT_EQ(b.frames.size(), a.frames.size());
    for (std::size_t f = 0; f < a.frames.size(); ++f)
        for (std::size_t j = 0; j < a.frames[f].size(); ++j) ASSERT_FLOAT_EQ(a.frames[f][j], b.frames[f][j]);
}

TEST(BandEnergy, CriticalBandsAndLowRates) {
    BandEnergy e(16000, 1, {.scale = BandScale::critical});
    // Bark bands starting below 8 kHz: 22 (the last, 7.7..9.5 kHz, clipped at Nyquist).
    EXPECT_EQ(e.bands().size(), 22u);
    EXPECT_DOUBLE_EQ(e.bands().front().lo_hz, 0.0);
    EXPECT_DOUBLE_EQ(e.bands().back().hi_hz, 8000.0);
    const Series r = run(e, test::sine(450.0, -3.0, 1.0, 16000, 1));
    EXPECT_NEAR(power_to_db(r.frames[10][band_of(e, 450.0)]), -6.01, 0.1);
}

TEST(BandEnergy, EveryBandReadsASineAtItsCentreAtCommonRates) {
    // A^2/2 in the sine's band at every third-octave centre, in the decimated long-transform bands
    // (<= 2 kHz) and the short-transform bands above; nothing near it two bands away. Bands
    // narrower than the Hann window's main lobe (4 bins of fs / 8192: 25..63 Hz) cannot hold it.
    for (int fs : {44100, 48000}) {
        BandEnergy e(fs, 2);
        for (std::size_t k = 1; k + 1 < e.bands().size(); ++k) {
            if (e.bands()[k].hi_hz - e.bands()[k].lo_hz < 4.0 * fs / 8192.0) continue;
            const double fc = std::sqrt(e.bands()[k].lo_hz * e.bands()[k].hi_hz);
            e.reset();
            const Series r = run(e, test::sine(fc, -10.0, 1.0, fs, 2));
            const auto& mid = r.frames[r.frames.size() / 2];
            EXPECT_NEAR(power_to_db(mid[k]), -13.0103, 0.1) << fs << " Hz, band " << fc;
            if (k >= 2) {
                EXPECT_LT(power_to_db(mid[k - 2]), -13.0 - 40.0) << fs << " Hz, band " << fc;
            }
            if (k + 2 < e.bands().size()) {
                EXPECT_LT(power_to_db(mid[k + 2]), -13.0 - 40.0) << fs << " Hz, band " << fc;
            }
        }
    }
}

TEST(BandEnergy, HighFrequenciesDoNotFoldIntoTheLowBands) {
    // The low bands come from a decimated stream: tones that would alias below 2.3 kHz (10 and
    // 19 kHz fold to 1025 and 2 kHz at 44.1 kHz / 4) must not show there.
    BandEnergy e(44100, 2);
    for (double hz : {10000.0, 19000.0}) {
        e.reset();
        const Series r = run(e, test::sine(hz, 0.0, 1.0, 44100, 2));
        const auto& mid = r.frames[r.frames.size() / 2];
        for (std::size_t k = 0; e.bands()[k].hi_hz <= 2300.0; ++k)
            EXPECT_LT(power_to_db(mid[k]), -3.0 - 80.0) << hz << " Hz in band " << e.bands()[k].lo_hz;
    }
}

TEST(BandEnergy, LowAndHighBandsSeeTheSameStretchOfTime) {
    // A 100 ms burst read through frame i's window: the energy share of the burst under the
    // window's square, sum over the burst of w^2 / sum of w^2 (frame i's Hann window of 8192
    // starts (8192 - 2205) / 2 frames before hop i). A 1 kHz burst (decimated long transform) and a
    // 5 kHz burst (short transforms) must both follow it. (Bands a few bins wide lose a clipped
    // burst's spread spectrum at the skirts, hence third octaves hundreds of Hz wide here.)
    const int fs = 44100;
    const std::int64_t hop = 2205, n = 8192, pre = (n - hop) / 2, b0 = 44100, b1 = 44100 + 4410;
    double sum_w2 = 0.0;
    std::vector<double> w2(n);
    for (std::int64_t t = 0; t < n; ++t) {
        const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(t) / static_cast<double>(n));
        w2[static_cast<std::size_t>(t)] = w * w;
        sum_w2 += w * w;
    }
    for (double hz : {1000.0, 5000.0}) {
        BandEnergy e(fs, 2);
        Signal s = test::silence(2.0, fs, 2);
        test::mix_into(s, test::sine(hz, -10.0, 0.1, fs, 2), 1.0);
        const Series r = run(e, s);
        const std::size_t k = band_of(e, hz);
        for (std::int64_t i = 14; i <= 28; ++i) {
            double share = 0.0;
            for (std::int64_t t = std::max(b0, i * hop - pre); t < std::min(b1, i * hop - pre + n); ++t)
                share += w2[static_cast<std::size_t>(t - (i * hop - pre))];
            share /= sum_w2;
            if (share < 0.01) continue;  // -20 dB: the skirts, where leakage of the burst's edges adds
            EXPECT_NEAR(power_to_db(r.frames[static_cast<std::size_t>(i)][k]), -13.0103 + power_to_db(share), 0.5)
                << hz << " Hz, frame " << i;
        }
    }
}

TEST(BandEnergy, DigitalSilenceIsSkippedExactly) {
    // Frames, decimated pairs and short transforms that read only digital zeros are set to zero
    // without computing them. The reference is the same stream with the zeros replaced by noise at
    // -240 dBFS (power 1e-24: nothing is skipped, and it adds nothing measurable); every frame
    // must agree, so a skip that missed sound shows as 0 where the reference has the sound.
    // The stream: pink noise, then single-sample clicks 9001 samples apart (more than a window
    // and the decimator reach, so each click is the last sound when its neighbourhood is
    // measured). 9001 is prime to the hop (2205, 2400), the short-transform grid (1024) and the
    // decimation factor (4), so the clicks land at every offset of each grid: among them the
    // first and last positions a window, a decimator tap and a short transform read. Generated
    // block by block (20 M frames).
    for (int fs : {44100, 48000}) {
        const std::int64_t hop = std::llround(0.05 * fs), spacing = 9001, first_click = fs;
        const std::int64_t clicks = std::max<std::int64_t>(hop, 1024) + 8;
        const std::int64_t total = first_click + clicks * spacing + fs;
        BandEnergy a(fs, 2), b(fs, 2);
        std::vector<std::vector<float>> pending;  // a's frames not yet matched by b's
        std::int64_t frames_checked = 0, silent_frames = 0;
        auto on_a = [&](std::int64_t, std::span<const float> p) { pending.emplace_back(p.begin(), p.end()); };
        auto on_b = [&](std::int64_t i, std::span<const float> p) {
            ASSERT_FALSE(pending.empty()) << "frame " << i;
            const std::vector<float> got = std::move(pending.front());
            pending.erase(pending.begin());
            double total_b = 0.0;
            for (std::size_t k = 0; k < p.size(); ++k) {
                total_b += p[k];
                ASSERT_NEAR(got[k], p[k], 1e-20 + 1e-5 * p[k]) << "frame " << i << " band " << k << " @ " << fs;
            }
            ++frames_checked;
            if (total_b < 1e-20) ++silent_frames;
        };
        const Signal noise = test::pink_noise(-20.0, 0.5, fs);
        std::vector<float> block_a, block_b;
        std::uint32_t rng = 1;
        for (std::int64_t at = 0; at < total; at += 4096) {
            const std::int64_t n = std::min<std::int64_t>(4096, total - at);
            block_a.assign(static_cast<std::size_t>(2 * n), 0.0f);
            for (std::int64_t f = 0; f < n; ++f) {
                const std::int64_t pos = at + f;
                const auto i = static_cast<std::size_t>(2 * f);
                if (pos < static_cast<std::int64_t>(noise.frames())) {
                    block_a[i] = noise.samples[static_cast<std::size_t>(2 * pos)];
                    block_a[i + 1] = noise.samples[static_cast<std::size_t>(2 * pos + 1)];
                } else if (pos >= first_click && (pos - first_click) % spacing == 0) {
                    block_a[i] = 0.5f;
                    block_a[i + 1] = -0.25f;
                }
            }
            block_b = block_a;
            for (float& v : block_b)
                if (v == 0.0f) {
                    rng = rng * 1664525u + 1013904223u;  // any sign pattern will do
                    v = (rng >> 31) ? 1e-12f : -1e-12f;
                }
            a.push(audio::Block{block_a, 2}, on_a);
            b.push(audio::Block{block_b, 2}, on_b);
            if (HasFatalFailure()) return;
        }
        a.flush(on_a);
        b.flush(on_b);
        EXPECT_TRUE(pending.empty());
        EXPECT_EQ(frames_checked, (total + hop - 1) / hop) << fs;
        // Whole frames are silent in the ~800 samples between one click leaving a window and the
        // next entering it (short transforms and decimated pairs are skipped far more often).
        EXPECT_GT(silent_frames, frames_checked / 20) << fs;
        EXPECT_LT(silent_frames, frames_checked / 2) << fs;
    }
}

}  // namespace
}  // namespace mixscout::dsp
