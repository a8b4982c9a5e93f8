// mixscout rules: Analysis -> ranked Issues, each with a concrete fix in Live's terms.
//
// Every rule lives under `rules.<id>` in config/mixscout.yaml with `enabled`, its thresholds and
// its `severity`; targets per delivery profile live under `profiles.<name>`, the tonal target
// curve under `tonal`. The YAML comments say where each figure comes from.
//
// Rule ids (Issue::rule) and categories:
//   clipping            clipping   full-scale sample runs, with timestamps
//   true_peak           peak       true peak above the profile's ceiling
//   headroom            loudness   (premaster profiles) peaks too hot / too quiet for mastering
//   loudness            loudness   (master profiles) integrated loudness off the platform target
//   dynamics            dynamics   PLR / PSR too low: over-compressed
//   tonal.dark|bright   tonal      spectral tilt off the target curve
//   tonal.muddy|boomy|harsh|thin   tonal   a region too loud/too quiet against the target curve
//   stereo.narrow       stereo     almost no side signal
//   stereo.low_end      stereo     low end not mono below ~120 Hz
//   stereo.mono_loss    phase      loudness lost in the mono fold-down
//   stereo.balance      stereo     L/R level imbalance
//   phase               phase      L/R correlation below 0 (whole file)
//   phase.low           phase      L/R correlation below 0 below 120 Hz (configured by rules.phase too)
//   phase.band          phase      one octave band at or below rules.phase.min_band_correlation (-0.7)
//                                  while the whole file and the bass read positive
//   dc_offset           format     DC offset
//   silence.head|tail   format     silence at the start / end
//   format.bit_depth|sample_rate|lossy   format   (premaster profiles) export settings
//
// Score: how far the value is past its threshold, in "steps" the rule documents (1 dB, 1 LU,
// 0.1 of correlation, ...), plus 1 so a just-tripped rule scores 1. Ranking: severity, then score.
//
// Cost: evaluate() is a few hundred arithmetic operations plus string formatting; any thread.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analysis.hpp"
#include "config/config.hpp"
#include "rules/issue.hpp"
#include "rules/material.hpp"

namespace mixscout::rules {

/// All rules of cfg over one analysis, for the delivery profile `profile` (a key of `profiles`:
/// mix | streaming | apple | club | broadcast, or one a user added). Ranked (see rank()).
/// Throws InputError on an unknown profile ("unknown profile 'x' (one of: mix, streaming, ...)").
std::vector<Issue> evaluate(const analysis::Analysis& a, const config::Config& cfg, std::string_view profile = "mix");

/// Throws InputError unless `profile` names a profile of cfg (the message lists them) and the
/// tonal target (tonal.curve, tonal.curves, tonal.centres_hz) fits together. Cheap: call it
/// before a long analysis, or after a config reload.
void check_profile(const config::Config& cfg, std::string_view profile);

/// The profile names in cfg, in file order.
std::vector<std::string> profile_names(const config::Config& cfg);

/// The tonal target curve the tonal rules judge the mix against, at the mix's octave-band
/// centres, placed on the mix's level as the rules place it (curve + the median deviation), and
/// the tolerance there: the tightest threshold_db of the enabled tonal rules covering the band
/// (0 where none does), and the same for the rules judging too little (below) and too much (above)
/// on their own: a family's spread may be asymmetric (acoustic: 12 dB dark, 6 dB bright). For plots: the mix's bands minus db are the deviations the rules see.
/// The curve is the one the rules judged by: the material classifier's pick under
/// `tonal.choose: auto` (then `family` and `why` say which family and why), else tonal.curve.
struct TonalTarget {
    std::string curve;                ///< the key of tonal.curves the rules judged against
    std::string source;               ///< the issues' target_source: "curve orchestral, picked by the material classifier: ..."
    std::string family;               ///< "acoustic" | "modern" (the classifier's pick, or the fixed curve's family)
    std::string why;                  ///< the classifier's votes ("tilt -3.1 dB/oct (acoustic: <= -2.4), ...")
    double offset_db = 0.0;           ///< the level offset removed before judging
    std::vector<double> centre_hz, db, tolerance_db;
    std::vector<double> below_db, above_db;  ///< allowed deviation under / over db (0: no rule judges that side)
};
TonalTarget tonal_target(const analysis::Analysis& a, const config::Config& cfg);

/// What a delivery profile asks for (profiles.<name>, rules.dynamics): for plots and reports.
/// Throws InputError on an unknown profile.
struct ProfileTargets {
    std::string name;
    bool premaster = true;
    double target_lufs = -14.0, louder_tolerance_lu = 0.0, quieter_tolerance_lu = 20.0;
    double ceiling_dbtp = 0.0;
    double plr_min_db = 8.0, psr_min_db = 6.0;
    double saturated_share = 0.2, saturated_crest_db = 7.0;  ///< rules.dynamics: saturated when both are crossed
};
ProfileTargets profile_targets(const config::Config& cfg, std::string_view profile);

/// The octave band whose L/R correlation is lowest and at most at_most, among the bands the
/// rules judge (no infrasonic 31.5 Hz band, nothing above Nyquist or without content); nullptr
/// when none is. rules.phase.min_band_correlation is phase.band's at_most; a comparison reads
/// the same band with at_most 1.
const analysis::BandCorrelation* most_negative_band(const analysis::Analysis& a, double at_most);

/// The first n issues (the Max for Live panel shows three).
std::vector<Issue> top(const std::vector<Issue>& ranked, std::size_t n = 3);

/// "0:45", "1:23", "1:02:03" (hours only when needed); seconds rounded down.
std::string format_time(double seconds);

/// One terminal line: "CRITICAL 1. Clipping at 0:45, 1:23, 2:34 — Utility on the master: -3 dB".
std::string summary_line(const Issue& issue, int position);

/// The line under it: "measured -31.0 dB, target -6.0 dB (curve orchestral, picked by ...)";
/// empty when the issue carries no target source.
std::string explain_line(const Issue& issue);

/// The family whose targets evaluate() uses for a: the classifier's (tonal.choose: auto) or the
/// one of the fixed tonal.curve.
Material material_of(const analysis::Analysis& a, const config::Config& cfg);

/// {family, curve, votes, voters, why, tilt_db_per_octave, plr_db, low_side_db, low_share_db}.
nlohmann::json to_json(const Material& m);

}  // namespace mixscout::rules
