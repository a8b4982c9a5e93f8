#include "review/comparison.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/format.hpp"
#include "core/units.hpp"
#include "rules/rules.hpp"

namespace mixscout::review {

using rules::Issue;
using rules::Severity;

namespace {

constexpr double significant_score = 3.0;
constexpr double slight_score = 0.75;
constexpr double worse_score = -1.5;

double weight(Severity s) {
    switch (s) {
        case Severity::critical: return 6.0;
        case Severity::important: return 3.0;
        case Severity::polish: return 1.0;
    }
    return 1.0;
}

// "more severe" = smaller enum value.
bool more_severe(Severity a, Severity b) { return static_cast<int>(a) < static_cast<int>(b); }

/// "3 events", "-6.0 dB", "0.42".
std::string value_text(double v, const std::string& unit) {
    if (unit == "events") return fmt("%.0f", v) + (std::lround(v) == 1 ? " event" : " events");
    if (unit.empty()) return fmt("%.2f", v);
    return fmt("%.1f", v) + " " + unit;
}

double movement_threshold(const std::string& unit, const CompareOptions& o) {
    return unit == "events" ? 1.0 : o.movement_min;
}

double distance(double value, double target) { return std::abs(value - target); }

/// The measurement a rule judges, read from the new analysis a, for rules whose value is a plain
/// field (so "fixed" can say where the value went); `before` is the analysis the issue came from,
/// for a value that names a place (phase.band: the same octave band). nullopt when unknown.
std::optional<double> measure(const std::string& rule, const std::string& unit, const analysis::Analysis& a,
                              const analysis::Analysis& before) {
    if (rule == "clipping" && unit == "events") return static_cast<double>(a.clipping.count);
    if (rule == "true_peak" && unit == "dBTP") return a.peak.true_peak_dbtp;
    if (rule == "loudness" && unit == "LUFS") return a.loudness.integrated_lufs;
    if (rule == "phase" && unit.empty()) return a.stereo.correlation;
    if (rule == "phase.low" && unit.empty()) return a.stereo.low_correlation;
    if (rule == "phase.band" && unit.empty()) {
        // The band the rule picked (the lowest one), read again at the same frequencies.
        if (const auto* flagged = rules::most_negative_band(before, 1.0))
            for (const auto& band : a.stereo.band_correlation)
                if (band.lo_hz == flagged->lo_hz && band.hi_hz == flagged->hi_hz) return band.correlation;
    }
    if (rule == "dynamics.saturated" && unit == "%") return a.dynamics.half_peak_share * 100.0;
    if (rule == "stereo.mono_loss" && unit == "dB") return a.stereo.mono_loss_db;
    return std::nullopt;
}

Change make_change(const Issue* before, const Issue* after) {
    const Issue& latest = after ? *after : *before;
    Change c;
    c.rule = latest.rule;
    c.category = latest.category;
    c.title = latest.title;
    c.unit = latest.unit;
    c.target = latest.target;
    if (before) {
        c.before = before->severity;
        c.before_value = before->value;
    }
    if (after) {
        c.after = after->severity;
        c.after_value = after->value;
    }
    return c;
}

std::string lower_first(std::string s) {
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && !(s.size() > 1 && s[1] >= 'A' && s[1] <= 'Z'))
        s[0] = static_cast<char>(s[0] - 'A' + 'a');
    return s;
}

void set_verdict(Comparison& c, bool critical_appeared) {
    if (c.score <= worse_score || critical_appeared)
        c.verdict = Verdict::worse;
    else if (c.score >= significant_score)
        c.verdict = Verdict::significant_improvement;
    else if (c.score >= slight_score)
        c.verdict = Verdict::slight_improvement;
    else
        c.verdict = Verdict::no_real_change;
}

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

void set_summary(Comparison& c) {
    std::string s(to_words(c.verdict));
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    std::vector<std::string> parts;
    if (c.verdict == Verdict::first) {
        parts.push_back(plural(c.remaining.size(), "issue"));
    } else {
        if (!c.improved.empty()) parts.push_back(lower_first(c.improved.front().text));
        if (c.improved.size() > 1) parts.push_back(std::to_string(c.improved.size() - 1) + " more improved");
        if (!c.regressions.empty())
            parts.push_back("regression: " + lower_first(c.regressions.front().title));
        else if (!c.new_.empty())
            parts.push_back(plural(c.new_.size(), "new issue"));
        parts.push_back(std::to_string(c.remaining.size()) + " remaining");
    }
    for (std::size_t i = 0; i < parts.size(); ++i) s += (i == 0 ? ": " : "; ") + parts[i];
    c.summary = s;
}

}  // namespace

std::string_view to_string(Ears e) {
    switch (e) {
        case Ears::better: return "better";
        case Ears::same: return "same";
        case Ears::worse: return "worse";
    }
    return "same";
}

