// mixscout history: a mix measured against the average of its reference tracks.
//
// All comparisons are loudness-normalised (octave bands are already relative to integrated
// loudness in Analysis), so a quiet mix compares fairly with loud masters:
//   tonal balance  per region: sub (31.5-63 Hz), bass (125 Hz), low mids (250-500 Hz),
//                  mids (1-2 kHz), presence (4 kHz), air (8-16 kHz): the power-sum of the
//                  octave bands in the region, mix minus the references' mean (in dB)
//   PLR            true peak - integrated loudness, mix minus mean (dB)
//   width          side/mid energy ratio, as 10 log10(mix/mean) (dB)
//   low end        energy below ~90 Hz (31.5 + 63 Hz octaves) relative to the whole spectrum
// A difference of tonal_min_db (2 dB) or more is a polish issue, tonal_important_db (4 dB) or
// more an important one; the fix suggests HALF the difference (EQ moves toward a reference are
// better made in small steps; re-export and compare again).
// Issues: category "reference", rule "reference.tonal.<region>", "reference.plr",
// "reference.width", "reference.low_end"; value = mix - references (dB), target = 0, unit "dB".
//
// With references, apply_references() replaces the built-in target curve's tonal issues
// (category "tonal") with these; with none, issues are returned unchanged.
#pragma once
#include <vector>

#include "analysis/analysis.hpp"
#include "rules/issue.hpp"

namespace mixscout::review {

struct ReferenceOptions {
    double tonal_min_db = 2.0;        ///< history.reference.tonal_min_db
    double tonal_important_db = 4.0;  ///< history.reference.tonal_important_db
    double plr_min_db = 3.0;          ///< history.reference.plr_min_db
    double width_min_db = 3.0;        ///< history.reference.width_min_db
};

/// The reference issues for `mix` against the mean of `references` (empty -> none). Ranked.
std::vector<rules::Issue> compare_with_references(const analysis::Analysis& mix,
                                                  const std::vector<analysis::Analysis>& references,
                                                  const ReferenceOptions& options = {});

/// issues minus category "tonal" plus compare_with_references(), ranked, when references is
/// non-empty; `issues` unchanged otherwise.
std::vector<rules::Issue> apply_references(std::vector<rules::Issue> issues, const analysis::Analysis& mix,
                                           const std::vector<analysis::Analysis>& references,
                                           const ReferenceOptions& options = {});

}  // namespace mixscout::review
