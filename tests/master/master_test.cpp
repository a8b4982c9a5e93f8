// Mastering against a reference, judged by independent tools: ffmpeg's ebur128 filter for
// loudness and true peak, a plain FFTW Welch spectrum (written here, not the EQ's code) for the
// 1/3-octave balance and the stereo width, libsndfile for the written format.
//
// The signals: pink noise in mid and side (side level sets the width) plus two tones, with a
// quiet intro and a loud body. The mix differs from the reference by a known level (-10 dB), a
// tilt (+5 dB low shelf at 200 Hz, -6 dB high shelf at 4 kHz, RBJ biquads) and a narrower image
// (side 14 dB below mid instead of 6 dB).
#include <fftw3.h>
#include <gtest/gtest.h>
#include <sndfile.h>
#ifndef _WIN32
#include <sys/wait.h>
#endif

#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/format.hpp"
#include "master/master.hpp"
#include "support/ebur128_oracle.hpp"
#include "support/process.hpp"
#include "support/signals.hpp"

namespace mixscout::test {
namespace {

namespace fs = std::filesystem;

// ---- signals ------------------------------------------------------------------------------------

struct Biquad {
    double b0, b1, b2, a1, a2, z1 = 0, z2 = 0;
    double run(double x) {
        const double y = b0 * x + z1;
        z1 = b1 * x - a1 * y + z2;
        z2 = b2 * x - a2 * y;
        return y;
    }
};

/// RBJ Audio EQ Cookbook shelf (S = 1).
Biquad shelf(bool high, double f0, double gain_db, double fs) {
    const double A = std::pow(10.0, gain_db / 40.0), w = 2 * std::numbers::pi * f0 / fs;
    const double cw = std::cos(w), alpha = std::sin(w) / 2 * std::sqrt(2.0), sa = 2 * std::sqrt(A) * alpha;
    double b0, b1, b2, a0, a1, a2;
    if (high) {
        b0 = A * ((A + 1) + (A - 1) * cw + sa);
        b1 = -2 * A * ((A - 1) + (A + 1) * cw);
        b2 = A * ((A + 1) + (A - 1) * cw - sa);
        a0 = (A + 1) - (A - 1) * cw + sa;
        a1 = 2 * ((A - 1) - (A + 1) * cw);
        a2 = (A + 1) - (A - 1) * cw - sa;
    } else {
        b0 = A * ((A + 1) - (A - 1) * cw + sa);
        b1 = 2 * A * ((A - 1) - (A + 1) * cw);
        b2 = A * ((A + 1) - (A - 1) * cw - sa);
        a0 = (A + 1) + (A - 1) * cw + sa;
        a1 = -2 * ((A - 1) + (A + 1) * cw);
        a2 = (A + 1) + (A - 1) * cw - sa;
    }
    return {b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0};
}

/// Pink mid + pink side at side_db below it, tones at 110 Hz and 880 Hz, a 4 s intro 10 dB down.
Signal program(double seconds, double side_db, double level_db, std::uint32_t seed) {
    const Signal mid = pink_noise(-20.0, seconds, 48000, 1, seed);
    const Signal side = pink_noise(-20.0 + side_db, seconds, 48000, 1, seed + 100);
    const Signal t1 = sine(110.0, -22.0, seconds, 48000, 1);
    const Signal t2 = sine(880.0, -28.0, seconds, 48000, 1);
    Signal s{48000, 2, std::vector<float>(2 * mid.samples.size())};
    for (std::size_t i = 0; i < mid.samples.size(); ++i) {
        const double env = static_cast<double>(i) < 4.0 * 48000 ? std::pow(10.0, -10.0 / 20.0) : 1.0;
        const double m = (mid.samples[i] + t1.samples[i] + t2.samples[i]) * env;
        const double sd = side.samples[i] * env;
        s.samples[2 * i] = static_cast<float>(m + sd);
        s.samples[2 * i + 1] = static_cast<float>(m - sd);
    }
    apply_gain_db(s, level_db);
    return s;
}

void tilt(Signal& s) {
    for (int c = 0; c < 2; ++c) {
        Biquad lo = shelf(false, 200.0, 5.0, s.sample_rate), hi = shelf(true, 4000.0, -6.0, s.sample_rate);
        for (std::size_t i = 0; i < s.frames(); ++i) {
            float& x = s.samples[2 * i + c];
            x = static_cast<float>(hi.run(lo.run(x)));
        }
    }
}

// ---- independent measurements -------------------------------------------------------------------

struct CmdResult {
    int status = -1;
    std::string output;
};

CmdResult run(const std::string& cmd) {
    CmdResult r;
#ifdef _WIN32
    FILE* p = _popen((cmd + " 2>&1").c_str(), "r");
#else
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
#endif
    if (!p) return r;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) r.output += buf.data();
#ifdef _WIN32
    r.status = _pclose(p);
#else
    const int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
#endif
    return r;
}

struct Ebur128 {
    double integrated_lufs = NAN;
    double true_peak_dbtp = NAN;
};

/// ffmpeg's ebur128 filter, its Summary parsed.
Ebur128 ffmpeg_ebur128(const fs::path& file) {
    const CmdResult r = run("ffmpeg -hide_banner -nostats -i '" + file.string() + "' -af ebur128=peak=true -f null -");
    Ebur128 e;
    const auto at = r.output.rfind("Summary:");
    if (at == std::string::npos) return e;
    const std::string s = r.output.substr(at);
    std::smatch m;
    if (std::regex_search(s, m, std::regex(R"(I:\s+(-?[0-9.]+) LUFS)"))) e.integrated_lufs = std::stod(m[1]);
    if (std::regex_search(s, m, std::regex(R"(Peak:\s+(-?[0-9.]+|-inf) dBFS)"))) e.true_peak_dbtp = std::stod(m[1]);
    return e;
}

struct Spectrum {
    std::vector<double> third_octave_db;  // 31 bands 20 Hz .. 20 kHz, channel-summed power
    double side_to_mid_db = 0.0;           // 100 Hz .. 16 kHz
};

/// Welch spectrum with FFTW (single precision, 16384-point Hann, 50 % overlap) of L, R, mid and side.
Spectrum spectrum(const Signal& s) {
    const int n = 16384;
    std::vector<float> in(n);
    std::vector<double> win(n);
    // std::complex<float>, which FFTW documents as layout-compatible: libc++ cannot hold a
    // std::vector of fftwf_complex (a float[2]).
    std::vector<std::complex<float>> out(n / 2 + 1);
    fftwf_plan plan = fftwf_plan_dft_r2c_1d(n, in.data(), reinterpret_cast<fftwf_complex*>(out.data()), FFTW_ESTIMATE);
    for (int i = 0; i < n; ++i) win[i] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / n);
    std::vector<double> lr(n / 2 + 1, 0.0), mid(n / 2 + 1, 0.0), side(n / 2 + 1, 0.0);
    auto accumulate = [&](std::size_t start, int which, std::vector<double>& acc) {
        for (int i = 0; i < n; ++i) {
            const double l = s.samples[2 * (start + i)], r = s.samples[2 * (start + i) + 1];
            const double x = which == 0 ? l : which == 1 ? r : which == 2 ? 0.5 * (l + r) : 0.5 * (l - r);
            in[i] = static_cast<float>(x * win[i]);
        }
        fftwf_execute(plan);
        for (int k = 0; k <= n / 2; ++k) acc[k] += std::norm(std::complex<double>(out[k]));
    };
    for (std::size_t start = 4 * 48000; start + n <= s.frames(); start += n / 2) {  // the loud body
        accumulate(start, 0, lr);
        accumulate(start, 1, lr);
        accumulate(start, 2, mid);
        accumulate(start, 3, side);
    }
    fftwf_destroy_plan(plan);
    Spectrum sp;
    const double df = 48000.0 / n;
    for (int b = -17; b <= 13; ++b) {
        const double fc = 1000.0 * std::pow(2.0, b / 3.0), lo = fc * std::pow(2.0, -1.0 / 6), hi = fc * std::pow(2.0, 1.0 / 6);
        double p = 0.0;
        for (int k = 1; k <= n / 2; ++k)
            if (k * df >= lo && k * df < hi) p += lr[k];
        sp.third_octave_db.push_back(10.0 * std::log10(p + 1e-30));
    }
    double m = 0.0, sd = 0.0;
    for (int k = 1; k <= n / 2; ++k)
        if (k * df >= 100.0 && k * df < 16000.0) {
            m += mid[k];
            sd += side[k];
        }
    sp.side_to_mid_db = 10.0 * std::log10(sd / m);
    return sp;
}