std::optional<Ears> parse_ears(std::string_view text) {
    for (const Ears e : {Ears::better, Ears::same, Ears::worse})
        if (text == to_string(e)) return e;
    return std::nullopt;
}

std::string ears_advice(Verdict numbers, std::optional<Ears> ears, int iteration) {
    const bool numbers_better = numbers == Verdict::significant_improvement || numbers == Verdict::slight_improvement;
    if (!numbers_better || ears != Ears::worse) return {};
    return "ears said #" + std::to_string(iteration) + " was worse, numbers better: undo or halve that change";
}

void apply_ears(Comparison& c, Verdict previous_numbers, std::optional<Ears> previous_ears, int previous_iteration) {
    c.ears_advice = ears_advice(previous_numbers, previous_ears, previous_iteration);
    if (c.ears_advice.empty()) return;
    const auto colon = c.summary.find(": ");
    if (colon == std::string::npos)
        c.summary += ": " + c.ears_advice;
    else
        c.summary.insert(colon + 2, c.ears_advice + "; ");
}

std::string_view to_string(Verdict v) {
    switch (v) {
        case Verdict::first: return "first";
        case Verdict::significant_improvement: return "significant_improvement";
        case Verdict::slight_improvement: return "slight_improvement";
        case Verdict::no_real_change: return "no_real_change";
        case Verdict::worse: return "worse";
    }
    return "first";
}

std::optional<Verdict> parse_verdict(std::string_view text) {
    for (Verdict v : {Verdict::first, Verdict::significant_improvement, Verdict::slight_improvement,
                      Verdict::no_real_change, Verdict::worse})
        if (text == to_string(v)) return v;
    return std::nullopt;
}

std::string_view to_words(Verdict v) {
    switch (v) {
        case Verdict::first: return "first iteration";
        case Verdict::significant_improvement: return "significant improvement";
        case Verdict::slight_improvement: return "slight improvement";
        case Verdict::no_real_change: return "no real change";
        case Verdict::worse: return "worse";
    }
    return "first iteration";
}

double measurement_change_db(const analysis::Analysis& a, const analysis::Analysis& b) {
    double m = 0.0;
    auto take = [&m](double x, double y) { m = std::max(m, std::abs(x - y)); };
    take(a.loudness.integrated_lufs, b.loudness.integrated_lufs);
    take(a.peak.true_peak_dbtp, b.peak.true_peak_dbtp);
    take(a.dynamics.plr_db, b.dynamics.plr_db);
    take(a.loudness.lra_lu, b.loudness.lra_lu);
    take(a.stereo.mono_loss_db, b.stereo.mono_loss_db);
    // The side/mid ratio as dB; the floor keeps a mono file (width 0) finite.
    take(power_to_db(std::max(a.stereo.width, 1e-3)), power_to_db(std::max(b.stereo.width, 1e-3)));
    const std::size_t n = std::min(a.spectrum.bands.size(), b.spectrum.bands.size());
    for (std::size_t i = 0; i < n; ++i) take(a.spectrum.bands[i].db, b.spectrum.bands[i].db);
    return m;
}

