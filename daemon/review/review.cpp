#include "review/review.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/error.hpp"
#include "review/tonal_change.hpp"
#include "rules/rules.hpp"
#include "stems/naming.hpp"
#include "stems/stems.hpp"

namespace mixscout::review {

using rules::Issue;

namespace {

bool has_prefix(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

bool is_stem_issue(const Issue& i) { return has_prefix(i.rule, "clash.") || has_prefix(i.rule, "stem."); }

/// The stem slugs an issue involves: "clash.kick.bass" -> {kick, bass}; "stem.loud.pad" -> {pad}.
std::vector<std::string> stems_of(const Issue& i) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t dot; (dot = i.rule.find('.', start)) != std::string::npos; start = dot + 1)
        parts.push_back(i.rule.substr(start, dot - start));
    parts.push_back(i.rule.substr(start));
    if (parts.size() >= 3 && parts[0] == "clash") return {parts[1], parts[2]};
    if (parts.size() >= 3 && parts[0] == "stem") return {parts[2]};
    return {};
}

std::set<std::string> slugs(const std::vector<std::string>& names) {
    std::set<std::string> out;
    for (const auto& n : names) out.insert(stems::slug(n));
    return out;
}

/// Drops stem issues that are not like for like; returns the lines saying what was left out.
std::vector<std::string> like_for_like(const Measurements& before, std::vector<Issue>& before_issues,
                                       const Measurements& after, std::vector<Issue>& after_issues) {
    std::vector<std::string> lines;
    if (!before.stems && !after.stems) return lines;
    if (!before.stems || !after.stems) {
        std::erase_if(before_issues, is_stem_issue);
        std::erase_if(after_issues, is_stem_issue);
        lines.push_back(after.stems ? "stem clashes: the previous export had no stems"
                                    : "stem clashes: this export has no stems (the previous one's are not counted as fixed)");
        return lines;
    }
    const auto a = slugs(*before.stems), b = slugs(*after.stems);
    std::set<std::string> common;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::inserter(common, common.end()));
    for (const auto& n : *before.stems)
        if (!b.count(stems::slug(n))) lines.push_back("stem '" + n + "' vanished: its clashes are not counted as fixed");
    for (const auto& n : *after.stems)
        if (!a.count(stems::slug(n))) lines.push_back("stem '" + n + "' appeared: its clashes are not counted as new");
    auto foreign = [&common](const Issue& i) {
        if (!is_stem_issue(i)) return false;
        for (const auto& s : stems_of(i))
            if (!common.count(s)) return true;
        return false;
    };
    std::erase_if(before_issues, foreign);
    std::erase_if(after_issues, foreign);
    return lines;
}

/// "; in low-end: boomy 60-120 Hz fixed" — what changed in the focus area.
std::string focus_summary(const Comparison& c, Area focus) {
    auto in_area = [focus](const Change& ch) {
        Issue probe;
        probe.rule = ch.rule;
        return area_of(probe) == focus;
    };
    std::string what;
    for (const auto& ch : c.improved)
        if (in_area(ch)) {
            what = ch.text;
            break;
        }
    if (what.empty())
        for (const auto& ch : c.new_)
            if (in_area(ch)) {
                what = ch.text;
                break;
            }
    if (what.empty())
        for (const auto& ch : c.movements)
            if (in_area(ch)) {
                what = ch.text;
                break;
            }
    if (!what.empty() && what[0] >= 'A' && what[0] <= 'Z' && !(what.size() > 1 && what[1] >= 'A' && what[1] <= 'Z'))
        what[0] = static_cast<char>(what[0] - 'A' + 'a');
    return "; in " + std::string(to_string(focus)) + ": " + (what.empty() ? "no change" : what);
}

}  // namespace

nlohmann::json stems_to_json(const Measurements& m) {
    if (!m.stems) return nullptr;
    nlohmann::json issues = nlohmann::json::array();
    for (const auto& i : m.stem_issues) issues.push_back(rules::to_json(i));
    return {{"names", *m.stems}, {"issues", issues}};
}

void stems_from_json(const nlohmann::json& j, Measurements& m) {
    m.stems.reset();
    m.stem_issues.clear();
    if (j.is_null()) return;
    if (!j.is_object() || !j.contains("names") || !j["names"].is_array())
        throw InputError("stored stems: expected {\"names\": [...], \"issues\": [...]}");
    std::vector<std::string> names;
    for (const auto& n : j["names"])
        if (n.is_string()) names.push_back(n.get<std::string>());
    m.stems = std::move(names);
    if (j.contains("issues") && j["issues"].is_array())
        for (const auto& i : j["issues"]) m.stem_issues.push_back(rules::issue_from_json(i));
}

bool is_master_profile(const config::Config& config, const std::string& profile) {
    const config::Profile* p = config.settings().profiles.find(profile);
    return p && p->kind == config::ProfileKind::master;
}

std::vector<Issue> judge(const Measurements& m, const Context& ctx) {
    std::vector<Issue> issues = rules::evaluate(m.analysis, ctx.config, m.profile);
    if (m.stems_measured) {
        const auto now = stems::judge_stems(*m.stems_measured, stems::options_from_config(ctx.config));
        issues.insert(issues.end(), now.issues.begin(), now.issues.end());
    } else {
        issues.insert(issues.end(), m.stem_issues.begin(), m.stem_issues.end());
    }
    return apply_references(std::move(issues), m.analysis, ctx.references, ctx.reference);  // ranks
}

Review review(const Measurements& now, const Context& ctx) {
    Review r;
    r.issues = judge(now, ctx);
    // What only the previous export can show: a region that moved far in one step (a bass shelf
    // on a mix that started bass-light stays inside the target curve's tolerance).
    if (ctx.previous) {
        auto moved = tonal_changes(ctx.previous->analysis, now.analysis, ctx.config);
        r.issues.insert(r.issues.end(), moved.begin(), moved.end());
    }
    rules::rank(r.issues);
    Comparison& c = r.comparison;
    std::vector<double> recent;
    if (ctx.previous) {
        std::vector<Issue> before = judge(*ctx.previous, ctx), after = r.issues;
        const auto lines = like_for_like(*ctx.previous, before, now, after);
        c = compare(ctx.previous->analysis, before, now.analysis, after, ctx.iteration, ctx.compare);
        c.not_compared = lines;
        recent.push_back(c.change_db);
        if (ctx.previous_change_db) recent.push_back(*ctx.previous_change_db);
    } else {
        c = first_iteration(now.analysis, r.issues, ctx.iteration, ctx.compare);
    }
    // The next fixes come from every issue of this export, compared or not.
    c.focus = ctx.compare.focus;
    c.next = next_fixes(r.issues, ctx.iteration, ctx.compare.focus);
    if (ctx.compare.focus != Area::all && ctx.previous) c.summary += focus_summary(c, ctx.compare.focus);
    if (const auto outside = critical_outside(r.issues, ctx.compare.focus); !outside.empty())
        c.summary += "; outside the focus, critical: " + outside[0].title +
                     (outside.size() > 1 ? " (+" + std::to_string(outside.size() - 1) + " more)" : "");
    c.stop = stop_signal(r.issues, ctx.iteration, recent, ctx.compare);
    return r;
}

}  // namespace mixscout::review
