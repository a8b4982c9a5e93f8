// The judgement layer: tiers and focus (the next fixes), like-for-like comparison, the stop signal
// with a critical issue left, and checkpoint / master names. Values come from the issue's rules
// (#15: iterations 1-2 critical, 3-4 + important, 5+ polish; like for like) applied by hand.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/config.hpp"
#include "history/fixtures.hpp"
#include "review/export_name.hpp"
#include "review/focus.hpp"
#include "review/review.hpp"
#include "review/tonal_change.hpp"
#include "support/text.hpp"

using namespace mixscout;
using review::Area;
using rules::Severity;
using test::make_issue;

namespace {

std::vector<std::string> rules_of(const std::vector<rules::Issue>& v) {
    std::vector<std::string> out;
    for (const auto& i : v) out.push_back(i.rule);
    return out;
}

using Names = std::vector<std::string>;

}  // namespace

TEST(Tiers, OneTwoCriticalThreeFourImportantFivePolish) {
    const std::vector<rules::Issue> issues = {make_issue("a", Severity::important, 5, 0, "dB"),
                                              make_issue("b", Severity::important, 4, 0, "dB"),
                                              make_issue("c", Severity::critical, 1, 0, "dB"),
                                              make_issue("d", Severity::polish, 9, 0, "dB"),
                                              make_issue("e", Severity::important, 3, 0, "dB")};
    EXPECT_EQ(rules_of(review::next_fixes(issues, 1)), Names({"c"}));
    EXPECT_EQ(rules_of(review::next_fixes(issues, 2)), Names({"c"}));
    EXPECT_EQ(rules_of(review::next_fixes(issues, 3)), Names({"c", "a", "b"}));
    // 5+: polish — the critical issue still comes first (damage is never hidden), important not.
    EXPECT_EQ(rules_of(review::next_fixes(issues, 5)), Names({"c", "d"}));
    // Widening: no critical at iteration 2 -> important; no polish at 6 -> important.
    std::vector<rules::Issue> no_critical = issues;
    no_critical.erase(no_critical.begin() + 2);
    EXPECT_EQ(rules_of(review::next_fixes(no_critical, 2)), Names({"a", "b", "e"}));
    const std::vector<rules::Issue> only_important = {make_issue("a", Severity::important, 5, 0, "dB")};
    EXPECT_EQ(rules_of(review::next_fixes(only_important, 6)), Names({"a"}));
    const std::vector<rules::Issue> only_polish = {make_issue("d", Severity::polish, 5, 0, "dB")};
    EXPECT_EQ(rules_of(review::next_fixes(only_polish, 1)), Names({"d"}));
    EXPECT_EQ(review::tier_level(4), Severity::important);
    EXPECT_EQ(review::tier_level(5), Severity::polish);
}

TEST(Focus, AreasAndNames) {
    const std::vector<rules::Issue> issues = {
        make_issue("clipping", Severity::critical, 3, 0, "events"),
        make_issue("tonal.boomy", Severity::important, 4, 2, "dB"),
        make_issue("stereo.low_end", Severity::important, 0.3, 0.7, ""),
        make_issue("tonal.harsh", Severity::important, 4, 2, "dB"),
        make_issue("clash.kick.bass", Severity::important, 4, 2, "dB", "Kick and Bass clash", "clash"),
        make_issue("dc_offset", Severity::polish, -40, -60, "dBFS")};
    // A low-end session at iteration 1: no critical in the area, so its important issues.
    EXPECT_EQ(rules_of(review::next_fixes(issues, 1, Area::low_end)), Names({"tonal.boomy", "stereo.low_end"}));
    EXPECT_EQ(rules_of(review::next_fixes(issues, 1, Area::clashes)), Names({"clash.kick.bass"}));
    EXPECT_EQ(rules_of(review::next_fixes(issues, 1, Area::clipping)), Names({"clipping"}));
    EXPECT_TRUE(review::next_fixes(issues, 1, Area::dynamics).empty());
    EXPECT_EQ(rules_of(review::next_fixes(issues, 1, Area::all)), Names({"clipping"}));
    EXPECT_EQ(review::parse_area("low-end"), Area::low_end);
    EXPECT_EQ(review::parse_area("all"), Area::all);
    EXPECT_FALSE(review::parse_area("vocals"));
    EXPECT_THROW(review::area_or_throw("vocals", "--focus"), InputError);
}

