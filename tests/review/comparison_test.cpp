// Comparisons of constructed before/after pairs with known differences; focus; stop signal.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "history/fixtures.hpp"
#include "review/comparison.hpp"
#include "support/text.hpp"

using namespace mixscout;
using review::Verdict;
using rules::Severity;
using test::make_analysis;
using test::make_issue;

namespace {
using test::contains;
}  // namespace

TEST(Comparison, ClippingFixedSaysEventsBeforeAndAfter) {
    auto before = make_analysis();
    before.clipping.count = 3;
    auto after = make_analysis();
    after.clipping.count = 0;
    const std::vector<rules::Issue> b = {make_issue("clipping", Severity::critical, 3, 0, "events", "Clipping")};
    const auto c = review::compare(before, b, after, {}, 2);
    ASSERT_EQ(c.improved.size(), 1u);
    EXPECT_EQ(c.improved[0].text, "Clipping fixed: 3 events -> 0");
    EXPECT_EQ(c.improved[0].before, Severity::critical);
    EXPECT_FALSE(c.improved[0].after.has_value());
    EXPECT_EQ(c.improved[0].after_value, 0.0);
    EXPECT_TRUE(c.remaining.empty());
    EXPECT_TRUE(c.new_.empty());
    // One critical fixed = +6 points >= 3: significant.
    EXPECT_DOUBLE_EQ(c.score, 6.0);
    EXPECT_EQ(c.verdict, Verdict::significant_improvement);
}

TEST(Comparison, BandPhaseAndSaturationFixedSayWhereTheMeasurementWent) {
    // phase.band's value is the lowest octave correlation; a fixed one reads that same octave in
    // the new export, though another is now the lowest. Saturation's is the half-peak share in %.
    auto before = make_analysis();
    before.stereo.band_correlation[8].correlation = -0.91;  // 5.7-11 kHz
    before.stereo.band_correlation[0].correlation = -0.95;  // 31.5 Hz: not a band the rules judge
    before.dynamics.half_peak_share = 0.31;
    auto after = make_analysis();
    after.stereo.band_correlation[8].correlation = 0.62;
    after.stereo.band_correlation[3].correlation = 0.55;  // now the lowest
    after.dynamics.half_peak_share = 0.04;
    const std::vector<rules::Issue> b = {
        make_issue("phase.band", Severity::important, -0.91, -0.7, "", "Out of phase at 5.7-11 kHz", "phase"),
        make_issue("dynamics.saturated", Severity::important, 31.0, 20.0, "%", "Saturated", "dynamics")};
    const auto c = review::compare(before, b, after, {}, 2);
    ASSERT_EQ(c.improved.size(), 2u);
    std::set<std::string> texts;
    for (const auto& ch : c.improved) texts.insert(ch.text);
    EXPECT_TRUE(texts.count("Out of phase at 5.7-11 kHz fixed: -0.91 -> 0.62")) << *texts.begin();
    EXPECT_TRUE(texts.count("Saturated fixed: 31.0 % -> 4.0 %")) << *texts.rbegin();
}

TEST(Comparison, SeverityDropIsAnImprovementWithNumbers) {
    const auto a = make_analysis();
    const std::vector<rules::Issue> b = {
        make_issue("clash.kick.bass", Severity::important, 10, 6, "dB", "Kick/bass clash 60-100 Hz", "clash")};
    const std::vector<rules::Issue> n = {
        make_issue("clash.kick.bass", Severity::polish, 6.5, 6, "dB", "Kick/bass clash 60-100 Hz", "clash")};
    const auto c = review::compare(a, b, a, n, 3);
    ASSERT_EQ(c.improved.size(), 1u);
    EXPECT_EQ(c.improved[0].text, "Kick/bass clash 60-100 Hz: important -> polish (10.0 dB -> 6.5 dB)");
    EXPECT_DOUBLE_EQ(c.score, 2.0);  // 3 - 1
    EXPECT_EQ(c.verdict, Verdict::slight_improvement);
    // Still an issue (polish): it is not in remaining[], because it improved.
    EXPECT_TRUE(c.remaining.empty());
}

