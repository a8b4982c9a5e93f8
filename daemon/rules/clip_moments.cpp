#include "rules/clip_moments.hpp"

#include <algorithm>

namespace mixscout::rules {

std::vector<ClipMoment> clip_moments(const std::vector<analysis::ClipEvent>& events_in, double window_s) {
    std::vector<analysis::ClipEvent> events = events_in;
    std::stable_sort(events.begin(), events.end(),
                     [](const analysis::ClipEvent& a, const analysis::ClipEvent& b) { return a.time_s < b.time_s; });
    std::vector<ClipMoment> out;
    for (const auto& e : events) {
        // A hair over the window: times are stored rounded to 10 ms.
        if (out.empty() || e.time_s - out.back().time_s > window_s + 1e-9) out.push_back(ClipMoment{e.time_s, {}});
        auto& ch = out.back().channels;
        if (std::find(ch.begin(), ch.end(), e.channel) == ch.end()) {
            ch.push_back(e.channel);
            std::sort(ch.begin(), ch.end());
        }
    }
    return out;
}

}  // namespace mixscout::rules
