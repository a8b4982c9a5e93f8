// The history subcommands of the real `mixscout` binary, on real audio files and real database
// files in temp folders: analyze -> history -> note -> compare -> reference, and the store
// failing (locked, corrupt) while the analysis is still printed.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <cmath>
#include <random>

#include "support/process.hpp"
#include "support/signals.hpp"
#include "support/text.hpp"

using namespace mixscout;
using test::TempDir;

namespace {

using Run = test::MixscoutRun;
Run run(const std::vector<std::string>& args) { return test::run_mixscout(args); }
nlohmann::json json_of(const Run& r) { return test::stdout_json(r); }

/// A 3 s stereo mix: pink noise at -20 dBFS RMS, optionally with `clips` full-scale runs.
std::filesystem::path make_mix(const std::filesystem::path& path, int clips, double gain_db = 0.0) {
    auto s = test::pink_noise(-20.0, 3.0);
    test::apply_gain_db(s, gain_db);
    for (int i = 0; i < clips; ++i) test::insert_clip(s, 0.5 + 0.8 * i, 20, 0);
    test::write_audio(path, s);
    return path;
}

using test::contains;

nlohmann::json find_rule(const nlohmann::json& list, const std::string& rule) {
    for (const auto& c : list)
        if (c["rule"] == rule) return c;
    return {};
}

}  // namespace

TEST(HistoryCli, CompareTwoFilesStoresNothing) {
    TempDir dir;
    const auto v1 = make_mix(dir / "Song_v1.wav", 3);
    const auto v2 = make_mix(dir / "Song_v2.wav", 0);
    const auto r = run({"compare", v2.string(), "--against", v1.string(), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = json_of(r);
    const auto& c = j["comparison"];
    const auto clip = find_rule(c["improved"], "clipping");
    ASSERT_FALSE(clip.is_null()) << c.dump(2);
    EXPECT_EQ(clip["before_value"], 3.0);  // three runs were inserted
    EXPECT_EQ(clip["after_value"], 0.0);
    EXPECT_TRUE(contains(clip["text"].get<std::string>(), "fixed: 3 events -> 0")) << clip["text"];
    EXPECT_EQ(c["verdict"], "significant_improvement");  // a critical issue fixed
    EXPECT_TRUE(find_rule(c["new"], "clipping").is_null());
    // Nothing was written next to the files or in a data folder.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 2);

    // The other way round is worse: clipping appears.
    const auto back = json_of(run({"compare", v1.string(), "--against", v2.string(), "--json"}));
    EXPECT_EQ(back["comparison"]["verdict"], "worse");
    EXPECT_FALSE(find_rule(back["comparison"]["new"], "clipping").is_null());

    const auto text = run({"compare", v2.string(), "--against", v1.string()});
    EXPECT_EQ(text.code, 0);
    EXPECT_TRUE(contains(text.out, "Verdict: significant improvement")) << text.out;
}

TEST(HistoryCli, CompareBadFileIsOneLineExit2) {
    TempDir dir;
    const auto v1 = make_mix(dir / "a.wav", 0);
    std::ofstream(dir / "broken.wav") << "RIFF not really";
    const auto r = run({"compare", (dir / "broken.wav").string(), "--against", v1.string()});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.err, "broken.wav")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(HistoryCli, ReferencesAddAndList) {
    TempDir dir;
    const auto data = (dir / "data").string();
    const auto ref = make_mix(dir / "ref.wav", 0, 6.0);
    auto r = run({"reference", "add", ref.string(), "--song", "Night Drive", "--data-dir", data});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "Night Drive")) << r.out;
    r = run({"reference", "list", "--json", "--data-dir", data});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = json_of(r);
    ASSERT_EQ(j["references"].size(), 1u);
    EXPECT_EQ(j["references"][0]["song"], "Night Drive");
    EXPECT_EQ(j["references"][0]["path"], ref.string());
    // Pink noise at -20 dBFS RMS + 6 dB: its loudness is well above -20 LUFS and below -6.
    const double lufs = j["references"][0]["integrated_lufs"].get<double>();
    EXPECT_GT(lufs, -20.0);
    EXPECT_LT(lufs, -6.0);
    EXPECT_EQ(run({"reference", "add", (dir / "missing.wav").string(), "--data-dir", data}).code, 2);
}

