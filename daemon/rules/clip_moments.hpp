// mixscout rules: clipping events grouped by moment, for display ("0:16.50 (L, R)").
//
// Analysis lists one clipping event per channel and run; a stereo mix clipping on both sides at
// once has two events at the same time. Events whose start times are within `window_s` of the
// moment's first event (default 10 ms: the events' time resolution) are one moment.
#pragma once
#include <vector>

#include "analysis/analysis.hpp"

namespace mixscout::rules {

struct ClipMoment {
    double time_s = 0.0;         ///< the earliest start in the moment
    std::vector<int> channels;   ///< ascending, each once
};

/// Moments in time order.
std::vector<ClipMoment> clip_moments(const std::vector<analysis::ClipEvent>& events, double window_s = 0.01);

}  // namespace mixscout::rules