/// RMS over the bands of the difference of two spectra, each minus its own mean band level
/// (loudness-normalised: only the balance counts).
double balance_distance_db(const Spectrum& a, const Spectrum& b) {
    auto mean = [](const std::vector<double>& v) {
        double s = 0.0;
        for (double x : v) s += x;
        return s / static_cast<double>(v.size());
    };
    const double ma = mean(a.third_octave_db), mb = mean(b.third_octave_db);
    double acc = 0.0;
    for (std::size_t i = 0; i < a.third_octave_db.size(); ++i) {
        const double d = (a.third_octave_db[i] - ma) - (b.third_octave_db[i] - mb);
        acc += d * d;
    }
    return std::sqrt(acc / static_cast<double>(a.third_octave_db.size()));
}

std::int64_t clipped(const Signal& s) {
    std::int64_t n = 0;
    for (float x : s.samples)
        if (std::fabs(x) >= 0.99999f) ++n;
    return n;
}

class MasterTest : public ::testing::Test {
protected:
    void SetUp() override {
        reference = program(14.0, -6.0, 4.0, 11);   // loud (the limiter must work) and wide
        mix = program(14.0, -14.0, -10.0, 21);      // quieter, tilted, narrow
        tilt(mix);
        write_audio(dir / "ref.wav", reference);
        write_audio(dir / "mix.wav", mix);
    }
    TempDir dir;
    Signal reference, mix;
};

