// mixscout rules: what a musician acts on.
//
// An Issue is one finding with a concrete fix in Live's terms. Issues come from the rules
// (Analysis -> Issues), from stem clashes, and from reference comparison; all are ranked
// together: severity first, then score (how far the value is from its target).
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/severity.hpp"

namespace mixscout::rules {

using Severity = mixscout::Severity;

std::string_view to_string(Severity s);
/// "critical" | "important" | "polish"; nullopt otherwise.
std::optional<Severity> parse_severity(std::string_view text);

struct Issue {
    std::string rule;       ///< stable id, e.g. "clipping", "tonal.muddy", "clash.kick.bass"
    std::string category;   ///< clipping, peak, loudness, dynamics, tonal, stereo, phase, clash, format, reference
    Severity severity = Severity::polish;
    std::string title;      ///< short, plain words: "Clipping at 0:45, 1:23"
    std::string detail;     ///< measured value and target: "3 events; true peak +0.8 dBTP, ceiling -1 dBTP"
    std::string fix;        ///< concrete action with numbers: "Utility on the master: -3 dB"
    std::vector<double> times_s;  ///< moments where it happens, if it happens at moments
    double score = 0.0;     ///< rank within a severity: larger = further from target = first
    double value = 0.0;     ///< the measured value the rule judged (for comparisons)
    double target = 0.0;    ///< the threshold or target it was judged against
    std::string unit;       ///< unit of value/target: "dB", "LUFS", "dBTP", "LU", "events", ""
    /// Where the target came from, so a user can disagree knowingly: "profile streaming",
    /// "curve orchestral (classifier: acoustic)", "3 references", "rules.stereo.narrow".
    std::string target_source;
};

/// Ranks in place: severity, then damage before stem clashes (category "clash") within a
/// severity, then score descending, then rule id (stable output). Then at most two clashes stay
/// in the first three places while any other issue exists: the best-ranked other issue moves up
/// to third (clashes are arrangement decisions; they never push out everything else).
void rank(std::vector<Issue>& issues);

/// JSON form of one issue: {rule, category, severity, title, detail, fix, times_s, score, value,
/// target, unit, target_source}. The daemon, history and `analyze --json` all use this one function.
nlohmann::json to_json(const Issue& issue);
/// The inverse of to_json; throws InputError on a malformed object (e.g. unknown severity).
Issue issue_from_json(const nlohmann::json& j);
/// {"issues": [...all, ranked...], "top": [...first three...]} for already-ranked issues.
nlohmann::json issues_json(const std::vector<Issue>& ranked, std::size_t top_n = 3);

}  // namespace mixscout::rules
