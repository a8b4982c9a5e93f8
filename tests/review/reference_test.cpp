// Reference comparison: constructed mixes whose differences to the references are known.
#include <gtest/gtest.h>

#include <algorithm>

#include "history/fixtures.hpp"
#include "review/reference.hpp"

using namespace mixscout;
using rules::Severity;
using test::make_analysis;

namespace {
const rules::Issue* find(const std::vector<rules::Issue>& v, const std::string& rule) {
    auto it = std::find_if(v.begin(), v.end(), [&](const rules::Issue& i) { return i.rule == rule; });
    return it == v.end() ? nullptr : &*it;
}
}  // namespace

TEST(Reference, NoReferencesNoIssuesAndTargetCurveStands) {
    const auto mix = make_analysis();
    EXPECT_TRUE(review::compare_with_references(mix, {}).empty());
    const std::vector<rules::Issue> issues = {test::make_issue("tonal.dark", Severity::important, -5, -2, "dB")};
    const auto out = review::apply_references(issues, mix, {});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].rule, "tonal.dark");
}

TEST(Reference, IdenticalBalanceGivesNoIssue) {
    const auto mix = make_analysis();
    EXPECT_TRUE(review::compare_with_references(mix, {make_analysis(), make_analysis()}).empty());
}

TEST(Reference, LessAirInNumbersWithAHalfStepShelf) {
    auto mix = make_analysis();
    // Both air octaves (8 and 16 kHz) 4 dB down: the region's power sum is exactly 4 dB down.
    mix.spectrum.bands[8].db -= 4.0;
    mix.spectrum.bands[9].db -= 4.0;
    // Two references that differ from each other by +-1 dB in the air region: the mean is the
    // fixture's curve (per-reference region levels are averaged in dB).
    auto r1 = make_analysis(), r2 = make_analysis();
    for (int b : {8, 9}) {
        r1.spectrum.bands[static_cast<std::size_t>(b)].db += 1.0;
        r2.spectrum.bands[static_cast<std::size_t>(b)].db -= 1.0;
    }
    const auto issues = review::compare_with_references(mix, {r1, r2});
    ASSERT_EQ(issues.size(), 1u);
    const auto& i = issues[0];
    EXPECT_EQ(i.rule, "reference.tonal.air");
    EXPECT_EQ(i.category, "reference");
    EXPECT_EQ(i.severity, Severity::important);  // >= 4 dB
    EXPECT_NEAR(i.value, -4.0, 1e-9);
    EXPECT_EQ(i.unit, "dB");
    EXPECT_EQ(i.title.rfind("4.0 dB less air", 0), 0u) << i.title;
    EXPECT_NE(i.title.find("than your references"), std::string::npos);
    EXPECT_EQ(i.fix.rfind("High shelf +2.0 dB at 10 kHz", 0), 0u) << i.fix;
    EXPECT_NE(i.detail.find("2 references"), std::string::npos) << i.detail;
}

TEST(Reference, SmallDifferencesArePolishAndTinyOnesNothing) {
    auto mix = make_analysis();
    mix.spectrum.bands[4].db += 4.0;  // 500 Hz: low mids (250 + 500) region: +2.2 dB
    mix.spectrum.bands[6].db += 1.0;  // 2 kHz alone: below 2 dB in the mids region
    const auto issues = review::compare_with_references(mix, {make_analysis()});
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].rule, "reference.tonal.low_mids");
    EXPECT_EQ(issues[0].severity, Severity::polish);
    // Expected region difference from the band powers directly.
    const double p_ref = std::pow(10.0, (-8 - 1.2 * 3) / 10) + std::pow(10.0, (-8 - 1.2 * 4) / 10);
    const double p_mix = std::pow(10.0, (-8 - 1.2 * 3) / 10) + std::pow(10.0, (-8 - 1.2 * 4 + 4.0) / 10);
    EXPECT_NEAR(issues[0].value, 10 * std::log10(p_mix / p_ref), 1e-9);
    EXPECT_NE(issues[0].fix.find("350 Hz"), std::string::npos);
    EXPECT_NE(issues[0].fix.find("-1.0 dB"), std::string::npos) << issues[0].fix;  // half of 2.x, rounded
}

TEST(Reference, LowEndPlrAndWidth) {
    auto mix = make_analysis();
    mix.spectrum.bands[0].db += 5.0;
    mix.spectrum.bands[1].db += 5.0;   // everything below 90 Hz +5 dB
    mix.dynamics.plr_db = 13.0;
    mix.stereo.width = 0.15;           // half the references' side/mid energy: -3.0 dB
    auto ref = make_analysis();
    ref.dynamics.plr_db = 7.0;         // a loud master: 6 dB denser
    ref.stereo.width = 0.30;
    const auto issues = review::compare_with_references(mix, {ref});
    const auto* low = find(issues, "reference.low_end");
    ASSERT_NE(low, nullptr);
    EXPECT_NEAR(low->value, 5.0, 1e-9);
    EXPECT_EQ(low->severity, Severity::important);
    EXPECT_NE(low->fix.find("Low shelf -2.5 dB at 80 Hz"), std::string::npos) << low->fix;
    const auto* plr = find(issues, "reference.plr");
    ASSERT_NE(plr, nullptr);
    EXPECT_NEAR(plr->value, 6.0, 1e-9);
    EXPECT_NE(plr->title.find("more dynamic"), std::string::npos);
    const auto* width = find(issues, "reference.width");
    ASSERT_NE(width, nullptr);
    EXPECT_NEAR(width->value, 10 * std::log10(0.5), 1e-9);
    EXPECT_NE(width->title.find("Narrower"), std::string::npos);
    // Half of -3 dB of side/mid power: side amplitude up by 10^(1.5/20) -> Utility Width 119 %.
    EXPECT_NE(width->fix.find("Width 119%"), std::string::npos) << width->fix;
}

TEST(Reference, OverCompressedAgainstReferencesIsImportant) {
    auto mix = make_analysis();
    mix.dynamics.plr_db = 5.0;
    auto ref = make_analysis();
    ref.dynamics.plr_db = 11.5;
    const auto issues = review::compare_with_references(mix, {ref});
    const auto* plr = find(issues, "reference.plr");
    ASSERT_NE(plr, nullptr);
    EXPECT_EQ(plr->severity, Severity::important);
    EXPECT_NE(plr->title.find("6.5 dB more compressed"), std::string::npos) << plr->title;
}

TEST(Reference, ApplyReplacesTheTargetCurve) {
    auto mix = make_analysis();
    mix.spectrum.bands[8].db -= 3.0;
    mix.spectrum.bands[9].db -= 3.0;
    const std::vector<rules::Issue> issues = {
        test::make_issue("tonal.dark", Severity::important, -5, -2, "dB", "Too dark", "tonal"),
        test::make_issue("clipping", Severity::critical, 3, 0, "events", "Clipping", "clipping")};
    const auto out = review::apply_references(issues, mix, {make_analysis()});
    EXPECT_EQ(find(out, "tonal.dark"), nullptr);
    ASSERT_NE(find(out, "clipping"), nullptr);
    ASSERT_NE(find(out, "reference.tonal.air"), nullptr);
    EXPECT_EQ(out[0].rule, "clipping");  // ranked
}
