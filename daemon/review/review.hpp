// mixscout review: one export's measurements + the context -> its judgement. Pure: no SQL, no I/O.
//
//   review::Context ctx{cfg, references, reference_options, compare_options, iteration, &previous, prev_change};
//   review::Review r = review::review(measurements, ctx);
//   r.issues                 every issue, ranked, judged with the config in force NOW
//   r.comparison             verdict against the previous export, the next fixes, the stop signal
//
// The daemon, the live monitor and every CLI command get their verdicts, next fixes and stop
// signal from this one call (history/pipeline.hpp feeds it from the store).
//
// Judgement is recomputed from stored measurements every time (a changed config re-ranks old
// exports too): rules::evaluate over the analysis with the export's profile, the stems run
// judged again from its measurements with the `stems:` config in force (stems::judge_stems; only
// stems.frame_s and stems.bands, which shape the measurement, need the audio again), and the
// song's CURRENT references (so both sides of a comparison are
// judged against the same reference set).
//
// Like for like: a comparison compares only what both exports measured.
//   - stems: clash and per-stem issues (rules "clash.*", "stem.*") are compared only between
//     stems both exports had. An export without stems after one with them (or the other way)
//     compares no stem issue; a stem that vanished or appeared is named in not_compared, never
//     counted as a fix or a new problem.
//   - references: both sides are judged against the same (current) references.
// Focus: the next fixes come from the focus area (focus.hpp), and the summary adds what changed
// in that area.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "analysis/analysis.hpp"
#include "review/comparison.hpp"
#include "review/focus.hpp"
#include "review/reference.hpp"
#include "rules/issue.hpp"
#include "stems/stems.hpp"

namespace mixscout::config {
class Config;
}

namespace mixscout::review {

/// What one export measured (what the history stores to judge it again).
struct Measurements {
    analysis::Analysis analysis;
    std::string profile = "mix";                    ///< the delivery profile it is judged for
    std::optional<std::vector<std::string>> stems;  ///< track names of its stems run; nullopt: none
    std::vector<rules::Issue> stem_issues;          ///< that run's clashes and per-stem checks, as judged then
    /// What that run measured; when present, its clashes and per-stem checks are judged again
    /// with the `stems:` config in force (stems::judge_stems) instead of taking stem_issues.
    /// Absent for exports stored before schema 5: their stem_issues stand as judged then.
    std::shared_ptr<const stems::StemsMeasured> stems_measured;
};

/// {"names": [...], "issues": [...]} or null (no stems): how the store keeps the stems part.
nlohmann::json stems_to_json(const Measurements& m);
/// The inverse; throws InputError on a malformed object.
void stems_from_json(const nlohmann::json& j, Measurements& m);

struct Context {
    const config::Config& config;
    std::vector<analysis::Analysis> references;   ///< the song's references now (empty: none)
    ReferenceOptions reference;
    CompareOptions compare;                       ///< stop.* and the focus
    int iteration = 1;                            ///< of this export among its song's (mixes or masters)
    const Measurements* previous = nullptr;       ///< the export before it (same song and role)
    std::optional<double> previous_change_db;     ///< that export's own change against its previous
};

struct Review {
    std::vector<rules::Issue> issues;   ///< all, ranked
    Comparison comparison;              ///< verdict, changes, next fixes, stop signal
};

/// The issues of one export with the config in force (see above). Ranked.
/// Throws InputError on an unknown profile.
std::vector<rules::Issue> judge(const Measurements& m, const Context& ctx);

/// The whole judgement of one export.
Review review(const Measurements& now, const Context& ctx);

/// True when the profile is of kind master (a master is compared with masters only).
bool is_master_profile(const config::Config& config, const std::string& profile);

}  // namespace mixscout::review
