// `mixscout analyze` through the real binary: JSON, summary, every kind of bad input, and memory
// that does not grow with the length of the file. --no-history: tests never touch the user's
// history database.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <algorithm>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "support/cli_run.hpp"
#include "support/signals.hpp"

namespace mixscout {
namespace {

using test::run_cli;

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(AnalyzeCli, JsonIsOneObjectWithEveryKey) {
    test::TempDir dir;
    const auto path = dir / "sine.wav";
    // EBU Tech 3341: a 1 kHz sine at -23 dBFS in both channels reads -23 LUFS; here -20 dBFS -> -20.
    test::Signal s = test::sine(1000.0, -20.0, 10.0, 48000, 2);
    test::insert_clip(s, 4.2, 8, 1);
    test::write_audio(path, s);
    const auto r = run_cli({"analyze", "--json", "--no-history", path.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(count_lines(r.out), 1u);
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out.substr(0, 200);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["path"], path.string());
    EXPECT_EQ(j["format"]["sample_rate"], 48000);
    EXPECT_EQ(j["format"]["channels"], 2);
    EXPECT_EQ(j["format"]["bit_depth"], 24);
    EXPECT_NEAR(j["format"]["duration_s"].get<double>(), 10.0, 1e-9);
    EXPECT_NEAR(j["loudness"]["integrated_lufs"].get<double>(), -20.0, 0.1);
    EXPECT_NEAR(j["peak"]["sample_peak_dbfs"].get<double>(), 0.0, 0.01);  // the inserted clip
    ASSERT_GE(j["clipping"]["count"].get<int>(), 1);
    const auto& e = j["clipping"]["events"][0];
    EXPECT_NEAR(e["time_s"].get<double>(), 4.2, 0.01);
    EXPECT_EQ(e["channel"], 1);
    EXPECT_EQ(e["samples"], 8);
    EXPECT_TRUE(e.contains("duration_s"));
    for (const char* k : {"momentary_max_lufs", "short_term_max_lufs", "lra_lu", "short_term_series"})
        EXPECT_TRUE(j["loudness"].contains(k)) << k;
    for (const char* k : {"crest_db", "plr_db", "psr_db"}) EXPECT_TRUE(j["dynamics"].contains(k)) << k;
    EXPECT_GE(j["spectrum"]["bands"].size(), 10u);
    EXPECT_TRUE(j["spectrum"].contains("tilt_db_per_octave"));
    for (const char* k : {"correlation", "width", "band_correlation", "mono_loss_db", "balance_db"})
        EXPECT_TRUE(j["stereo"].contains(k)) << k;
    EXPECT_TRUE(j.contains("dc_offset"));
    EXPECT_TRUE(j["silence"].contains("leading_s"));
    EXPECT_TRUE(j["silence"].contains("trailing_s"));
}

TEST(AnalyzeCli, SummaryForPeople) {
    test::TempDir dir;
    const auto path = dir / "pink.flac";
    test::write_audio(path, test::pink_noise(-18.0, 5.0, 44100, 2), SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
    const auto r = run_cli({"analyze", "--no-history", path.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find(path.string()), std::string::npos);
    for (const char* word : {"LUFS", "dBTP", "Clipping   none", "correlation", "tilt", "1k", "16-bit stereo FLAC"})
        EXPECT_NE(r.out.find(word), std::string::npos) << word << "\n" << r.out;
    EXPECT_LT(count_lines(r.out), 30u);  // compact (measurements, then the top fixes)
}

TEST(AnalyzeCli, Mp3DecodesQuietly) {
    test::TempDir dir;
    const auto path = dir / "song.mp3";
    test::write_audio(path, test::sine(440.0, -12.0, 3.0, 44100, 2), SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
    const auto r = run_cli({"analyze", "--json", "--no-history", path.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(nlohmann::json::parse(r.out)["format"]["container"], "mp3");
}

struct BadFile {
    std::string name;
    std::string expect;  ///< part of the message
};

void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary);
    f << bytes;
}

TEST(AnalyzeCli, BadInputIsExitTwoWithOneLineAndNoOutput) {
    test::TempDir dir;
    std::vector<BadFile> cases;
    cases.push_back({"missing.wav", "no such file"});
    std::filesystem::create_directory(dir / "folder.wav");
    cases.push_back({"folder.wav", "is a directory"});
    write_bytes(dir / "empty.wav", "");
    cases.push_back({"empty.wav", "empty file"});
    {
        std::mt19937 rng(3);
        std::string junk(8192, '\0');
        for (char& c : junk) c = static_cast<char>(rng());
        write_bytes(dir / "random.wav", junk);
    }
    cases.push_back({"random.wav", "not an audio file"});
    write_bytes(dir / "readme.mp3", "ID3 but not really an mp3 file\n");
    cases.push_back({"readme.mp3", "not an audio file"});
    test::write_audio(dir / "surround.wav", test::sine(440, -12, 0.5, 48000, 6));
    cases.push_back({"surround.wav", "6 channels"});
    const test::Signal noise = test::white_noise(-12.0, 3.0, 48000, 2);
    for (const char* name : {"half.wav", "half.flac", "half.ogg", "half.aiff", "half.mp3"}) {
        const std::string ext = std::filesystem::path(name).extension().string();
        const int fmt = ext == ".wav"    ? SF_FORMAT_WAV | SF_FORMAT_PCM_24
                        : ext == ".flac" ? SF_FORMAT_FLAC | SF_FORMAT_PCM_16
                        : ext == ".ogg"  ? SF_FORMAT_OGG | SF_FORMAT_VORBIS
                        : ext == ".aiff" ? SF_FORMAT_AIFF | SF_FORMAT_PCM_16
                                         : SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
        test::write_audio(dir / name, noise, fmt);
        std::filesystem::resize_file(dir / name, std::filesystem::file_size(dir / name) / 2);
        cases.push_back({name, "truncated"});
    }

    for (const BadFile& c : cases) {
        const auto path = dir / c.name;
        for (const bool json : {true, false}) {
            std::vector<std::string> args = {"analyze", "--no-history", path.string()};
            if (json) args.insert(args.begin() + 1, "--json");
            const auto r = run_cli(args);
            EXPECT_EQ(r.exit_code, 2) << c.name << ": " << r.err;
            EXPECT_EQ(r.out, "") << c.name;
            EXPECT_EQ(count_lines(r.err), 1u) << c.name << ": " << r.err;
            EXPECT_EQ(r.err.rfind("mixscout: " + path.string() + ": ", 0), 0u) << r.err;
            EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.name << ": " << r.err;
        }
    }
}

// Writes `seconds` of 16-bit stereo noise without holding it in memory.
void write_long_noise(const std::filesystem::path& p, double seconds, int rate) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(p.string().c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr);
    std::minstd_rand rng(5);
    std::vector<float> chunk(2 * static_cast<std::size_t>(rate));
    for (int s = 0; s < static_cast<int>(seconds); ++s) {
        for (float& x : chunk) x = static_cast<float>(static_cast<int>(rng() % 20001) - 10000) / 40000.0f;
        sf_writef_float(f, chunk.data(), rate);
    }
    sf_close(f);
}

TEST(AnalyzeCli, MemoryDoesNotGrowWithTheFileLength) {
#ifdef _WIN32
    GTEST_SKIP() << "peak RSS is read with wait4 (POSIX only)";
#endif
    test::TempDir dir;
    write_long_noise(dir / "short.wav", 20.0, 44100);
    write_long_noise(dir / "long.wav", 600.0, 44100);  // 106 MB on disk, 212 MB as floats
    const auto s = run_cli({"analyze", "--json", "--no-history", (dir / "short.wav").string()});
    const auto l = run_cli({"analyze", "--json", "--no-history", (dir / "long.wav").string()}, std::chrono::seconds(240));
    ASSERT_EQ(s.exit_code, 0) << s.err;
    ASSERT_EQ(l.exit_code, 0) << l.err;
    EXPECT_NEAR(nlohmann::json::parse(l.out)["format"]["duration_s"].get<double>(), 600.0, 1e-9);
    // The only growth allowed is the 10 Hz short-term series (24 kB for 10 minutes) and the JSON text.
    EXPECT_LT(l.max_rss_kb - s.max_rss_kb, 6 * 1024) << "short " << s.max_rss_kb << " kB, long " << l.max_rss_kb << " kB";
}

}  // namespace
}  // namespace mixscout

namespace mixscout::test {
namespace {

TEST(TuneCli, WritesAWisdomFileFftwCanRead) {
    namespace fs = std::filesystem;
    TempDir dir;
    const fs::path file = dir / "sub" / "fftw-wisdom";
    const CliResult r = run_cli({"tune", "--file", file.string()}, std::chrono::seconds(120));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(file.string()), std::string::npos) << r.out;
    std::ifstream in(file);
    std::string head;
    std::getline(in, head);
    EXPECT_EQ(head.rfind("(fftw-3", 0), 0u) << head;  // FFTW's own format, e.g. "(fftw-3.3.10 fftwf_wisdom #x..."
    EXPECT_NE(head.find("fftwf_wisdom"), std::string::npos) << head;
    // Somewhere it cannot write (the "folder" is a file): exit 1 and one line saying so.
    std::ofstream(dir / "plain-file") << "x";
    const CliResult bad = run_cli({"tune", "--file", (dir / "plain-file" / "fftw-wisdom").string(), "-q"}, std::chrono::seconds(120));
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("cannot write the FFT wisdom file"), std::string::npos) << bad.err;
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

}  // namespace
}  // namespace mixscout::test