TEST(HistoryCli, NoteAndHistoryNeedAnExport) {
    TempDir dir;
    const auto data = (dir / "data").string();
    const auto r = run({"note", "first idea", "--data-dir", data});
    EXPECT_EQ(r.code, 2);  // bad input (commands.hpp: the exit-code policy)
    EXPECT_TRUE(contains(r.err, "no export yet")) << r.err;
    const auto h = run({"history", "Nothing", "--data-dir", data});
    EXPECT_EQ(h.code, 2);
    EXPECT_TRUE(contains(h.err, "no song 'Nothing'")) << h.err;
}

TEST(HistoryCli, CorruptDatabaseIsOneClearLine) {
    TempDir dir;
    std::filesystem::create_directories(dir / "data");
    std::string garbage(8192, '\0');
    std::mt19937 rng(3);
    for (auto& c : garbage) c = static_cast<char>(rng());
    std::ofstream(dir / "data" / "history.sqlite", std::ios::binary) << garbage;
    const auto r = run({"history", "--data-dir", (dir / "data").string()});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.err, "not a database")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

namespace {

std::string one_line_count_msg(const std::string& err) {
    return std::to_string(std::count(err.begin(), err.end(), '\n')) + " lines: " + err;
}

/// A raw connection holding the write lock on a database until destroyed.
struct LockHolder {
    sqlite3* db = nullptr;
    explicit LockHolder(const std::filesystem::path& file) {
        sqlite3_open(file.string().c_str(), &db);
        sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
    }
    ~LockHolder() {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }
};

}  // namespace

TEST(HistoryCli, AnalyzeStoresIterationsComparesAndTakesNotes) {
    TempDir dir;
    const auto data = (dir / "data").string();
    const auto v1 = make_mix(dir / "Night Drive_v1.wav", 3);
    const auto v2 = make_mix(dir / "Night Drive_v2.wav", 0);

    auto r1 = run({"analyze", v1.string(), "--json", "--data-dir", data});
    ASSERT_EQ(r1.code, 0) << r1.err;
    EXPECT_EQ(r1.err, "");
    const auto j1 = json_of(r1);
    EXPECT_EQ(j1["history"]["song"], "Night Drive");
    EXPECT_EQ(j1["history"]["iteration"], 1);
    EXPECT_EQ(j1["comparison"]["verdict"], "first");
    EXPECT_EQ(j1["clipping"]["count"], 3);  // the analysis itself is all there

    auto r2 = run({"analyze", v2.string(), "--json", "--data-dir", data});
    ASSERT_EQ(r2.code, 0) << r2.err;
    const auto j2 = json_of(r2);
    EXPECT_EQ(j2["history"]["iteration"], 2);
    EXPECT_EQ(j2["history"]["is_new"], true);
    EXPECT_EQ(j2["comparison"]["verdict"], "significant_improvement");
    EXPECT_EQ(j2["comparison"]["previous_export_id"], j1["history"]["export_id"]);
    const auto clip = find_rule(j2["comparison"]["improved"], "clipping");
    ASSERT_FALSE(clip.is_null()) << j2["comparison"].dump(2);
    EXPECT_EQ(clip["before_value"], 3.0);

    // The same file again: not a new iteration.
    const auto j2b = json_of(run({"analyze", v2.string(), "--json", "--data-dir", data}));
    EXPECT_EQ(j2b["history"]["is_new"], false);
    EXPECT_EQ(j2b["history"]["export_id"], j2["history"]["export_id"]);

    auto n = run({"note", "clip fixed with the limiter off", "--data-dir", data});
    ASSERT_EQ(n.code, 0) << n.err;
    const auto h = run({"history", "night drive", "--json", "--data-dir", data});
    ASSERT_EQ(h.code, 0) << h.err;
    const auto hj = json_of(h);
    ASSERT_EQ(hj["iterations"].size(), 2u);
    EXPECT_EQ(hj["iterations"][0]["verdict"], "first");
    EXPECT_EQ(hj["iterations"][1]["verdict"], "significant_improvement");
    EXPECT_GT(hj["iterations"][0]["counts"]["critical"].get<int>(), hj["iterations"][1]["counts"]["critical"].get<int>());
    EXPECT_EQ(hj["iterations"][1]["notes"][0], "clip fixed with the limiter off");
    EXPECT_EQ(hj["iterations"][1]["export_id"], j2["history"]["export_id"]);

    const auto all = json_of(run({"history", "--json", "--data-dir", data}));
    ASSERT_EQ(all["songs"].size(), 1u);
    const auto text = run({"history", "--data-dir", data});
    EXPECT_TRUE(contains(text.out, "Night Drive: 2 iterations")) << text.out;
    EXPECT_TRUE(contains(text.out, "note: clip fixed")) << text.out;

    // The terminal summary of a third iteration prints the verdict line.
    const auto v3 = make_mix(dir / "Night Drive_v3.wav", 0, -1.0);
    const auto r3 = run({"analyze", v3.string(), "--data-dir", data});
    ASSERT_EQ(r3.code, 0) << r3.err;
    EXPECT_TRUE(contains(r3.out, "Stored: Night Drive, iteration 3")) << r3.out;
    EXPECT_TRUE(contains(r3.out, "Verdict: ")) << r3.out;
}

