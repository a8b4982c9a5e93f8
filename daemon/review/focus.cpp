#include "review/focus.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/error.hpp"

namespace mixscout::review {

using rules::Issue;
using rules::Severity;

namespace {

constexpr std::array<std::pair<Area, std::string_view>, 9> area_table = {{
    {Area::all, "all"},
    {Area::low_end, "low-end"},
    {Area::mids, "mids"},
    {Area::highs, "highs"},
    {Area::dynamics, "dynamics"},
    {Area::stereo, "stereo"},
    {Area::clipping, "clipping"},
    {Area::loudness, "loudness"},
    {Area::clashes, "clashes"},
}};

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool one_of(std::string_view s, std::initializer_list<std::string_view> list) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

std::string_view to_string(Area area) {
    for (const auto& [a, name] : area_table)
        if (a == area) return name;
    return "all";
}

std::optional<Area> parse_area(std::string_view text) {
    if (text == "low_end" || text == "lowend") return Area::low_end;
    for (const auto& [a, name] : area_table)
        if (name == text) return a;
    return std::nullopt;
}

std::string area_names(std::string_view separator) {
    std::string out;
    for (const auto& [a, name] : area_table) out += (out.empty() ? "" : std::string(separator)) + std::string(name);
    return out;
}

Area area_or_throw(std::string_view text, std::string_view what) {
    if (auto a = parse_area(text)) return *a;
    throw InputError(std::string(what) + ": unknown focus '" + std::string(text) + "' (one of: " + area_names(", ") + ")");
}

Area area_of(const Issue& i) {
    const std::string_view r = i.rule;
    if (one_of(r, {"tonal.boomy", "tonal.thin", "stereo.low_end", "reference.low_end", "reference.tonal.bass"}))
        return Area::low_end;
    if (one_of(r, {"tonal.muddy", "reference.tonal.low_mids", "reference.tonal.mids"})) return Area::mids;
    if (one_of(r, {"tonal.dark", "tonal.bright", "tonal.harsh", "reference.tonal.presence", "reference.tonal.air"}))
        return Area::highs;
    if (one_of(r, {"dynamics", "dynamics.saturated", "reference.plr"})) return Area::dynamics;
    if (starts_with(r, "stereo.") || one_of(r, {"phase", "phase.low", "phase.band", "reference.width"})) return Area::stereo;
    if (one_of(r, {"clipping", "true_peak"}) || starts_with(r, "stem.clipping.")) return Area::clipping;
    if (one_of(r, {"loudness", "headroom"}) || starts_with(r, "stem.loud.")) return Area::loudness;
    if (starts_with(r, "clash.")) return Area::clashes;
    return Area::all;
}

bool in_focus(const Issue& issue, Area focus) { return focus == Area::all || area_of(issue) == focus; }

Severity tier_level(int iteration) {
    if (iteration <= 2) return Severity::critical;
    if (iteration <= 4) return Severity::important;
    return Severity::polish;
}

std::vector<Issue> critical_outside(const std::vector<Issue>& issues, Area focus) {
    std::vector<Issue> out;
    for (const auto& i : issues)
        if (i.severity == Severity::critical && !in_focus(i, focus)) out.push_back(i);
    rules::rank(out);
    return out;
}

std::vector<Issue> next_fixes(std::vector<Issue> issues, int iteration, Area focus, std::size_t n) {
    std::erase_if(issues, [focus](const Issue& i) { return !in_focus(i, focus); });
    rules::rank(issues);
    auto has = [&issues](Severity s) {
        return std::any_of(issues.begin(), issues.end(), [s](const Issue& i) { return i.severity == s; });
    };
    // The levels taken, by tier, then widened while the tier is empty.
    std::array<bool, 3> take{};
    auto level = [](Severity s) { return static_cast<std::size_t>(s); };
    const Severity tier = tier_level(iteration);
    if (tier == Severity::polish) {
        take[level(Severity::critical)] = true;  // damage is never hidden
        if (has(Severity::polish))
            take[level(Severity::polish)] = true;
        else
            take[level(Severity::important)] = true;
    } else {
        for (std::size_t l = 0; l <= level(tier); ++l) take[l] = true;
        for (std::size_t l = level(tier) + 1; l < 3; ++l) {
            const bool any_taken = std::any_of(issues.begin(), issues.end(),
                                               [&](const Issue& i) { return take[level(i.severity)]; });
            if (any_taken) break;
            take[l] = true;
        }
    }
    std::vector<Issue> out;
    for (auto& i : issues)
        if (take[level(i.severity)] && out.size() < n) out.push_back(std::move(i));
    return out;
}

}  // namespace mixscout::review
