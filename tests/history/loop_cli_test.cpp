// The iteration loop as musicians run it, through the real binary: checkpoint names, masters,
// the config re-ranking stored exports, focus, like-for-like comparisons, and the CLI's
// exit-code policy. Every file is written as Live writes an export (a finished WAV file).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/signals.hpp"
#include "support/text.hpp"

using namespace mixscout;
using test::TempDir;

namespace loop_cli {

using LoopRun = test::MixscoutRun;
LoopRun ms_run(const std::vector<std::string>& args) { return test::run_mixscout(args); }
nlohmann::json json_out(const LoopRun& r) { return test::stdout_json(r); }

/// A 3 s stereo mix: pink noise at -20 dBFS RMS; `clips` full-scale runs of 20 samples on BOTH
/// channels at 0.5 s, 1.3 s, ... (a known count and known moments).
std::filesystem::path write_mix(const std::filesystem::path& path, int clips, std::uint32_t seed = 2) {
    auto s = test::pink_noise(-20.0, 3.0, 48000, 2, seed);
    for (int i = 0; i < clips; ++i) {
        test::insert_clip(s, 0.5 + 0.8 * i, 20, 0);
        test::insert_clip(s, 0.5 + 0.8 * i, 20, 1);
    }
    test::write_audio(path, s);
    return path;
}

bool has_rule(const nlohmann::json& list, const std::string& rule) {
    for (const auto& i : list)
        if (i["rule"] == rule) return true;
    return false;
}

}  // namespace loop_cli

using namespace loop_cli;
using test::contains;

TEST(LoopCli, CheckpointNamesAreOneSongAndTheMasterIsItsMaster) {
    TempDir dir;
    const auto data = (dir / "data").string();
    // The seed workflow's checkpoint names, clipping fixed at v2.
    const auto v1 = ms_run({"analyze", write_mix(dir / "mix_v1_initial.wav", 3, 1).string(), "--data-dir", data, "--json"});
    ASSERT_EQ(v1.code, 0) << v1.err;
    EXPECT_EQ(json_out(v1)["history"]["song"], "mix");
    const auto v2 = ms_run({"analyze", write_mix(dir / "mix_v2_clipping_fixed.wav", 0, 1).string(), "--data-dir", data, "--json"});
    const auto j2 = json_out(v2);
    EXPECT_EQ(j2["history"]["song"], "mix");
    EXPECT_EQ(j2["history"]["iteration"], 2);
    EXPECT_TRUE(has_rule(j2["comparison"]["improved"], "clipping")) << j2["comparison"].dump();
    EXPECT_EQ(j2["comparison"]["verdict"], "significant_improvement");
    ms_run({"analyze", write_mix(dir / "mix_v3_lowend_clear.wav", 0, 3).string(), "--data-dir", data});
    // A master of the song: stored as its master 1, not mix iteration 4, compared with nothing.
    const auto m = ms_run({"analyze", write_mix(dir / "mix v3 (mastered).wav", 0, 4).string(), "--data-dir", data, "--json"});
    const auto jm = json_out(m);
    EXPECT_EQ(jm["history"]["song"], "mix");
    EXPECT_EQ(jm["history"]["iteration"], 1);
    EXPECT_EQ(jm["comparison"]["verdict"], "first");
    const auto h = ms_run({"history", "mix", "--data-dir", data, "--json"});
    ASSERT_EQ(h.code, 0) << h.err;
    const auto items = json_out(h)["iterations"];
    ASSERT_EQ(items.size(), 4u);
    EXPECT_EQ(items[2]["version"], 3);
    EXPECT_EQ(items[3]["role"], "master");
    const auto text = ms_run({"history", "mix", "--data-dir", data});
    EXPECT_TRUE(contains(text.out, "mix: 3 iterations, 1 master")) << text.out;
}