/// The matching engine with its guard-rails opened: ±12 dB EQ, any width, any limiting.
master::MasterOptions unguarded() {
    master::MasterOptions o;
    o.max_boost_db = o.max_cut_db = 12.0;
    o.guards.max_limiter_peak_db = 24.0;
    o.guards.max_limiter_mean_db = 12.0;
    o.guards.max_lra_loss_lu = 20.0;
    o.guards.max_side_gain_db = 12.0;
    o.guards.mono_below_hz = 0.0;
    o.guards.max_correlation_drop = 2.0;
    o.guards.max_mono_loss_increase_db = 12.0;
    return o;
}

// ---- the quality targets ------------------------------------------------------------------------

// (Issue 21: the full ±12 dB match and +8 dB of width are now beyond the default guards; this
// test checks the matching engine itself, so it opens them.)
TEST_F(MasterTest, MatchesLoudnessBalanceAndWidthUnderTheCeiling) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");  // the independent loudness meter
    std::vector<double> percents;
    const master::MasterReport rep = master::master_file(dir / "mix.wav", {dir / "ref.wav"}, dir / "out.wav", unguarded(),
                                                         [&](double p, std::string_view) { percents.push_back(p); });
    const Ebur128 ref = ffmpeg_ebur128(dir / "ref.wav");
    const Ebur128 in = ffmpeg_ebur128(dir / "mix.wav");
    const Ebur128 out = ffmpeg_ebur128(dir / "out.wav");
    ASSERT_FALSE(std::isnan(ref.integrated_lufs));
    ASSERT_FALSE(std::isnan(out.integrated_lufs));
    EXPECT_GT(std::fabs(in.integrated_lufs - ref.integrated_lufs), 5.0);  // there was something to match
    EXPECT_NEAR(out.integrated_lufs, ref.integrated_lufs, 0.5);
    EXPECT_LE(out.true_peak_dbtp, -1.0 + 0.1);

    const Signal written = read_audio(dir / "out.wav");
    EXPECT_EQ(written.sample_rate, 48000);
    EXPECT_EQ(written.frames(), mix.frames());
    EXPECT_EQ(clipped(written), 0);

    const Spectrum sr = spectrum(reference), sm = spectrum(mix), so = spectrum(written);
    const double before = balance_distance_db(sm, sr), after = balance_distance_db(so, sr);
    EXPECT_GT(before, 2.0);
    EXPECT_LE(after, 0.3 * before) << "1/3-octave distance " << before << " dB -> " << after << " dB";
    // Width: the side/mid ratio moves from the mix's towards the reference's.
    EXPECT_NEAR(so.side_to_mid_db, sr.side_to_mid_db, 0.3 * std::fabs(sm.side_to_mid_db - sr.side_to_mid_db));

    // The report agrees with the independent meter, and progress was monotonic up to 100.
    EXPECT_NEAR(rep.output_lufs, out.integrated_lufs, 0.2);
    EXPECT_GT(rep.width_change_db, 3.0);
    ASSERT_FALSE(percents.empty());
    EXPECT_TRUE(std::is_sorted(percents.begin(), percents.end()));
    EXPECT_DOUBLE_EQ(percents.back(), 100.0);
}

TEST_F(MasterTest, TargetLoudness16BitAndCeilingOptions) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");  // the independent loudness meter
    master::MasterOptions o;
    o.target_lufs = -16.0;
    o.ceiling_dbtp = -2.0;
    o.bits = 16;
    master::master_file(dir / "mix.wav", {dir / "ref.wav"}, dir / "out16.wav", o);
    const Ebur128 out = ffmpeg_ebur128(dir / "out16.wav");
    EXPECT_NEAR(out.integrated_lufs, -16.0, 0.5);
    EXPECT_LE(out.true_peak_dbtp, -2.0 + 0.1);
    SF_INFO info{};
    SNDFILE* f = sf_open((dir / "out16.wav").string().c_str(), SFM_READ, &info);
    ASSERT_NE(f, nullptr);
    sf_close(f);
    EXPECT_EQ(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    EXPECT_EQ(info.channels, 2);
}