TEST(Comparison, MovementWithoutCrossingAThresholdCounts) {
    const auto a = make_analysis();
    const std::vector<rules::Issue> b = {make_issue("tonal.dark", Severity::important, -6, -2, "dB", "Too dark")};
    const std::vector<rules::Issue> n = {make_issue("tonal.dark", Severity::important, -4, -2, "dB", "Too dark")};
    const auto c = review::compare(a, b, a, n, 3);
    ASSERT_EQ(c.movements.size(), 1u);
    EXPECT_TRUE(contains(c.movements[0].text, "2.0 dB closer")) << c.movements[0].text;
    EXPECT_TRUE(contains(c.movements[0].text, "-6.0 dB -> -4.0 dB")) << c.movements[0].text;
    ASSERT_EQ(c.remaining.size(), 1u);
    EXPECT_TRUE(c.improved.empty());
    // Half the distance closed: 0.5 * 3 * 0.5 = 0.75 -> slight improvement.
    EXPECT_DOUBLE_EQ(c.score, 0.75);
    EXPECT_EQ(c.verdict, Verdict::slight_improvement);
}

TEST(Comparison, SmallWobbleIsNoMovement) {
    const auto a = make_analysis();
    const std::vector<rules::Issue> b = {make_issue("tonal.dark", Severity::important, -6, -2, "dB")};
    const std::vector<rules::Issue> n = {make_issue("tonal.dark", Severity::important, -5.7, -2, "dB")};
    const auto c = review::compare(a, b, a, n, 3);
    EXPECT_TRUE(c.movements.empty());
    EXPECT_EQ(c.score, 0.0);
    EXPECT_EQ(c.verdict, Verdict::no_real_change);
    EXPECT_EQ(c.change_db, 0.0);  // same analysis, same issue list
}

TEST(Comparison, FixThatBreaksSomethingElseIsARegressionAndWorse) {
    const auto a = make_analysis();
    const std::vector<rules::Issue> b = {make_issue("true_peak", Severity::important, 0.5, -1, "dBTP", "True peak over")};
    const std::vector<rules::Issue> n = {make_issue("clipping", Severity::critical, 4, 0, "events", "Clipping")};
    const auto c = review::compare(a, b, a, n, 2);
    ASSERT_EQ(c.improved.size(), 1u);
    ASSERT_EQ(c.new_.size(), 1u);
    ASSERT_EQ(c.regressions.size(), 1u);
    EXPECT_EQ(c.regressions[0].rule, "clipping");
    EXPECT_TRUE(contains(c.regressions[0].text, "while true peak over fixed")) << c.regressions[0].text;
    EXPECT_DOUBLE_EQ(c.score, 3.0 - 6.0);
    EXPECT_EQ(c.verdict, Verdict::worse);
    EXPECT_TRUE(contains(c.summary, "regression")) << c.summary;
}

TEST(Comparison, SeverityIncreaseIsRemainingAndRegression) {
    const auto a = make_analysis();
    const std::vector<rules::Issue> b = {make_issue("dynamics", Severity::polish, 8, 9, "dB"),
                                         make_issue("phase", Severity::important, -0.2, 0, "")};
    const std::vector<rules::Issue> n = {make_issue("dynamics", Severity::important, 6, 9, "dB")};
    const auto c = review::compare(a, b, a, n, 3);
    ASSERT_EQ(c.remaining.size(), 1u);
    EXPECT_TRUE(contains(c.remaining[0].text, "got worse: polish -> important")) << c.remaining[0].text;
    ASSERT_EQ(c.regressions.size(), 1u);
    // +3 (phase fixed) - 2 (polish -> important) = +1: slight.
    EXPECT_DOUBLE_EQ(c.score, 1.0);
    EXPECT_EQ(c.verdict, Verdict::slight_improvement);
}

TEST(Comparison, NewPolishAloneIsNoRealChangeNewImportantIsWorse) {
    const auto a = make_analysis();
    const auto c1 = review::compare(a, {}, a, {make_issue("silence.tail", Severity::polish, 3, 1, "s")}, 3);
    EXPECT_EQ(c1.verdict, Verdict::no_real_change);
    EXPECT_TRUE(c1.regressions.empty());  // nothing else was worked on: it is simply new
    ASSERT_EQ(c1.new_.size(), 1u);
    const auto c2 = review::compare(a, {}, a, {make_issue("stereo.narrow", Severity::important, 0.01, 0.05, "")}, 3);
    EXPECT_EQ(c2.verdict, Verdict::worse);
}

