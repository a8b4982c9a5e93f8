#include "review/iteration_order.hpp"

#include <algorithm>
#include <tuple>

namespace mixscout::review {

std::vector<Arrival> iteration_order(std::vector<Arrival> exports) {
    std::sort(exports.begin(), exports.end(), [](const Arrival& a, const Arrival& b) { return a.sequence < b.sequence; });
    // Anchors in arrival order: a name without a version sits after the newest checkpoint so far.
    std::vector<std::pair<int, const Arrival*>> keyed;
    keyed.reserve(exports.size());
    int highest = 0;
    for (const Arrival& e : exports) {
        const int anchor = e.version.value_or(highest);
        if (e.version) highest = std::max(highest, *e.version);
        keyed.emplace_back(anchor, &e);
    }
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Arrival> out;
    out.reserve(exports.size());
    for (const auto& [anchor, e] : keyed) out.push_back(*e);
    return out;
}

int iteration_of(const std::vector<Arrival>& ordered, std::int64_t id) {
    for (std::size_t k = 0; k < ordered.size(); ++k)
        if (ordered[k].id == id) return static_cast<int>(k) + 1;
    return 0;
}

}  // namespace mixscout::review