TEST_F(MasterTest, LoudnessOnlyKeepsTheBalance) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");  // the independent loudness meter
    master::MasterOptions o;
    o.match_eq = false;
    o.match_width = false;
    o.target_lufs = -20.0;  // quiet enough that the limiter stays out of it
    master::master_file(dir / "mix.wav", {dir / "ref.wav"}, dir / "loud.wav", o);
    const Signal written = read_audio(dir / "loud.wav");
    const Spectrum sm = spectrum(mix), so = spectrum(written);
    EXPECT_LT(balance_distance_db(so, sm), 0.1);
    EXPECT_NEAR(so.side_to_mid_db, sm.side_to_mid_db, 0.1);
    EXPECT_NEAR(ffmpeg_ebur128(dir / "loud.wav").integrated_lufs, -20.0, 0.5);
}

TEST_F(MasterTest, SeveralReferencesAreAveraged) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");  // the independent loudness meter
    // Two references that straddle the first one in level: the target is their mean loudness.
    Signal quiet = reference;
    apply_gain_db(quiet, -4.0);
    write_audio(dir / "ref_quiet.wav", quiet);
    master::master_file(dir / "mix.wav", {dir / "ref.wav", dir / "ref_quiet.wav"}, dir / "avg.wav");
    const double a = ffmpeg_ebur128(dir / "ref.wav").integrated_lufs;
    const double b = ffmpeg_ebur128(dir / "ref_quiet.wav").integrated_lufs;
    EXPECT_NEAR(ffmpeg_ebur128(dir / "avg.wav").integrated_lufs, 0.5 * (a + b), 0.5);
}

// ---- guard-rails (issue 21) --------------------------------------------------------------------------

/// L/R correlation over the whole signal: sum(LR) / sqrt(sum(L^2) sum(R^2)).
double correlation(const Signal& s) {
    double lr = 0, ll = 0, rr = 0;
    for (std::size_t i = 0; i < s.frames(); ++i) {
        const double l = s.samples[2 * i], r = s.samples[2 * i + 1];
        lr += l * r, ll += l * l, rr += r * r;
    }
    return lr / std::sqrt(ll * rr);
}

/// Loudness lost on the (L+R)/2 fold-down, both measured by libebur128.
double mono_loss_db(const Signal& s) {
    Signal mono = s;
    for (std::size_t i = 0; i < s.frames(); ++i)
        mono.samples[2 * i] = mono.samples[2 * i + 1] = 0.5f * (s.samples[2 * i] + s.samples[2 * i + 1]);
    return ebur128_measure(s).integrated_lufs - ebur128_measure(mono).integrated_lufs;
}

/// A quiet, dynamic pre-master: pink noise and tones whose level walks between sections (8 dB
/// apart, 5 s each) with short loud hits on top every 0.5 s (transients: a high PLR).
Signal dynamic_mix(double seconds) {
    Signal s = program(seconds, -10.0, 0.0, 41);
    const std::size_t hit = 48000 / 2, hit_len = 480;
    for (std::size_t i = 0; i < s.frames(); ++i) {
        const bool quiet = static_cast<int>(static_cast<double>(i) / (5.0 * 48000)) % 2 == 0;
        double g = quiet ? std::pow(10.0, -8.0 / 20.0) : 1.0;
        if (i % hit < hit_len) g *= 4.0;  // +12 dB for 10 ms
        s.samples[2 * i] = static_cast<float>(s.samples[2 * i] * g);
        s.samples[2 * i + 1] = static_cast<float>(s.samples[2 * i + 1] * g);
    }
    apply_gain_db(s, -6.0);
    return s;
}

/// A loud, dense reference: the same kind of programme hard-clipped at -1 dBFS after +10 dB.
Signal loud_reference(double seconds, double side_db = -8.0) {
    Signal s = program(seconds, side_db, 10.0, 51);
    for (float& x : s.samples) x = std::clamp(x, -0.89f, 0.89f);
    return s;
}