TEST(Comparison, ChangeDbIsTheLargestMeasurementMove) {
    const auto a = make_analysis();
    auto b = a;
    b.spectrum.bands[8].db += 1.5;
    b.loudness.integrated_lufs += 0.4;
    EXPECT_DOUBLE_EQ(review::measurement_change_db(a, b), 1.5);
    const auto c = review::compare(a, {}, b, {}, 2);
    EXPECT_DOUBLE_EQ(c.change_db, 1.5);
    // An issue list that changed counts as at least min_change even when the numbers barely move.
    const auto c2 = review::compare(a, {make_issue("dc_offset", Severity::polish, -50, -60, "dBFS")}, a, {}, 2);
    EXPECT_DOUBLE_EQ(c2.change_db, review::CompareOptions{}.min_change_db);
}

TEST(Comparison, VerdictStringsAreTheProtocolEnum) {
    std::ifstream in(std::string(MIXSCOUT_SOURCE_DIR) + "/protocol/osc.json");
    ASSERT_TRUE(in);
    const auto proto = nlohmann::json::parse(in);
    std::set<std::string> from_protocol;
    for (const auto& m : proto["messages"])
        if (m["address"] == "/mixscout/verdict")
            for (const auto& e : m["args"][0]["enum"]) from_protocol.insert(e.get<std::string>());
    std::set<std::string> ours;
    for (Verdict v : {Verdict::first, Verdict::significant_improvement, Verdict::slight_improvement,
                      Verdict::no_real_change, Verdict::worse}) {
        ours.insert(std::string(review::to_string(v)));
        EXPECT_EQ(review::parse_verdict(review::to_string(v)), v);
    }
    EXPECT_EQ(ours, from_protocol);
}

TEST(Comparison, JsonHasTheDocumentedShape) {
    auto before = make_analysis();
    before.clipping.count = 2;
    const auto c = review::compare(before, {make_issue("clipping", Severity::critical, 2, 0, "events", "Clipping")},
                                    make_analysis(), {make_issue("tonal.dark", Severity::important, -5, -2, "dB")}, 2);
    const auto j = review::to_json(c);
    // +6 (critical fixed) - 3 (important new) = 3: significant, although with a new issue.
    EXPECT_DOUBLE_EQ(j["score"].get<double>(), 3.0);
    EXPECT_EQ(j["verdict"], "significant_improvement");
    for (const char* k : {"improved", "remaining", "new", "regressions", "movements", "next"})
        EXPECT_TRUE(j[k].is_array()) << k;
    EXPECT_EQ(j["improved"][0]["before"], "critical");
    EXPECT_TRUE(j["improved"][0]["after"].is_null());
    EXPECT_EQ(j["new"][0]["rule"], "tonal.dark");
    EXPECT_EQ(j["next"][0]["rule"], "tonal.dark");
    EXPECT_FALSE(j["stop"]["fired"].get<bool>());
}

TEST(StopSignal, NoCriticalOrImportantLeft) {
    const std::vector<rules::Issue> issues = {make_issue("silence.tail", Severity::polish, 3, 1, "s", "Silence at the end"),
                                              make_issue("dc_offset", Severity::polish, -50, -60, "dBFS", "DC offset")};
    const auto s = review::stop_signal(issues, 3, {2.0, 3.0});
    EXPECT_TRUE(s.fired);
    ASSERT_EQ(s.reasons.size(), 1u);
    EXPECT_EQ(s.reasons[0], "No critical or important issue left");
    EXPECT_EQ(s.message.rfind("Ready to master", 0), 0u) << s.message;
    EXPECT_TRUE(contains(s.message, "What remains is polish")) << s.message;
    EXPECT_EQ(s.polish_remaining.size(), 2u);
}

TEST(StopSignal, DoesNotFireWhileImportantIssuesStillMove) {
    const std::vector<rules::Issue> issues = {make_issue("tonal.muddy", Severity::important, 4, 2, "dB")};
    EXPECT_FALSE(review::stop_signal(issues, 3, {2.0, 0.1}).fired);
    EXPECT_FALSE(review::stop_signal(issues, 3, {0.1}).fired);  // only one small change so far
    EXPECT_FALSE(review::stop_signal(issues, 1, {}).fired);
}