TEST(HistoryCli, NoHistoryStoresNothing) {
    TempDir dir;
    const auto v1 = make_mix(dir / "a.wav", 0);
    const auto r = run({"analyze", v1.string(), "--json", "--no-history", "--data-dir", (dir / "data").string()});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = json_of(r);
    EXPECT_FALSE(j.contains("history"));
    EXPECT_FALSE(j.contains("comparison"));
    EXPECT_FALSE(std::filesystem::exists(dir / "data"));
}

TEST(HistoryCli, LockedDatabaseAnalysisStillPrintsWithOneWarning) {
    TempDir dir;
    const auto data = dir / "data";
    const auto v1 = make_mix(dir / "Song_v1.wav", 0);
    const auto v2 = make_mix(dir / "Song_v2.wav", 2);
    ASSERT_EQ(run({"analyze", v1.string(), "--json", "--data-dir", data.string()}).code, 0);
    std::ofstream(dir / "fast.yaml") << "history:\n  busy_timeout_ms: 100\n";
    LockHolder lock(data / "history.sqlite");
    const auto r = run({"analyze", v2.string(), "--json", "--data-dir", data.string(), "--config",
                        (dir / "fast.yaml").string()});
    EXPECT_EQ(r.code, 0);
    const auto j = json_of(r);
    EXPECT_EQ(j["clipping"]["count"], 2);
    EXPECT_FALSE(j.contains("history"));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << one_line_count_msg(r.err);
    EXPECT_TRUE(contains(r.err, "warning: history not saved")) << r.err;
    EXPECT_TRUE(contains(r.err, "locked")) << r.err;
}

TEST(HistoryCli, CorruptDatabaseAnalysisStillPrintsWithOneWarning) {
    TempDir dir;
    std::filesystem::create_directories(dir / "data");
    std::string garbage(8192, '\0');
    std::mt19937 rng(5);
    for (auto& c : garbage) c = static_cast<char>(rng());
    std::ofstream(dir / "data" / "history.sqlite", std::ios::binary) << garbage;
    const auto v1 = make_mix(dir / "Song_v1.wav", 1);
    const auto r = run({"analyze", v1.string(), "--data-dir", (dir / "data").string()});
    EXPECT_EQ(r.code, 0);
    EXPECT_TRUE(contains(r.out, "Loudness")) << r.out;  // the summary is printed
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << one_line_count_msg(r.err);
    EXPECT_TRUE(contains(r.err, "not a database")) << r.err;
}