Comparison compare(const analysis::Analysis& before_a, const std::vector<Issue>& before_in,
                   const analysis::Analysis& after_a, const std::vector<Issue>& after_in, int iteration,
                   const CompareOptions& options) {
    std::vector<Issue> before = before_in, after = after_in;
    rules::rank(before);
    rules::rank(after);

    Comparison c;
    c.iteration = iteration;
    bool critical_appeared = false;
    bool issue_list_changed = false;
    std::vector<bool> before_used(before.size(), false);

    for (const Issue& a : after) {
        const Issue* b = nullptr;
        for (std::size_t k = 0; k < before.size(); ++k)
            if (!before_used[k] && before[k].rule == a.rule) {
                before_used[k] = true;
                b = &before[k];
                break;
            }
        Change ch = make_change(b, &a);
        if (!b) {
            issue_list_changed = true;
            c.score -= weight(a.severity);
            critical_appeared |= a.severity == Severity::critical;
            ch.text = "New: " + a.title + " (" + value_text(a.value, a.unit) + ", target " +
                      value_text(a.target, a.unit) + ")";
            c.new_.push_back(ch);
            c.regressions.push_back(ch);
            continue;
        }
        const std::string sev_move =
            std::string(rules::to_string(b->severity)) + " -> " + std::string(rules::to_string(a.severity));
        const std::string values = value_text(b->value, b->unit) + " -> " + value_text(a.value, a.unit);
        if (a.severity != b->severity) {
            issue_list_changed = true;
            c.score += weight(b->severity) - weight(a.severity);
            if (more_severe(b->severity, a.severity)) {
                ch.text = a.title + ": " + sev_move + " (" + values + ")";
                c.improved.push_back(ch);
            } else {
                critical_appeared |= a.severity == Severity::critical;
                ch.text = a.title + " got worse: " + sev_move + " (" + values + ")";
                c.remaining.push_back(ch);
                c.regressions.push_back(ch);
            }
            continue;
        }
        // Same severity: did the value move toward or away from its target?
        const double d_before = distance(b->value, b->target), d_after = distance(a.value, a.target);
        const double moved = d_before - d_after;
        ch.text = a.title + " (" + value_text(a.value, a.unit) + ", target " + value_text(a.target, a.unit) + ")";
        if (std::abs(moved) >= movement_threshold(a.unit, options)) {
            const double progress = std::clamp(moved / std::max(d_before, 1e-9), -1.0, 1.0);
            c.score += 0.5 * weight(a.severity) * progress;
            Change mv = ch;
            const std::string amount = a.unit == "events" ? value_text(std::abs(moved), a.unit)
                                                          : fmt("%.1f", std::abs(moved)) + (a.unit.empty() ? "" : " " + a.unit);
            mv.text = "Still: " + a.title + ", but " + amount + (moved > 0 ? " closer" : " further off") + " (" +
                      values + ")";
            c.movements.push_back(mv);
        }
        c.remaining.push_back(ch);
    }
    for (std::size_t k = 0; k < before.size(); ++k) {
        if (before_used[k]) continue;
        const Issue& b = before[k];
        issue_list_changed = true;
        c.score += weight(b.severity);
        Change ch = make_change(&b, nullptr);
        const auto now = measure(b.rule, b.unit, after_a, before_a);
        ch.after_value = now.value_or(b.target);
        ch.text = b.title + " fixed: " + value_text(b.value, b.unit) + " -> " +
                  (now ? value_text(*now, b.unit) : "within target (" + value_text(b.target, b.unit) + ")");
        // "Clipping fixed: 3 events -> 0": a count that reached zero needs no unit twice.
        if (now && b.unit == "events" && *now == 0.0) ch.text = b.title + " fixed: " + value_text(b.value, b.unit) + " -> 0";
        c.improved.push_back(ch);
    }
    // Regressions are only regressions when something else was worked on; otherwise they are
    // simply new (the verdict says worse).
    if (c.improved.empty() && c.movements.empty()) c.regressions.clear();
    for (auto& r : c.regressions)
        if (!c.improved.empty()) r.text += " - while " + lower_first(c.improved.front().text);

    c.change_db = measurement_change_db(before_a, after_a);
    if (issue_list_changed) c.change_db = std::max(c.change_db, options.min_change_db);
    set_verdict(c, critical_appeared);
    c.focus = options.focus;
    c.next = next_fixes(after, iteration, options.focus);
    set_summary(c);
    return c;
}

Comparison first_iteration(const analysis::Analysis&, const std::vector<Issue>& issues_in, int iteration,
                           const CompareOptions& options) {
    std::vector<Issue> issues = issues_in;
    rules::rank(issues);
    Comparison c;
    c.verdict = Verdict::first;
    c.iteration = iteration;
    for (const Issue& i : issues) {
        Change ch = make_change(nullptr, &i);
        ch.text = i.title + " (" + value_text(i.value, i.unit) + ", target " + value_text(i.target, i.unit) + ")";
        c.remaining.push_back(ch);
    }
    c.focus = options.focus;
    c.next = next_fixes(issues, iteration, options.focus);
    set_summary(c);
    return c;
}

StopSignal stop_signal(const std::vector<Issue>& issues_in, int iteration, const std::vector<double>& recent,
                       const CompareOptions& o) {
    std::vector<Issue> issues = issues_in;
    rules::rank(issues);
    StopSignal s;
    bool important_left = false;
    for (const Issue& i : issues) {
        if (i.severity == Severity::critical) s.blocked_by.push_back(i.title);
        else if (i.severity == Severity::important) s.important_remaining.push_back(i.title), important_left = true;
        else s.polish_remaining.push_back(i.title);
    }
    if (s.blocked_by.empty() && !important_left) s.reasons.push_back("No critical or important issue left");
    if (recent.size() >= 2 && recent[0] < o.min_change_db && recent[1] < o.min_change_db)
        s.reasons.push_back("The last two iterations changed less than " + fmt("%.1f", o.min_change_db) + " dB (" +
                            fmt("%.1f", recent[1]) + " dB, then " + fmt("%.1f", recent[0]) + " dB)");
    if (iteration >= o.max_iterations)
        s.reasons.push_back(std::to_string(iteration) + " iterations reached (stop.max_iterations " +
                            std::to_string(o.max_iterations) + "): more tweaking rarely helps now");
    // A critical issue is damage or a rejected delivery: never "ready to master" over it.
    s.fired = !s.reasons.empty() && s.blocked_by.empty();
    if (!s.fired) {
        s.polish_remaining.clear();
        s.important_remaining.clear();
        if (s.blocked_by.empty()) s.reasons.clear();
        return s;
    }
    s.message = "Ready to master";
    s.message += " (" + s.reasons.front();
    for (std::size_t i = 1; i < s.reasons.size(); ++i) s.message += "; " + lower_first(s.reasons[i]);
    s.message += ")";
    auto list = [](const std::vector<std::string>& v) {
        std::string out;
        for (std::size_t i = 0; i < v.size() && i < 3; ++i) out += (i ? "; " : "") + v[i];
        if (v.size() > 3) out += "; +" + std::to_string(v.size() - 3) + " more";
        return out;
    };
    if (s.polish_remaining.empty() && s.important_remaining.empty()) {
        s.message += ". Nothing left to fix.";
    } else {
        if (!s.important_remaining.empty()) s.message += ". Still important: " + list(s.important_remaining);
        if (!s.polish_remaining.empty()) s.message += ". What remains is polish: " + list(s.polish_remaining);
        s.message += ".";
    }
    return s;
}