TEST(Focus, ACriticalIssueSetAsideIsNamedInTheSummary) {
    // A low-end session: the fixes come from the low end only, but a critical clash is damage all
    // the same: the summary (the device's verdict line) names it, and the stop signal waits for it.
    const auto cfg = config::Config::defaults();
    review::Measurements m;
    m.analysis = test::make_analysis("a.wav");
    m.stems = Names{"Kick", "Bass"};
    m.stem_issues = {make_issue("clash.kick.bass", Severity::critical, 9, 2, "dB", "Kick and Bass clash", "clash"),
                     make_issue("clash.kick.keys", Severity::critical, 8, 2, "dB", "Kick and Keys clash", "clash")};
    review::Context ctx{cfg, {}, {}, {}, 1, nullptr, std::nullopt};
    ctx.compare.focus = Area::low_end;
    const auto r = review::review(m, ctx);
    for (const auto& i : r.comparison.next) EXPECT_EQ(review::area_of(i), Area::low_end) << i.rule;
    EXPECT_TRUE(test::contains(r.comparison.summary, "outside the focus, critical: Kick and Bass clash (+1 more)"))
        << r.comparison.summary;
    ctx.compare.focus = Area::clashes;  // in the focus: shown as a fix, nothing said besides
    const auto in = review::review(m, ctx);
    EXPECT_EQ(rules_of(in.comparison.next), Names({"clash.kick.bass", "clash.kick.keys"}));
    EXPECT_FALSE(test::contains(in.comparison.summary, "outside the focus")) << in.comparison.summary;
    EXPECT_TRUE(review::critical_outside(m.stem_issues, Area::all).empty());
}

TEST(StopSignal, NeverWhileACriticalIssueRemains) {
    const std::vector<rules::Issue> issues = {make_issue("clash.kick.bass", Severity::critical, 8, 2, "dB", "Kick and Bass clash"),
                                              make_issue("dc_offset", Severity::polish, -50, -60, "dBFS", "DC offset")};
    // Two tiny changes and the iteration limit: both reasons to stop, but a critical issue is left.
    const auto s = review::stop_signal(issues, 9, {0.1, 0.1});
    EXPECT_FALSE(s.fired);
    EXPECT_TRUE(s.message.empty());
    ASSERT_EQ(s.blocked_by.size(), 1u);
    EXPECT_EQ(s.blocked_by[0], "Kick and Bass clash");
}

TEST(LikeForLike, StemsOnlyWhenBothHadTheSameStems) {
    const auto cfg = config::Config::defaults();
    review::Measurements before, after;
    before.analysis = test::make_analysis("a.wav");
    after.analysis = test::make_analysis("b.wav");
    before.stems = Names{"Kick", "Bass", "Keys", "Pad"};
    before.stem_issues = {make_issue("clash.keys.pad", Severity::important, 6, 2, "dB", "Keys and Pad clash", "clash"),
                          make_issue("clash.kick.bass", Severity::important, 6, 2, "dB", "Kick and Bass clash", "clash")};
    // Exported without stems: nothing about clashes is a fix.
    {
        const review::Context ctx{cfg, {}, {}, {}, 2, &before, std::nullopt};
        const auto r = review::review(after, ctx);
        for (const auto& ch : r.comparison.improved) EXPECT_NE(ch.category, "clash") << ch.text;
        ASSERT_EQ(r.comparison.not_compared.size(), 1u);
        EXPECT_TRUE(test::contains(r.comparison.not_compared[0], "this export has no stems"));
    }
    // The other way round: the clashes are not new.
    {
        const review::Context ctx{cfg, {}, {}, {}, 2, &after, std::nullopt};
        const auto r = review::review(before, ctx);
        EXPECT_TRUE(r.comparison.new_.empty());
        EXPECT_NE(r.comparison.verdict, review::Verdict::worse);
        EXPECT_TRUE(test::contains(r.comparison.not_compared.at(0), "previous export had no stems"));
    }
    // The kick stem muted (gone): the kick/bass clash did not get fixed; the keys/pad one did.
    {
        review::Measurements no_kick = after;
        no_kick.stems = Names{"Bass", "Keys", "Pad"};
        const review::Context ctx{cfg, {}, {}, {}, 2, &before, std::nullopt};
        const auto r = review::review(no_kick, ctx);
        ASSERT_EQ(r.comparison.improved.size(), 1u);
        EXPECT_EQ(r.comparison.improved[0].rule, "clash.keys.pad");
        ASSERT_EQ(r.comparison.not_compared.size(), 1u);
        EXPECT_EQ(r.comparison.not_compared[0], "stem 'Kick' vanished: its clashes are not counted as fixed");
    }
}