TEST_F(MasterTest, QuietDynamicMixAgainstLoudReferenceKeepsEveryGuard) {
    const Signal quiet = dynamic_mix(40.0), loud = loud_reference(40.0);
    write_audio(dir / "dyn.wav", quiet);
    write_audio(dir / "loud.wav", loud);
    const Ebur128Figures in = ebur128_measure(quiet), ref = ebur128_measure(loud);
    ASSERT_GT(ref.integrated_lufs - in.integrated_lufs, 12.0);  // far louder: the guards must bind
    ASSERT_GT(in.lra_lu, 5.0);

    master::MasterOptions o;  // the shipped guards, EQ and width off: output = dynamics(gain * mix)
    o.match_eq = o.match_width = false;
    const master::MasterReport rep = master::master_file(dir / "dyn.wav", {dir / "loud.wav"}, dir / "dyn-out.wav", o);
    const Signal out = read_audio(dir / "dyn-out.wav");
    const Ebur128Figures got = ebur128_measure(out);

    // Stopped short of the reference at the guard this mix is built to hit (8 dB sections: its
    // loudness range), and close to that guard, not anywhere below it: libebur128 measures the
    // range lost. How close depends on the noise sample — the gain is solved against a model that
    // estimates the range from unweighted chunk energies, with a safety margin — so the bounds
    // sit far outside the spread over 16 noise seeds (range lost 1.37..1.75 LU, louder by
    // 2.7..4.1 LU), not at one sample's figure.
    EXPECT_LT(got.integrated_lufs, ref.integrated_lufs - 1.0);
    EXPECT_EQ(rep.loudness_limited_by, "lra_loss");
    EXPECT_GE(in.lra_lu - got.lra_lu, o.guards.max_lra_loss_lu - 1.0) << in.lra_lu << " -> " << got.lra_lu;
    EXPECT_GT(got.integrated_lufs, in.integrated_lufs + 1.5);  // so it was still mastered louder
    ASSERT_FALSE(rep.notes.empty());
    EXPECT_NE(rep.notes.front().find("reference is"), std::string::npos) << rep.notes.front();
    EXPECT_NE(rep.notes.front().find("use --target-lufs to force it"), std::string::npos) << rep.notes.front();
    EXPECT_NE(rep.notes.front().find(fmt("mastered to %.1f LUFS", rep.output_lufs)), std::string::npos) << rep.notes.front();
    EXPECT_NEAR(rep.output_lufs, got.integrated_lufs, 0.2);

    // Loudness range, by libebur128: at most the guard lost (+0.3 LU for meter differences).
    EXPECT_LE(in.lra_lu - got.lra_lu, o.guards.max_lra_loss_lu + 0.3) << in.lra_lu << " -> " << got.lra_lu;
    EXPECT_NEAR(rep.mix_stats.lra_lu, in.lra_lu, 0.3);
    EXPECT_NEAR(rep.output_stats.lra_lu, got.lra_lu, 0.3);

    // Gain reduction, measured independently: with no EQ, every 10 ms of output is the mix times
    // the report's gain times what the dynamics took off; their RMS ratio is that reduction.
    const double g = std::pow(10.0, rep.gain_db / 20.0);
    const std::size_t block = 480;
    double max_gr = 0.0, sum_gr = 0.0;
    int n = 0;
    for (std::size_t b = 0; b + block <= quiet.frames(); b += block) {
        double ein = 0, eout = 0;
        for (std::size_t i = 2 * b; i < 2 * (b + block); ++i) {
            ein += quiet.samples[i] * quiet.samples[i] * g * g;
            eout += static_cast<double>(out.samples[i]) * out.samples[i];
        }
        if (ein < 1e-8) continue;
        const double gr = std::max(0.0, 10.0 * std::log10(ein / eout));
        max_gr = std::max(max_gr, gr);
        sum_gr += gr;
        ++n;
    }
    const double mean_gr = sum_gr / n;
    EXPECT_LE(max_gr, o.guards.max_limiter_peak_db + o.compressor.max_gain_reduction_db + 0.3);
    EXPECT_NEAR(mean_gr, rep.limiter.mean_gain_reduction_db + rep.compressor.mean_gain_reduction_db, 0.3);
    EXPECT_LE(rep.limiter.max_gain_reduction_db, o.guards.max_limiter_peak_db + 0.3);
    EXPECT_LE(rep.limiter.mean_gain_reduction_db, o.guards.max_limiter_mean_db);
    EXPECT_LE(rep.compressor.max_gain_reduction_db, o.compressor.max_gain_reduction_db + 0.01);
    EXPECT_NEAR(static_cast<double>(rep.limiter.series_db.size()), quiet.frames() / 4800.0, 1.0);  // 10 Hz
    EXPECT_NEAR(*std::max_element(rep.limiter.series_db.begin(), rep.limiter.series_db.end()),
                rep.limiter.max_gain_reduction_db, 0.01);
    for (const auto& guard : rep.guards) EXPECT_TRUE(guard.kept) << guard.name << " " << guard.value;
    EXPECT_LE(got.true_peak_dbtp, -1.0 + 0.1);

    // Forced: --target-lufs reaches the reference's loudness and names the guard it broke.
    master::MasterOptions forced = o;
    forced.target_lufs = ref.integrated_lufs;
    const master::MasterReport f = master::master_file(dir / "dyn.wav", {dir / "loud.wav"}, dir / "forced.wav", forced);
    EXPECT_GT(ebur128_measure(read_audio(dir / "forced.wav")).integrated_lufs, got.integrated_lufs + 1.0);
    bool said = false;
    for (const auto& note : f.notes) said = said || note.find("broke a guard") != std::string::npos;
    EXPECT_TRUE(said);
}

