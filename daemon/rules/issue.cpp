#include "rules/issue.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/error.hpp"

namespace mixscout::rules {

std::string_view to_string(Severity s) {
    switch (s) {
        case Severity::critical: return "critical";
        case Severity::important: return "important";
        case Severity::polish: return "polish";
    }
    return "polish";
}

std::optional<Severity> parse_severity(std::string_view text) {
    for (Severity s : {Severity::critical, Severity::important, Severity::polish})
        if (text == to_string(s)) return s;
    return std::nullopt;
}

void rank(std::vector<Issue>& issues) {
    auto is_clash = [](const Issue& i) { return i.category == "clash"; };
    std::stable_sort(issues.begin(), issues.end(), [&](const Issue& a, const Issue& b) {
        return std::make_tuple(static_cast<int>(a.severity), is_clash(a), -a.score, std::string_view(a.rule)) <
               std::make_tuple(static_cast<int>(b.severity), is_clash(b), -b.score, std::string_view(b.rule));
    });
    constexpr std::size_t top_n = 3, max_clashes_in_top = 2;
    if (issues.size() <= top_n) return;
    const auto clashes_in_top = static_cast<std::size_t>(std::count_if(issues.begin(), issues.begin() + top_n, is_clash));
    if (clashes_in_top <= max_clashes_in_top) return;
    const auto other = std::find_if(issues.begin() + top_n, issues.end(), [&](const Issue& i) { return !is_clash(i); });
    if (other == issues.end()) return;  // nothing else is wrong: the clashes are the work
    std::rotate(issues.begin() + (top_n - 1), other, other + 1);
}

nlohmann::json to_json(const Issue& i) {
    return nlohmann::json{{"rule", i.rule},     {"category", i.category},
                          {"severity", std::string(to_string(i.severity))},
                          {"title", i.title},   {"detail", i.detail},
                          {"fix", i.fix},       {"times_s", i.times_s},
                          {"score", i.score},   {"value", i.value},
                          {"target", i.target}, {"unit", i.unit},
                          {"target_source", i.target_source}};
}

Issue issue_from_json(const nlohmann::json& j) {
    if (!j.is_object()) throw InputError("issue JSON: expected an object");
    auto field = [&](const char* key) -> const nlohmann::json& {
        if (!j.contains(key)) throw InputError(std::string("issue JSON: missing key '") + key + "'");
        return j.at(key);
    };
    try {
        Issue i;
        i.rule = field("rule").get<std::string>();
        i.category = field("category").get<std::string>();
        const auto sev = field("severity").get<std::string>();
        const auto parsed = parse_severity(sev);
        if (!parsed) throw InputError("issue JSON: severity: unknown severity '" + sev + "'");
        i.severity = *parsed;
        i.title = field("title").get<std::string>();
        i.detail = field("detail").get<std::string>();
        i.fix = field("fix").get<std::string>();
        i.times_s = field("times_s").get<std::vector<double>>();
        i.score = field("score").get<double>();
        // value/target/unit are optional (issues from older records may lack them).
        i.value = j.value("value", 0.0);
        i.target = j.value("target", 0.0);
        i.unit = j.value("unit", std::string{});
        i.target_source = j.value("target_source", std::string{});
        return i;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("issue JSON: ") + e.what());
    }
}

nlohmann::json issues_json(const std::vector<Issue>& ranked, std::size_t top_n) {
    nlohmann::json all = nlohmann::json::array(), top = nlohmann::json::array();
    for (std::size_t k = 0; k < ranked.size(); ++k) {
        all.push_back(to_json(ranked[k]));
        if (k < top_n) top.push_back(all.back());
    }
    return nlohmann::json{{"issues", all}, {"top", top}};
}

}  // namespace mixscout::rules