nlohmann::json to_json(const Change& c) {
    auto sev = [](const std::optional<Severity>& s) {
        return s ? nlohmann::json(std::string(rules::to_string(*s))) : nlohmann::json(nullptr);
    };
    return {{"rule", c.rule},     {"category", c.category}, {"title", c.title},
            {"before", sev(c.before)}, {"after", sev(c.after)}, {"before_value", c.before_value},
            {"after_value", c.after_value}, {"target", c.target}, {"unit", c.unit},
            {"text", c.text}};
}

nlohmann::json to_json(const StopSignal& s) {
    return {{"fired", s.fired},
            {"reasons", s.reasons},
            {"message", s.message},
            {"polish_remaining", s.polish_remaining},
            {"important_remaining", s.important_remaining},
            {"blocked_by", s.blocked_by}};
}

nlohmann::json to_json(const Comparison& c) {
    auto list = [](const std::vector<Change>& v) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& x : v) a.push_back(to_json(x));
        return a;
    };
    nlohmann::json next = nlohmann::json::array();
    for (const auto& i : c.next) next.push_back(rules::to_json(i));
    auto id = [](const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
    return {{"verdict", std::string(to_string(c.verdict))},
            {"summary", c.summary},
            {"ears_advice", c.ears_advice},
            {"score", c.score},
            {"change_db", c.change_db},
            {"iteration", c.iteration},
            {"export_id", id(c.export_id)},
            {"previous_export_id", id(c.previous_export_id)},
            {"improved", list(c.improved)},
            {"remaining", list(c.remaining)},
            {"new", list(c.new_)},
            {"regressions", list(c.regressions)},
            {"movements", list(c.movements)},
            {"next", next},
            {"focus", std::string(to_string(c.focus))},
            {"not_compared", c.not_compared},
            {"stop", to_json(c.stop)}};
}

std::string verdict_line(const Comparison& c) {
    std::string s = "Verdict: " + std::string(to_words(c.verdict)) + " (iteration " + std::to_string(c.iteration) + ")";
    const auto colon = c.summary.find(": ");
    if (colon != std::string::npos) s += " - " + c.summary.substr(colon + 2);
    return s;
}

std::string format_text(const Comparison& c) {
    std::string out = verdict_line(c) + "\n";
    auto section = [&out](const char* heading, const std::vector<Change>& v, const char* mark) {
        if (v.empty()) return;
        out += std::string(heading) + "\n";
        for (const auto& x : v) out += std::string("  ") + mark + " " + x.text + "\n";
    };
    section("Improved:", c.improved, "+");
    section("Moved (same severity):", c.movements, "~");
    section("Regressions:", c.regressions, "!");
    if (c.regressions.empty()) section("New:", c.new_, "!");
    if (c.verdict != Verdict::first) section("Remaining:", c.remaining, "-");
    for (const auto& line : c.not_compared) out += "Not compared: " + line + "\n";
    if (!c.next.empty()) {
        out += c.focus == Area::all ? std::string("Next:\n") : "Next (focus: " + std::string(to_string(c.focus)) + "):\n";
        for (std::size_t i = 0; i < c.next.size(); ++i)
            out += "  " + std::to_string(i + 1) + ". [" + std::string(rules::to_string(c.next[i].severity)) + "] " +
                   c.next[i].title + (c.next[i].fix.empty() ? "" : " - " + c.next[i].fix) + "\n";
    }
    if (c.stop.fired) out += "Stop: " + c.stop.message + "\n";
    else if (!c.stop.reasons.empty() && !c.stop.blocked_by.empty())
        out += "Not ready to master: critical issue left (" + c.stop.blocked_by.front() + ")\n";
    return out;
}

}  // namespace mixscout::review