TEST(LoopCli, ChangingTheConfigReRanksAStoredExport) {
    TempDir dir;
    const auto data = (dir / "data").string();
    const auto mix = write_mix(dir / "Tune.wav", 2).string();
    const auto first = json_out(ms_run({"analyze", mix, "--data-dir", data, "--json"}));
    ASSERT_TRUE(has_rule(first["issues"], "clipping"));
    EXPECT_EQ(first["next"][0]["rule"], "clipping");
    // The clipping rule switched off: the same stored export, judged again, has no clipping issue.
    std::ofstream(dir / "my.yaml") << "rules:\n  clipping: {enabled: false}\n";
    const auto r = ms_run({"analyze", mix, "--data-dir", data, "--json", "--config", (dir / "my.yaml").string()});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto again = json_out(r);
    EXPECT_FALSE(again["history"]["is_new"].get<bool>());
    EXPECT_FALSE(has_rule(again["issues"], "clipping")) << again["issues"].dump();
    EXPECT_FALSE(has_rule(again["next"], "clipping"));
    for (const auto& i : first["issues"]) {
        if (i["rule"] == "clipping") {
            EXPECT_EQ(i["value"], 4.0);  // two runs written on each of two channels
        }
    }
}

TEST(LoopCli, FocusTopAllAndClipMoments) {
    TempDir dir;
    const auto mix = write_mix(dir / "Focus Song.wav", 2).string();
    const auto all = json_out(ms_run({"analyze", mix, "--no-history", "--json"}));
    const auto f = json_out(ms_run({"analyze", mix, "--no-history", "--json", "--focus", "clipping"}));
    ASSERT_FALSE(f["next"].empty());
    for (const auto& i : f["next"]) EXPECT_TRUE(i["rule"] == "clipping" || i["rule"] == "true_peak") << i.dump();
    EXPECT_FALSE(f.contains("comparison"));  // --no-history: nothing compared
    // --top N: the first N ranked; --all: every one.
    const auto top = json_out(ms_run({"analyze", mix, "--no-history", "--json", "--top", "5"}));
    EXPECT_EQ(top["top"].size(), std::min<std::size_t>(5, all["issues"].size()));
    const auto text = ms_run({"analyse", mix, "--no-history", "--all"});  // British spelling
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_TRUE(contains(text.out, "All issues, ranked:")) << text.out;
    // Both channels clipped at 0.5 s and 1.3 s: two moments, the channels named once each.
    EXPECT_TRUE(contains(text.out, "0:00.50 (L, R), 0:01.30 (L, R)")) << text.out;
    // An unknown area is a usage error: exit 2, one line.
    const auto bad = ms_run({"analyze", mix, "--focus", "vocals"});
    EXPECT_EQ(bad.code, 2);
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

TEST(LoopCli, ExitCodePolicy) {
    TempDir dir;
    const auto clipped = write_mix(dir / "Clipped.wav", 1).string();
    EXPECT_EQ(ms_run({"analyze", clipped, "--no-history"}).code, 0);  // findings are not failures
    EXPECT_EQ(ms_run({"analyze", clipped, "--no-history", "--fail-on", "critical"}).code, 1);
    const auto clean = write_mix(dir / "Clean.wav", 0).string();
    const auto crit = ms_run({"analyze", clean, "--no-history", "--fail-on", "critical", "--json"});
    bool any_critical = false;
    const auto crit_json = json_out(crit);  // named: a range-for over a temporary's member dangles
    for (const auto& i : crit_json["issues"]) any_critical |= i["severity"] == "critical";
    EXPECT_EQ(crit.code, any_critical ? 1 : 0);
    const auto usage = ms_run({"analyze"});
    EXPECT_EQ(usage.code, 2);
    EXPECT_EQ(std::count(usage.err.begin(), usage.err.end(), '\n'), 1) << usage.err;
    EXPECT_EQ(ms_run({"frobnicate"}).code, 2);
    EXPECT_EQ(ms_run({"analyze", "--help"}).code, 0);
    // stems: clashes found are findings (0), unless --fail-on.
    std::filesystem::create_directories(dir / "stems");
    test::write_audio(dir / "stems" / "Tune 1-Keys.wav", test::pink_noise(-20, 3.0, 48000, 2, 5));
    test::write_audio(dir / "stems" / "Tune 2-Pad.wav", test::pink_noise(-20, 3.0, 48000, 2, 6));
    const auto st = ms_run({"stems", (dir / "stems").string(), "--json"});
    EXPECT_EQ(st.code, 0) << st.err;
}

TEST(LoopCli, CompareIsLikeForLikeWithStems) {
    TempDir dir;
    std::filesystem::create_directories(dir / "stems");
    // Two stems of the same pink noise: they fight across the whole spectrum (a clash).
    test::write_audio(dir / "stems" / "Tune 1-Keys.wav", test::pink_noise(-20, 3.0, 48000, 2, 5));
    test::write_audio(dir / "stems" / "Tune 2-Pad.wav", test::pink_noise(-20, 3.0, 48000, 2, 6));
    const auto v1 = write_mix(dir / "Tune v1.wav", 0, 7).string();
    const auto v2 = write_mix(dir / "Tune v2.wav", 0, 8).string();
    const auto data = (dir / "data").string();
    // v2 exported without stems after v1 with them: no clash counted as fixed.
    const auto r = ms_run({"compare", v2, "--against", v1, "--against-stems", (dir / "stems").string(), "--json",
                             "--data-dir", data});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto c = json_out(r)["comparison"];
    for (const auto& ch : c["improved"]) EXPECT_NE(ch["category"], "clash") << ch.dump();
    ASSERT_EQ(c["not_compared"].size(), 1u) << c.dump();
    EXPECT_TRUE(contains(c["not_compared"][0].get<std::string>(), "no stems"));
    // Both with the same stems: compared, and the same clash is still there (not new, not fixed).
    const auto both = json_out(ms_run({"compare", v2, "--against", v1, "--against-stems", (dir / "stems").string(),
                                         "--stems", (dir / "stems").string(), "--json", "--data-dir", data}))["comparison"];
    EXPECT_TRUE(both["not_compared"].empty());
    bool clash_remaining = false;
    for (const auto& ch : both["remaining"]) clash_remaining |= ch["category"] == "clash";
    EXPECT_TRUE(clash_remaining) << both.dump();
}

// A changed `stems:` config re-judges the stems run stored with an export (schema 5 keeps its
// measurements): `history` shows the clashes at the severity the config in force gives. The
// clash count comes from an independent `mixscout stems` run on the same folder.
TEST(LoopCli, AChangedStemsConfigReJudgesStoredClashes) {
    TempDir dir;
    std::filesystem::create_directories(dir / "stems");
    test::write_audio(dir / "stems" / "Tune 1-Keys.wav", test::pink_noise(-20, 3.0, 48000, 2, 5));
    test::write_audio(dir / "stems" / "Tune 2-Pad.wav", test::pink_noise(-20, 3.0, 48000, 2, 6));
    const auto st = json_out(ms_run({"stems", (dir / "stems").string(), "--json"}));
    int important_clashes = 0, polish_clashes = 0;
    for (const auto& c : st["clashes"]) {
        important_clashes += c["severity"] == "important" ? 1 : 0;
        polish_clashes += c["severity"] == "polish" ? 1 : 0;
    }
    ASSERT_GT(important_clashes, 0) << st.dump();  // else there is nothing for the config to move
    const auto data = (dir / "data").string();
    const auto v1 = ms_run({"analyze", write_mix(dir / "Tune v1.wav", 0, 7).string(), "--stems", (dir / "stems").string(),
                            "--data-dir", data, "--json"});
    ASSERT_EQ(v1.code, 0) << v1.err;
    auto counts = [&](const std::vector<std::string>& extra) {
        std::vector<std::string> args = {"history", "Tune", "--data-dir", data, "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto h = ms_run(args);
        EXPECT_EQ(h.code, 0) << h.err;
        const auto it = json_out(h)["iterations"][0];
        return std::pair{it["counts"]["important"].get<int>(), it["counts"]["polish"].get<int>()};
    };
    const auto [important, polish] = counts({});
    // Clashes capped at polish: the stored run's important clashes are polish now.
    std::ofstream(dir / "cap.yaml") << "stems:\n  clash: {max_severity: polish}\n";
    const auto capped = counts({"--config", (dir / "cap.yaml").string()});
    EXPECT_EQ(capped.first, important - important_clashes);
    EXPECT_EQ(capped.second, polish + important_clashes);
    // A detection threshold: fights must last 600 s in total (the stems are 3 s): no clash at all.
    std::ofstream(dir / "long.yaml") << "stems:\n  clash: {min_overlap_s: 600}\n";
    const auto none = counts({"--config", (dir / "long.yaml").string()});
    EXPECT_EQ(none.first, important - important_clashes);
    EXPECT_EQ(none.second, polish - polish_clashes);
}