TEST(StopSignal, TwoSmallChangesInARow) {
    const std::vector<rules::Issue> issues = {make_issue("tonal.muddy", Severity::important, 4, 2, "dB", "Muddy")};
    const auto s = review::stop_signal(issues, 4, {0.2, 0.3});
    ASSERT_TRUE(s.fired);
    ASSERT_EQ(s.reasons.size(), 1u);
    EXPECT_TRUE(contains(s.reasons[0], "last two iterations changed less than 0.5 dB")) << s.reasons[0];
    // An important issue left is named as such, not listed as polish.
    EXPECT_TRUE(s.polish_remaining.empty());
    ASSERT_EQ(s.important_remaining.size(), 1u);
    EXPECT_EQ(s.important_remaining[0], "Muddy");
    EXPECT_TRUE(contains(s.message, "Still important: Muddy")) << s.message;
    EXPECT_FALSE(contains(s.message, "polish")) << s.message;
}

TEST(StopSignal, MaxIterations) {
    const std::vector<rules::Issue> issues = {make_issue("tonal.muddy", Severity::important, 4, 2, "dB")};
    EXPECT_FALSE(review::stop_signal(issues, 6, {1.0, 1.0}).fired);
    const auto s = review::stop_signal(issues, 7, {1.0, 1.0});
    ASSERT_TRUE(s.fired);
    EXPECT_TRUE(contains(s.reasons[0], "7 iterations reached")) << s.reasons[0];
    review::CompareOptions o;
    o.max_iterations = 10;
    EXPECT_FALSE(review::stop_signal(issues, 7, {1.0, 1.0}, o).fired);
}

// The seed's rule: ears worse while the numbers said better (slight or significant) -> undo or
// halve; every other pairing says nothing. The vote strings are the protocol's /mixscout/ears enum.
TEST(Ears, WorseToTheEarsButBetterInNumbersAdvisesUndoOrHalve) {
    const std::string advice = "ears said #4 was worse, numbers better: undo or halve that change";
    EXPECT_EQ(review::ears_advice(Verdict::significant_improvement, review::Ears::worse, 4), advice);
    EXPECT_EQ(review::ears_advice(Verdict::slight_improvement, review::Ears::worse, 4), advice);
    for (Verdict v : {Verdict::first, Verdict::no_real_change, Verdict::worse})
        EXPECT_EQ(review::ears_advice(v, review::Ears::worse, 4), "") << review::to_string(v);
    for (auto e : {review::Ears::better, review::Ears::same})
        EXPECT_EQ(review::ears_advice(Verdict::significant_improvement, e, 4), "");
    EXPECT_EQ(review::ears_advice(Verdict::significant_improvement, std::nullopt, 4), "");

    // apply_ears: the advice comes first after the verdict words, the rest of the summary stays.
    auto before = make_analysis();
    before.clipping.count = 2;
    auto c = review::compare(before, {make_issue("clipping", Severity::critical, 2, 0, "events", "Clipping")},
                              make_analysis(), {}, 5);
    const std::string plain = c.summary;
    ASSERT_TRUE(plain.starts_with("Significant improvement: ")) << plain;
    review::apply_ears(c, Verdict::slight_improvement, review::Ears::worse, 4);
    EXPECT_EQ(c.ears_advice, advice);
    EXPECT_EQ(c.summary, "Significant improvement: " + advice + "; " + plain.substr(25));
    EXPECT_EQ(review::to_json(c)["ears_advice"], advice);
    EXPECT_TRUE(contains(review::verdict_line(c), "undo or halve")) << review::verdict_line(c);
    auto quiet = review::compare(before, {}, make_analysis(), {}, 5);
    const std::string quiet_summary = quiet.summary;
    review::apply_ears(quiet, Verdict::slight_improvement, review::Ears::same, 4);
    EXPECT_EQ(quiet.summary, quiet_summary);
    EXPECT_EQ(quiet.ears_advice, "");
}

TEST(Ears, VoteStringsAreTheProtocolEnum) {
    std::ifstream in(std::string(MIXSCOUT_SOURCE_DIR) + "/protocol/osc.json");
    ASSERT_TRUE(in);
    const auto proto = nlohmann::json::parse(in);
    std::set<std::string> from_protocol;
    for (const auto& m : proto["messages"])
        if (m["address"] == "/mixscout/ears")
            for (const auto& e : m["args"][0]["enum"]) from_protocol.insert(e.get<std::string>());
    std::set<std::string> ours;
    for (auto e : {review::Ears::better, review::Ears::same, review::Ears::worse}) {
        ours.insert(std::string(review::to_string(e)));
        EXPECT_EQ(review::parse_ears(review::to_string(e)), e);
    }
    EXPECT_EQ(ours, from_protocol);
    EXPECT_EQ(review::parse_ears("Worse"), std::nullopt);
}
