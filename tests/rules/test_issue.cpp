// Issue: ranking, JSON form, terminal line, times.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "rules/issue.hpp"
#include "rules/rules.hpp"

using mixscout::rules::Issue;
using mixscout::rules::Severity;

namespace {
Issue make(std::string rule, Severity s, double score) {
    return Issue{.rule = std::move(rule), .category = std::string("tonal"), .severity = s, .title = std::string("t"),
                 .fix = std::string("f"), .score = score};
}
}  // namespace

TEST(Issue, RankBySeverityThenScoreThenRule) {
    std::vector<Issue> v{make("b", Severity::polish, 9), make("a", Severity::important, 1), make("c", Severity::critical, 1),
                         make("d", Severity::important, 5), make("e", Severity::important, 5)};
    mixscout::rules::rank(v);
    std::vector<std::string> order;
    for (const auto& i : v) order.push_back(i.rule);
    EXPECT_EQ(order, (std::vector<std::string>{"c", "d", "e", "a", "b"}));
    const auto top = mixscout::rules::top(v);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[2].rule, "e");
    EXPECT_EQ(mixscout::rules::top(v, 10).size(), 5u);
}

namespace {
Issue clash(std::string rule, Severity s, double score) {
    Issue i = make(std::move(rule), s, score);
    i.category = "clash";
    return i;
}

std::vector<std::string> order_of(const std::vector<Issue>& v) {
    std::vector<std::string> order;
    for (const auto& i : v) order.push_back(i.rule);
    return order;
}
}  // namespace

TEST(Issue, ClashesNeverOutrankDamageOfTheSameSeverity) {
    // A critical clash (a user may set stems.clash.max_severity: critical) with a higher score
    // still ranks after critical clipping.
    Issue clip = make("clipping", Severity::critical, 1);
    clip.category = "clipping";
    std::vector<Issue> v{clash("clash.keys.pad", Severity::critical, 50), clip};
    mixscout::rules::rank(v);
    EXPECT_EQ(order_of(v), (std::vector<std::string>{"clipping", "clash.keys.pad"}));
}

TEST(Issue, AtMostTwoClashesInTheTopThreeWhileAnythingElseIsWrong) {
    std::vector<Issue> v{clash("c1", Severity::important, 9), clash("c2", Severity::important, 8), clash("c3", Severity::important, 7),
                         clash("c4", Severity::important, 6), make("tonal.harsh", Severity::polish, 1)};
    mixscout::rules::rank(v);
    EXPECT_EQ(order_of(v), (std::vector<std::string>{"c1", "c2", "tonal.harsh", "c3", "c4"}));
    // Nothing else wrong: the clashes are the work, in their order.
    std::vector<Issue> only{clash("c2", Severity::important, 8), clash("c1", Severity::important, 9), clash("c3", Severity::polish, 7)};
    mixscout::rules::rank(only);
    EXPECT_EQ(order_of(only), (std::vector<std::string>{"c1", "c2", "c3"}));
    // Two clashes in the top three already: untouched.
    std::vector<Issue> two{clash("c1", Severity::important, 9), clash("c2", Severity::important, 8), make("x", Severity::polish, 1)};
    mixscout::rules::rank(two);
    EXPECT_EQ(order_of(two), (std::vector<std::string>{"c1", "c2", "x"}));
}

TEST(Issue, JsonRoundTripAndTop) {
    Issue i = make("clipping", Severity::critical, 2.5);
    i.category = "clipping";
    i.detail = "3 clipped runs";
    i.times_s = {45.2, 83.0};
    i.value = 3;
    i.target = 0;
    i.unit = "events";
    i.target_source = "rules.clipping";
    const auto j = mixscout::rules::to_json(i);
    EXPECT_EQ(j["severity"], "critical");
    EXPECT_EQ(j["target_source"], "rules.clipping");
    EXPECT_EQ(j["times_s"].size(), 2u);
    for (const char* key : {"rule", "category", "severity", "title", "detail", "fix", "times_s", "score"}) EXPECT_TRUE(j.contains(key)) << key;
    const Issue back = mixscout::rules::issue_from_json(j);
    EXPECT_EQ(mixscout::rules::to_json(back), j);

    std::vector<Issue> v{i, make("x", Severity::polish, 1), make("y", Severity::polish, 1), make("z", Severity::polish, 1)};
    const auto all = mixscout::rules::issues_json(v);
    EXPECT_EQ(all["issues"].size(), 4u);
    ASSERT_EQ(all["top"].size(), 3u);
    EXPECT_EQ(all["top"][0], j);
}

TEST(Issue, MalformedJsonIsAnInputError) {
    auto j = mixscout::rules::to_json(make("a", Severity::polish, 1));
    j["severity"] = "urgent";
    EXPECT_THROW(mixscout::rules::issue_from_json(j), mixscout::InputError);
    j.erase("severity");
    EXPECT_THROW(mixscout::rules::issue_from_json(j), mixscout::InputError);
    EXPECT_THROW(mixscout::rules::issue_from_json(nlohmann::json::array()), mixscout::InputError);
    auto k = mixscout::rules::to_json(make("a", Severity::polish, 1));
    k["score"] = "high";
    EXPECT_THROW(mixscout::rules::issue_from_json(k), mixscout::InputError);
}

TEST(Issue, TimesAndTerminalLine) {
    using mixscout::rules::format_time;
    EXPECT_EQ(format_time(0.0), "0:00");
    EXPECT_EQ(format_time(45.9), "0:45");
    EXPECT_EQ(format_time(83.0), "1:23");
    EXPECT_EQ(format_time(154.0), "2:34");
    EXPECT_EQ(format_time(3723.0), "1:02:03");
    Issue i = make("clipping", Severity::critical, 1);
    i.title = "Clipping at 0:45, 1:23, 2:34";
    i.fix = "Utility on the master (first device): Gain -6.0 dB";
    EXPECT_EQ(mixscout::rules::summary_line(i, 1),
              "CRITICAL 1. Clipping at 0:45, 1:23, 2:34 \u2014 Utility on the master (first device): Gain -6.0 dB");
}
