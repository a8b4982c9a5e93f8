// mixscout review: a region of the spectrum that moved a lot since the previous export.
//
// The built-in target curve judges a mix on its own; it cannot see a bass shelf of +10 dB on a
// mix that started bass-light (the boosted low end lands inside the curve's tolerance). The
// previous export of the same song can: between two iterations, each region's level relative to
// the rest of the spectrum (loudness-normalised octave bands, minus the median change of all
// bands, so a gain change moves nothing) should move by what the user did on purpose.
//
// Regions (the tonal rules' own): low end 45-180 Hz (63, 125 Hz octaves), low mids 177-710 Hz
// (250, 500), upper mids 1.4-5.7 kHz (2k, 4k), top 5.6-22 kHz (8k, 16k). A region that moved by
// rules.tonal.change.threshold_db or more (config/mixscout.yaml says why) is an issue, rule
// "tonal.change.<region>", category tonal, value = the change (dB), target = +/- threshold,
// important: a move that large in one export is clearly audible and worth this iteration, even
// when it brought the region inside the target curve's tolerance (the curve is a generic target,
// not the song's intent: a +10 dB shelf on a balanced master also lands there on bass-light
// material); the fix says whether it moved toward the target or away from it.
// The fix names the move: undo or halve the change (EQ Eight on the master, a shelf or a bell
// of half the change in the other direction), since one export's moves are meant to be small.
#pragma once
#include <vector>

#include "analysis/analysis.hpp"
#include "rules/issue.hpp"

namespace mixscout::config {
class Config;
}

namespace mixscout::review {

/// The tonal-change issues of `now` against `before` (empty when rules.tonal.change is off, or
/// when either has no spectrum). Unranked.
std::vector<rules::Issue> tonal_changes(const analysis::Analysis& before, const analysis::Analysis& now,
                                        const config::Config& cfg);

}  // namespace mixscout::review
