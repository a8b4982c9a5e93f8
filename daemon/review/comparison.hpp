// mixscout review: what changed between two iterations of a mix, and when to stop.
//
// compare() is pure: two (Analysis, Issues) pairs in, a Comparison out. The Store calls it with
// the previous iteration of a song; `mixscout compare` with any two files.
//
// Matching: an issue before and an issue after are "the same problem" when their rule ids are
// equal (duplicates pair up in rank order).
//   improved[]   fixed (gone) or less severe, or the same severity but clearly closer to target
//   remaining[]  still there, not clearly better (the same, or worse without changing severity)
//   new_[]       not there before
//   regressions[] new or more severe issues while something else improved: "a fix that made
//                something else worse" (also listed in new_/remaining)
//   movements[]  remaining issues whose value moved by >= movement_min (its unit) without
//                changing severity: "Still too dark, but 2.0 dB closer (-6.0 dB -> -4.0 dB)"
//
// Scoring (the verdict), documented here as the one place:
//   weight(critical) = 6, weight(important) = 3, weight(polish) = 1
//   fixed issue            +weight(before)
//   new issue              -weight(after)
//   severity change        weight(before) - weight(after)
//   same severity          +0.5 * weight * clamp((d_before - d_after) / d_before, -1, 1),
//                          d = |value - target| (only when it moved by >= movement_min)
//   score = the sum. verdict:
//     worse                    score <= -1.5, or a critical issue appeared / became critical
//     significant_improvement  score >= 3 (fixing one important issue, or half a critical one)
//     slight_improvement       score >= 0.75
//     no_real_change           otherwise
//     first                    no previous iteration
//
// Change magnitude (for the stop signal): change_db = the largest absolute movement, in dB/LU,
// among integrated loudness, true peak, PLR, LRA, mono loss, each loudness-normalised octave
// band and the side/mid width (as 10 log10 of the ratio); plus, if any issue appeared, was fixed or
// changed severity, change_db is at least stop.min_change (the issue list changing is a change).
//
// Next fixes: review::next_fixes (focus.hpp): iteration tiers and the focus area.
//
// Ears (the seed's "trust your ears"): after an export the listener votes better / same / worse
// (/mixscout/ears). When the ears said worse while the numbers said better (slight or significant
// improvement), the numbers missed something the change did: the next comparison says so first
// and advises undoing or halving that change (ears_advice, apply_ears).
//
// Stop signal: fires when (a) no critical or important issue is left; or (b) this and the
// previous comparison both changed less than stop.min_change_db; or (c) the song reached
// stop.max_iterations (7) — but never while a critical issue remains (damage or a rejected
// delivery is not something to master over). It says "Ready to master", lists the polish that
// remains, and names any important issue left separately.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis.hpp"
#include "review/focus.hpp"
#include "rules/issue.hpp"