TEST(LikeForLike, BothSidesJudgedAgainstTheSameReferences) {
    const auto cfg = config::Config::defaults();
    review::Measurements before, after;
    before.analysis = test::make_analysis("a.wav");
    after.analysis = before.analysis;
    after.analysis.loudness.integrated_lufs -= 0.1;  // the same mix, 0.1 dB quieter
    // A reference 5 dB brighter above 5.6 kHz: both exports get the same reference issue.
    analysis::Analysis ref = before.analysis;
    for (auto& b : ref.spectrum.bands)
        if (b.lo_hz >= 5600) b.db += 5.0;
    const review::Context ctx{cfg, {ref}, {}, {}, 2, &before, std::nullopt};
    const auto r = review::review(after, ctx);
    EXPECT_TRUE(r.comparison.new_.empty());
    EXPECT_TRUE(r.comparison.improved.empty());
    EXPECT_EQ(r.comparison.verdict, review::Verdict::no_real_change);
}

TEST(ExportNames, CheckpointsGroupWithTheirSong) {
    struct Case {
        const char* stem;
        const char* song;
        int version;
    };
    for (const Case& c : {Case{"mix_v1_initial", "mix", 1}, Case{"mix_v2_clipping_fixed", "mix", 2},
                          Case{"mix_v3_lowend_clear", "mix", 3}, Case{"mix_v5_final", "mix", 5},
                          Case{"Song v3 - lowend", "Song", 3}, Case{"Song 2024-05-01 take 3 (wider)", "Song", 3},
                          Case{"Night Drive 2", "Night Drive", 2}}) {
        const auto n = review::classify_stem(c.stem);
        EXPECT_EQ(n.song.display, c.song) << c.stem;
        ASSERT_TRUE(n.version) << c.stem;
        EXPECT_EQ(*n.version, c.version) << c.stem;
        EXPECT_EQ(n.role, review::Role::mix) << c.stem;
    }
    EXPECT_FALSE(review::classify_stem("Song 2024-05-01").version);
    for (const char* m : {"Song master", "Song (mastered)", "Song - Master", "Song v4 master"}) {
        const auto n = review::classify_stem(m);
        EXPECT_EQ(n.role, review::Role::master) << m;
        EXPECT_EQ(n.song.display, "Song") << m;
    }
    EXPECT_EQ(review::classify_stem("Song premaster").role, review::Role::mix);
    EXPECT_TRUE(review::looks_like_stem("/x/My Song 3-Bass.wav"));
    EXPECT_FALSE(review::looks_like_stem("/x/My Song 3-Master.wav"));
}

// A region that moved far in one export (review/tonal_change.hpp): bands built by hand, so the
// change is known exactly.
TEST(TonalChange, ABassShelfSinceTheLastExportIsImportantAGainChangeIsNothing) {
    const config::Config cfg = config::Config::defaults();
    const analysis::Analysis before = test::make_analysis("song_v1.wav");
    // +7 dB on the 63 and 125 Hz bands (a low shelf), everything else as it was.
    analysis::Analysis shelf = before;
    shelf.spectrum.bands[1].db += 7.0;
    shelf.spectrum.bands[2].db += 7.0;
    const auto moved = review::tonal_changes(before, shelf, cfg);
    ASSERT_EQ(moved.size(), 1u);
    EXPECT_EQ(moved[0].rule, "tonal.change.low_end");
    EXPECT_EQ(moved[0].category, "tonal");
    EXPECT_NEAR(moved[0].value, 7.0, 1e-9);
    EXPECT_EQ(moved[0].severity, Severity::important);
    EXPECT_NE(moved[0].fix.find("low shelf at 120 Hz, -3.5 dB"), std::string::npos) << moved[0].fix;
    // The same +7 dB on every band is a gain change: nothing moved against the rest.
    analysis::Analysis louder = before;
    for (auto& b : louder.spectrum.bands) b.db += 7.0;
    EXPECT_TRUE(review::tonal_changes(before, louder, cfg).empty());
    // 3 dB is an ordinary EQ move: below threshold_db (4).
    analysis::Analysis small = before;
    small.spectrum.bands[8].db -= 3.0;
    small.spectrum.bands[9].db -= 3.0;
    EXPECT_TRUE(review::tonal_changes(before, small, cfg).empty());
    // Through review(): with the previous export in the context, the change is one of the issues.
    review::Measurements prev{before, "streaming", std::nullopt, {}}, now{shelf, "streaming", std::nullopt, {}};
    const review::Review r = review::review(now, review::Context{cfg, {}, {}, {}, 2, &prev, std::nullopt});
    EXPECT_TRUE(std::any_of(r.issues.begin(), r.issues.end(), [](const rules::Issue& i) { return i.rule == "tonal.change.low_end"; }));
    // Undoing it is as large a move: reported too, with the fix saying which way it went.
    const auto back = review::tonal_changes(shelf, before, cfg);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_NEAR(back[0].value, -7.0, 1e-9);
    EXPECT_EQ(back[0].severity, Severity::important);
}