TEST_F(MasterTest, WideReferenceDoesNotCostMonoCompatibility) {
    // The reference's side is as loud as its mid (correlation ~0); the mix is narrow (side 12 dB down).
    const Signal wide = program(20.0, 0.0, 0.0, 61), narrow = program(20.0, -12.0, -6.0, 71);
    write_audio(dir / "wide.wav", wide);
    write_audio(dir / "narrow.wav", narrow);
    const double corr_mix = correlation(narrow), loss_mix = mono_loss_db(narrow);
    ASSERT_LT(correlation(wide), 0.2);

    master::MasterOptions o;
    const master::MasterReport rep = master::master_file(dir / "narrow.wav", {dir / "wide.wav"}, dir / "guarded.wav", o);
    const Signal out = read_audio(dir / "guarded.wav");
    EXPECT_GE(correlation(out), corr_mix - o.guards.max_correlation_drop - 0.02);
    EXPECT_LE(mono_loss_db(out), loss_mix + o.guards.max_mono_loss_increase_db + 0.1);
    EXPECT_NEAR(rep.output_stats.correlation, correlation(out), 0.02);
    EXPECT_NEAR(rep.mix_stats.correlation, corr_mix, 0.02);
    // Below 120 Hz the image did not widen: side/mid there (the test's own FFT) within 0.5 dB.
    auto low_side_to_mid = [](const Signal& s) {
        const int nfft = 16384;
        std::vector<float> in(nfft);
        std::vector<std::complex<float>> spec(nfft / 2 + 1);  // not fftwf_complex: see spectrum()
        fftwf_plan plan = fftwf_plan_dft_r2c_1d(nfft, in.data(), reinterpret_cast<fftwf_complex*>(spec.data()), FFTW_ESTIMATE);
        double m = 0, sd = 0;
        for (std::size_t start = 4 * 48000; start + nfft <= s.frames(); start += nfft)
            for (int which = 0; which < 2; ++which) {
                for (int i = 0; i < nfft; ++i) {
                    const double l = s.samples[2 * (start + i)], r = s.samples[2 * (start + i) + 1];
                    in[i] = static_cast<float>((which == 0 ? 0.5 * (l + r) : 0.5 * (l - r)) *
                                               (0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / nfft)));
                }
                fftwf_execute(plan);
                for (int k = 1; k * 48000.0 / nfft < 120.0; ++k)
                    (which == 0 ? m : sd) += std::norm(std::complex<double>(spec[k]));
            }
        fftwf_destroy_plan(plan);
        return 10.0 * std::log10(sd / m);
    };
    EXPECT_LE(low_side_to_mid(out), low_side_to_mid(narrow) + 0.5);
    for (const auto& guard : rep.guards) EXPECT_TRUE(guard.kept) << guard.name << " " << guard.value;

    // The control: with the stereo guards opened the same match does cost mono compatibility,
    // so the checks above can fail.
    master::master_file(dir / "narrow.wav", {dir / "wide.wav"}, dir / "open.wav", unguarded());
    const Signal open = read_audio(dir / "open.wav");
    EXPECT_LT(correlation(open), corr_mix - o.guards.max_correlation_drop - 0.1);
}