namespace mixscout::review {

/// The machine strings are protocol/osc.json's enum for /mixscout/verdict.
enum class Verdict { first, significant_improvement, slight_improvement, no_real_change, worse };
std::string_view to_string(Verdict v);
std::optional<Verdict> parse_verdict(std::string_view text);
/// "significant improvement", "slight improvement", "no real change", "worse", "first iteration".
std::string_view to_words(Verdict v);

/// The listener's vote on an export against the one before; the strings are the protocol's enum
/// for /mixscout/ears.
enum class Ears { better, same, worse };
std::string_view to_string(Ears e);
std::optional<Ears> parse_ears(std::string_view text);

struct CompareOptions {
    double movement_min = 0.5;     ///< a value moved if |delta| >= this (its unit; 1 for "events")
    double min_change_db = 0.5;    ///< stop.min_change_db
    int max_iterations = 7;        ///< stop.max_iterations
    Area focus = Area::all;        ///< focus: / --focus / /mixscout/focus: the area the next fixes come from
};

/// One issue's before -> after.
struct Change {
    std::string rule;
    std::string category;
    std::string title;                          ///< the title of the most recent form of the issue
    std::optional<rules::Severity> before;      ///< nullopt: not there before (new)
    std::optional<rules::Severity> after;       ///< nullopt: gone (fixed)
    double before_value = 0.0;
    double after_value = 0.0;                   ///< for fixed issues: the measurement now, if known, else the target
    double target = 0.0;
    std::string unit;
    std::string text;                           ///< "Clipping fixed: 3 events -> 0"
};

struct StopSignal {
    bool fired = false;
    std::vector<std::string> reasons;           ///< one line each
    std::string message;                        ///< "Ready to master: ..." (empty when not fired)
    std::vector<std::string> polish_remaining;  ///< titles of the polish issues that remain
    std::vector<std::string> important_remaining;  ///< titles of important issues left when it fired anyway
    std::vector<std::string> blocked_by;        ///< critical issues that kept it from firing
};

struct Comparison {
    Verdict verdict = Verdict::first;
    double score = 0.0;                 ///< see the scoring above
    double change_db = 0.0;             ///< see change magnitude above
    std::string summary;                ///< one line: "Slight improvement: clipping fixed; 1 new issue"
    std::string ears_advice;            ///< see Ears above; empty when the ears did not disagree
    std::vector<Change> improved, remaining, new_, regressions, movements;
    std::vector<rules::Issue> next;     ///< the next fixes (focus.hpp: tiers and focus)
    Area focus = Area::all;             ///< the focus the next fixes were chosen with
    std::vector<std::string> not_compared;  ///< parts left out as not like for like, one line each
    StopSignal stop;
    int iteration = 1;                  ///< iteration of the newer export (1 for `compare`)
    std::optional<std::int64_t> export_id, previous_export_id;
};

/// Compares before -> after (both issue lists ranked or not). `iteration` sets the focus.
/// The stop signal is not filled (it needs the song's history): see stop_signal().
Comparison compare(const analysis::Analysis& before, const std::vector<rules::Issue>& before_issues,
                   const analysis::Analysis& after, const std::vector<rules::Issue>& after_issues,
                   int iteration = 1, const CompareOptions& options = {});

/// The Comparison for a first iteration: verdict first, everything after is "remaining".
Comparison first_iteration(const analysis::Analysis& after, const std::vector<rules::Issue>& issues,
                           int iteration = 1, const CompareOptions& options = {});

/// change_db between two analyses (the measurement part only).
double measurement_change_db(const analysis::Analysis& before, const analysis::Analysis& after);

/// The advice when the listener's ears said `ears` about an export whose numbers said `numbers`
/// (iteration `iteration`): "ears said #3 was worse, numbers better: undo or halve that change"
/// when ears are worse and numbers an improvement; empty otherwise.
std::string ears_advice(Verdict numbers, std::optional<Ears> ears, int iteration);

/// Puts ears_advice for the previous export into c: c.ears_advice, and first in c.summary after
/// the verdict words ("Slight improvement: ears said #3 was worse, ...; clipping fixed").
void apply_ears(Comparison& c, Verdict previous_numbers, std::optional<Ears> previous_ears, int previous_iteration);

/// The stop signal for the newest export: `issues` its issues, `iteration` its number,
/// `change_db_recent` the change_db of its last comparisons, newest first (empty for a first
/// iteration; only the first two are used).
StopSignal stop_signal(const std::vector<rules::Issue>& issues, int iteration,
                       const std::vector<double>& change_db_recent, const CompareOptions& options = {});

/// JSON forms: {"verdict", "summary", "ears_advice", "score", "change_db", "iteration", "export_id",
/// "previous_export_id", "improved": [change], "remaining", "new", "regressions", "movements",
/// "next": [issue], "focus", "not_compared": [line], "stop": {"fired", "reasons", "message",
/// "polish_remaining", "important_remaining", "blocked_by"}}
/// change: {"rule", "category", "title", "before", "after" (severity or null), "before_value",
/// "after_value", "target", "unit", "text"}.
nlohmann::json to_json(const Change& change);
nlohmann::json to_json(const StopSignal& stop);
nlohmann::json to_json(const Comparison& comparison);

/// Plain-text report for the terminal (several lines, ending in a newline).
std::string format_text(const Comparison& comparison);
/// The one verdict line: "Verdict: slight improvement (iteration 3) - clipping fixed".
std::string verdict_line(const Comparison& comparison);

}  // namespace mixscout::review
