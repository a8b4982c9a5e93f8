// The order of a song's iterations (review/iteration_order.hpp): by version number, else by
// time. Each case is a sequence of exports as they arrive, with the order the rule prescribes
// worked out by hand from the names.
#include <gtest/gtest.h>

#include "review/iteration_order.hpp"

using namespace mixscout;
using review::Arrival;

namespace {

/// ids in iteration order for exports arriving in the order given (id = arrival position).
std::vector<std::int64_t> order_of(const std::vector<std::optional<int>>& versions) {
    std::vector<Arrival> in;
    for (std::size_t k = 0; k < versions.size(); ++k)
        in.push_back(Arrival{static_cast<std::int64_t>(k + 1), static_cast<std::int64_t>(k + 1), versions[k]});
    std::vector<std::int64_t> out;
    for (const auto& a : review::iteration_order(in)) out.push_back(a.id);
    return out;
}

using Ids = std::vector<std::int64_t>;
constexpr std::optional<int> none = std::nullopt;

}  // namespace

TEST(IterationOrder, AnOldCheckpointExportedLateTakesItsPlaceByVersion) {
    // mix_v1, mix_v2, mix_v4, then mix_v3 (a re-export of an older checkpoint): v3 is iteration 3.
    EXPECT_EQ(order_of({1, 2, 4, 3}), (Ids{1, 2, 4, 3}));
    const auto ordered = review::iteration_order({{1, 1, 1}, {2, 2, 2}, {3, 3, 4}, {4, 4, 3}});
    EXPECT_EQ(review::iteration_of(ordered, 4), 3);  // mix_v3
    EXPECT_EQ(review::iteration_of(ordered, 3), 4);  // mix_v4 moves to 4
    EXPECT_EQ(review::iteration_of(ordered, 99), 0);
}

TEST(IterationOrder, NamesWithoutAVersionFollowTime) {
    // "Song.wav" exported four times: arrival order.
    EXPECT_EQ(order_of({none, none, none, none}), (Ids{1, 2, 3, 4}));
    // Song_v2, Song_final, Song_v3, Song_v1: final sits after v2 (the newest checkpoint when it
    // arrived), before v3; v1 arriving last still goes first.
    EXPECT_EQ(order_of({2, none, 3, 1}), (Ids{4, 1, 2, 3}));
    // A versionless first export, then v1, v2: the first stays first (anchor 0).
    EXPECT_EQ(order_of({none, 1, 2}), (Ids{1, 2, 3}));
    // The same version twice keeps arrival order; input order does not matter.
    const auto ordered = review::iteration_order({{7, 3, 2}, {5, 1, 2}, {6, 2, 1}});
    ASSERT_EQ(ordered.size(), 3u);
    EXPECT_EQ(ordered[0].id, 6);
    EXPECT_EQ(ordered[1].id, 5);
    EXPECT_EQ(ordered[2].id, 7);
}