TEST_F(MasterTest, MixCloseToTheReferenceChangesLittle) {
    // Same kind of programme, another take of the noise, 1 dB quieter: nothing much to do.
    const Signal ref = program(20.0, -8.0, -3.0, 81), close = program(20.0, -8.0, -4.0, 91);
    write_audio(dir / "cref.wav", ref);
    write_audio(dir / "close.wav", close);
    master::MasterOptions o;
    o.write_ab = true;
    const master::MasterReport rep = master::master_file(dir / "close.wav", {dir / "cref.wav"}, dir / "cout.wav", o);
    const Signal out = read_audio(dir / "cout.wav");
    const Spectrum sr = spectrum(ref), sm = spectrum(close), so = spectrum(out);
    EXPECT_LT(balance_distance_db(sm, sr), 1.0);
    EXPECT_LT(balance_distance_db(so, sr), balance_distance_db(sm, sr) + 0.3);
    EXPECT_LT(rep.limiter.max_gain_reduction_db, 0.5);
    EXPECT_FALSE(rep.compressor_used);
    for (const auto& b : rep.eq_bands) {
        EXPECT_LT(std::fabs(b.mid_db), 1.0) << b.lo_hz;
        EXPECT_LT(std::fabs(b.side_db), 1.0) << b.lo_hz;
    }
    EXPECT_NEAR(rep.reference_distance_after_db, rep.reference_distance_before_db, 0.5);
    // Sample by sample, the master is the mix at another level: the residual after the best
    // level match is small (closed form: out = g * mix + e, g = <out, mix> / <mix, mix>).
    double om = 0, mm = 0;
    for (std::size_t i = 0; i < out.samples.size(); ++i) om += out.samples[i] * close.samples[i], mm += close.samples[i] * close.samples[i];
    const double g = om / mm;
    double e = 0;
    for (std::size_t i = 0; i < out.samples.size(); ++i) {
        const double d = out.samples[i] - g * close.samples[i];
        e += d * d;
    }
    EXPECT_LT(10.0 * std::log10(e / (g * g * mm)), -20.0);
    EXPECT_NEAR(20.0 * std::log10(g), ebur128_measure(out).integrated_lufs - ebur128_measure(close).integrated_lufs, 0.3);

    // The A/B file: 4 s of mix, 4 s of master, ..., the louder one turned down to the other's
    // loudness: each block is the mix or the master times the reported gain, sample for sample
    // (away from the 10 ms crossfades), and the two sides meter equal by libebur128.
    const Signal ab = read_audio(master::ab_path(dir / "cout.wav"));
    ASSERT_EQ(ab.frames(), close.frames());
    EXPECT_EQ(rep.ab_output, master::ab_path(dir / "cout.wav").string());
    const double gm = std::pow(10.0, rep.ab_mix_gain_db / 20.0), gs = std::pow(10.0, rep.ab_master_gain_db / 20.0);
    double worst = 0.0;
    Signal a_side{48000, 2, {}}, b_side{48000, 2, {}};
    for (std::size_t i = 0; i < ab.frames(); ++i) {
        const std::size_t k = i / (4 * 48000), into = i % (4 * 48000);
        for (int c = 0; c < 2; ++c) {
            const float want = k % 2 == 0 ? static_cast<float>(gm * close.samples[2 * i + c]) : static_cast<float>(gs * out.samples[2 * i + c]);
            if (into >= 480) worst = std::max(worst, static_cast<double>(std::fabs(ab.samples[2 * i + c] - want)));
            (k % 2 == 0 ? a_side : b_side).samples.push_back(ab.samples[2 * i + c]);
        }
    }
    EXPECT_LT(worst, 1e-5);
    // Equal loudness, mix blocks against master blocks (the programme is steady after its intro).
    a_side.samples.erase(a_side.samples.begin(), a_side.samples.begin() + 2 * 4 * 48000);  // the intro
    EXPECT_NEAR(ebur128_measure(a_side).integrated_lufs, ebur128_measure(b_side).integrated_lufs, 0.5);
    EXPECT_NEAR(rep.level_difference_db, ebur128_measure(out).integrated_lufs - ebur128_measure(close).integrated_lufs, 0.2);
}

// ---- bad input ------------------------------------------------------------------------------------