TEST(HistoryCli, ReferencesReplaceTheTargetCurve) {
    TempDir dir;
    const auto data = (dir / "data").string();
    // White noise has far more energy above 5.6 kHz (relative to its loudness) than pink noise.
    const auto ref = dir / "bright_ref.wav";
    test::write_audio(ref, test::white_noise(-20.0, 3.0));
    ASSERT_EQ(run({"reference", "add", ref.string(), "--song", "Dark Song", "--data-dir", data}).code, 0);
    const auto mix = make_mix(dir / "Dark Song_v1.wav", 0);
    const auto r = run({"analyze", mix.string(), "--json", "--data-dir", data});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = json_of(r);
    const auto air = find_rule(j["issues"], "reference.tonal.air");
    ASSERT_FALSE(air.is_null()) << j["issues"].dump(2);
    // The value is the air region (8 and 16 kHz octaves, power-summed) of the mix minus that of
    // the reference, both as `analyze` measures them.
    const auto ref_j = json_of(run({"analyze", ref.string(), "--json", "--no-history"}));
    auto air_db = [](const nlohmann::json& a) {
        double p = 0;
        for (const auto& b : a["spectrum"]["bands"])
            if (std::sqrt(b["lo_hz"].get<double>() * b["hi_hz"].get<double>()) > 5600) p += std::pow(10.0, b["db"].get<double>() / 10);
        return 10 * std::log10(p);
    };
    EXPECT_NEAR(air["value"].get<double>(), air_db(j) - air_db(ref_j), 0.01);
    EXPECT_LT(air["value"].get<double>(), -2.0);  // white noise is brighter than pink
    EXPECT_TRUE(contains(air["title"].get<std::string>(), "less air")) << air["title"];
    for (const auto& i : j["issues"]) EXPECT_NE(i["category"], "tonal") << i.dump();
    // Another song has no references (and none for all songs): the target curve stands.
    const auto other = run({"analyze", make_mix(dir / "Other_v1.wav", 0, -0.5).string(), "--json", "--data-dir", data});
    const auto other_j = json_of(other);  // named: a range-for over a temporary's member dangles
    for (const auto& i : other_j["issues"]) EXPECT_NE(i["category"], "reference") << i.dump();
}

TEST(HistoryCli, RenameRulesFromTheConfig) {
    TempDir dir;
    const auto data = (dir / "data").string();
    std::ofstream(dir / "user.yaml") << "songs:\n  rename:\n    \"^nd[_ ]\": \"Night Drive\"\n";
    const auto check = run({"config", "check", (dir / "user.yaml").string()});
    ASSERT_EQ(check.code, 0) << check.err;
    const auto r = run({"analyze", make_mix(dir / "nd_take7.wav", 0).string(), "--json", "--data-dir", data, "--config",
                        (dir / "user.yaml").string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json_of(r)["history"]["song"], "Night Drive");
    // A broken pattern is a config error for the history commands: one line, exit 2.
    std::ofstream(dir / "bad.yaml") << "songs:\n  rename:\n    \"(oops\": \"X\"\n";
    const auto bad = run({"history", "--data-dir", data, "--config", (dir / "bad.yaml").string()});
    EXPECT_EQ(bad.code, 2);
    EXPECT_TRUE(contains(bad.err, "bad.yaml:3:5: songs.rename.(oops: '(oops' is not a valid regular expression")) << bad.err;
    // `config check` refuses it too (one validation path: start-up, check and hot reload).
    const auto bad_check = run({"config", "check", (dir / "bad.yaml").string()});
    EXPECT_EQ(bad_check.code, 2);
    EXPECT_TRUE(contains(bad_check.err, "not a valid regular expression")) << bad_check.err;
}

// The audit's case: a rename rule that backtracks exponentially under std::regex ("(a|aa)+$" on a
// long run of a's followed by a b took over a minute). RE2 matches in linear time.
TEST(HistoryCli, RenamePatternCannotHangAnalysis) {
    TempDir dir;
    std::ofstream(dir / "user.yaml") << "songs:\n  rename:\n    \"(a|aa)+$\": \"Hang\"\n";
    const std::string name = std::string(60, 'a') + "b.wav";
    const auto r = run({"analyze", make_mix(dir / name, 0).string(), "--json", "--data-dir", (dir / "data").string(),
                        "--config", (dir / "user.yaml").string()});  // run() has a deadline of its own
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json_of(r)["history"]["song"], std::string(60, 'a') + "b");  // no match (it ends in b): the default rule
}
