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
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "master/master.hpp"
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
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) r.output += buf.data();
    const int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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
    std::vector<fftwf_complex> out(n / 2 + 1);
    fftwf_plan plan = fftwf_plan_dft_r2c_1d(n, in.data(), out.data(), FFTW_ESTIMATE);
    for (int i = 0; i < n; ++i) win[i] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / n);
    std::vector<double> lr(n / 2 + 1, 0.0), mid(n / 2 + 1, 0.0), side(n / 2 + 1, 0.0);
    auto accumulate = [&](std::size_t start, int which, std::vector<double>& acc) {
        for (int i = 0; i < n; ++i) {
            const double l = s.samples[2 * (start + i)], r = s.samples[2 * (start + i) + 1];
            const double x = which == 0 ? l : which == 1 ? r : which == 2 ? 0.5 * (l + r) : 0.5 * (l - r);
            in[i] = static_cast<float>(x * win[i]);
        }
        fftwf_execute(plan);
        for (int k = 0; k <= n / 2; ++k) acc[k] += static_cast<double>(out[k][0]) * out[k][0] + static_cast<double>(out[k][1]) * out[k][1];
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

// ---- the quality targets ------------------------------------------------------------------------

TEST_F(MasterTest, MatchesLoudnessBalanceAndWidthUnderTheCeiling) {
    std::vector<double> percents;
    const master::MasterReport rep = master::master_file(dir / "mix.wav", {dir / "ref.wav"}, dir / "out.wav", {},
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
    master::MasterOptions o;
    o.target_lufs = -16.0;
    o.ceiling_dbtp = -2.0;
    o.bits = 16;
    master::master_file(dir / "mix.wav", {dir / "ref.wav"}, dir / "out16.wav", o);
    const Ebur128 out = ffmpeg_ebur128(dir / "out16.wav");
    EXPECT_NEAR(out.integrated_lufs, -16.0, 0.5);
    EXPECT_LE(out.true_peak_dbtp, -2.0 + 0.1);
    SF_INFO info{};
    SNDFILE* f = sf_open((dir / "out16.wav").c_str(), SFM_READ, &info);
    ASSERT_NE(f, nullptr);
    sf_close(f);
    EXPECT_EQ(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    EXPECT_EQ(info.channels, 2);
}

TEST_F(MasterTest, LoudnessOnlyKeepsTheBalance) {
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
    // Two references that straddle the first one in level: the target is their mean loudness.
    Signal quiet = reference;
    apply_gain_db(quiet, -4.0);
    write_audio(dir / "ref_quiet.wav", quiet);
    master::master_file(dir / "mix.wav", {dir / "ref.wav", dir / "ref_quiet.wav"}, dir / "avg.wav");
    const double a = ffmpeg_ebur128(dir / "ref.wav").integrated_lufs;
    const double b = ffmpeg_ebur128(dir / "ref_quiet.wav").integrated_lufs;
    EXPECT_NEAR(ffmpeg_ebur128(dir / "avg.wav").integrated_lufs, 0.5 * (a + b), 0.5);
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
    const CmdResult r = run(std::string(MIXSCOUT_BIN) + " master '" + (dir / "mix.wav").string() + "' --reference '" +
                      (dir / "ref.wav").string() + "' -o '" + (dir / "cli.wav").string() +
                      "' --ceiling-dbtp -1.5 --amount 50 --match loudness,eq --json -q");
    ASSERT_EQ(r.status, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    EXPECT_DOUBLE_EQ(j["peak"]["ceiling_dbtp"].get<double>(), -1.5);
    EXPECT_EQ(j["eq"]["bands"].size(), 10u);
    EXPECT_NEAR(j["width"]["change_db"].get<double>(), 0.0, 0.05);  // width not matched: side follows mid
    const Ebur128 out = ffmpeg_ebur128(dir / "cli.wav");
    EXPECT_NEAR(j["loudness"]["output_lufs"].get<double>(), out.integrated_lufs, 0.2);
    EXPECT_LE(out.true_peak_dbtp, -1.5 + 0.1);
}

TEST_F(MasterTest, CliBadInputIsOneLineAndExitTwo) {
    write_audio(dir / "mono.wav", pink_noise(-20.0, 10.0, 48000, 1, 5));
    const CmdResult r = run(std::string(MIXSCOUT_BIN) + " master '" + (dir / "mono.wav").string() + "' -r '" +
                      (dir / "ref.wav").string() + "' -o '" + (dir / "x.wav").string() + "' -q");
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_NE(r.output.find("mono"), std::string::npos);
    const CmdResult m = run(std::string(MIXSCOUT_BIN) + " master '" + (dir / "mix.wav").string() + "' -r '" +
                      (dir / "ref.wav").string() + "' -o '" + (dir / "x.wav").string() + "' --match loudness,colour -q");
    EXPECT_EQ(m.status, 2);
    EXPECT_NE(m.output.find("colour"), std::string::npos);
}

}  // namespace
}  // namespace mixscout::test