std::string error_of(const fs::path& mix, const std::vector<fs::path>& refs, const fs::path& out) {
    try {
        master::master_file(mix, refs, out);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

TEST_F(MasterTest, MonoShortSilentAndIdenticalInputsAreRefused) {
    write_audio(dir / "mono.wav", pink_noise(-20.0, 10.0, 48000, 1, 5));
    write_audio(dir / "short.wav", pink_noise(-20.0, 2.0, 48000, 2, 6));
    write_audio(dir / "silent.wav", silence(10.0));
    fs::copy_file(dir / "mix.wav", dir / "copy.wav");
    const fs::path out = dir / "o.wav";
    EXPECT_NE(error_of(dir / "mono.wav", {dir / "ref.wav"}, out).find("mono"), std::string::npos);
    EXPECT_NE(error_of(dir / "mix.wav", {dir / "mono.wav"}, out).find("mono"), std::string::npos);
    EXPECT_NE(error_of(dir / "short.wav", {dir / "ref.wav"}, out).find("too short"), std::string::npos);
    EXPECT_NE(error_of(dir / "silent.wav", {dir / "ref.wav"}, out).find("silent"), std::string::npos);
    EXPECT_NE(error_of(dir / "mix.wav", {dir / "silent.wav"}, out).find("silent"), std::string::npos);
    EXPECT_NE(error_of(dir / "mix.wav", {dir / "mix.wav"}, out).find("nothing to match"), std::string::npos);
    EXPECT_NE(error_of(dir / "mix.wav", {dir / "copy.wav"}, out).find("nothing to match"), std::string::npos);
    EXPECT_NE(error_of(dir / "mix.wav", {dir / "ref.wav"}, dir / "mix.wav").find("overwrite"), std::string::npos);
    EXPECT_NE(error_of(dir / "mix.wav", {dir / "ref.wav"}, dir / "no" / "such" / "o.wav").find("folder"), std::string::npos);
    EXPECT_NE(error_of(dir / "missing.wav", {dir / "ref.wav"}, out).find("missing.wav"), std::string::npos);
    EXPECT_FALSE(fs::exists(out));  // nothing half-written
    for (const auto& e : fs::directory_iterator(dir.path()))
        EXPECT_EQ(e.path().filename().string().find(".mixscout-"), std::string::npos) << e.path();
}

// ---- the command line -----------------------------------------------------------------------------

TEST_F(MasterTest, CliWritesTheFileAndAJsonReport) {
    MIXSCOUT_NEEDS_PROGRAM("ffmpeg");  // the independent loudness meter
    const MixscoutRun r = run_mixscout({"master", (dir / "mix.wav").string(), "--reference", (dir / "ref.wav").string(), "-o",
                                        (dir / "cli.wav").string(), "--ceiling-dbtp", "-1.5", "--amount", "50", "--match",
                                        "loudness,eq", "--json", "-q"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_DOUBLE_EQ(j["peak"]["ceiling_dbtp"].get<double>(), -1.5);
    EXPECT_EQ(j["eq"]["bands"].size(), 10u);
    EXPECT_NEAR(j["width"]["change_db"].get<double>(), 0.0, 0.05);  // width not matched: side follows mid
    const Ebur128 out = ffmpeg_ebur128(dir / "cli.wav");
    EXPECT_NEAR(j["loudness"]["output_lufs"].get<double>(), out.integrated_lufs, 0.2);
    EXPECT_LE(out.true_peak_dbtp, -1.5 + 0.1);
    // Issue 21: before/after figures, the gain-reduction series, the guards, the master's own issues.
    // (LRA is checked against libebur128 on the 40 s signal of the guard test: on this 14 s one
    // with a step after 4 s, the two meters' percentiles differ by ~1 LU.)
    const Ebur128Figures after = ebur128_measure(read_audio(dir / "cli.wav"));
    EXPECT_NEAR(j["after"]["plr_db"].get<double>(), after.true_peak_dbtp - after.integrated_lufs, 0.2);
    EXPECT_EQ(j["after"]["third_octave_db"].size(), 31u);
    EXPECT_EQ(j["third_octave_hz"].size(), 31u);
    EXPECT_NEAR(static_cast<double>(j["limiter"]["series_db"].size()), 10.0 * mix.frames() / 48000.0, 1.0);
    EXPECT_DOUBLE_EQ(j["limiter"]["series_hz"].get<double>(), 10.0);
    EXPECT_GE(j["guards"].size(), 9u);
    EXPECT_TRUE(j["reference_distance"].contains("before_db"));
    EXPECT_EQ(j["analysis"]["profile"], "streaming");
    EXPECT_TRUE(j["analysis"]["issues"].is_array());
    EXPECT_TRUE(j["ab"]["file"].is_null());
}

TEST_F(MasterTest, CliBadInputIsOneLineAndExitTwo) {
    write_audio(dir / "mono.wav", pink_noise(-20.0, 10.0, 48000, 1, 5));
    const MixscoutRun r = run_mixscout({"master", (dir / "mono.wav").string(), "-r", (dir / "ref.wav").string(), "-o",
                                        (dir / "x.wav").string(), "-q"});
    const std::string r_output = r.out + r.err;
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(std::count(r_output.begin(), r_output.end(), '\n'), 1) << r_output;
    EXPECT_NE(r_output.find("mono"), std::string::npos);
    const MixscoutRun m = run_mixscout({"master", (dir / "mix.wav").string(), "-r", (dir / "ref.wav").string(), "-o",
                                        (dir / "x.wav").string(), "--match", "loudness,colour", "-q"});
    EXPECT_EQ(m.code, 2);
    EXPECT_NE((m.out + m.err).find("colour"), std::string::npos);
}

}  // namespace
}  // namespace mixscout::test
