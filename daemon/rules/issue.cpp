#include "rules/issue.hpp"

#include <algorithm>
#include <tuple>

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
    std::stable_sort(issues.begin(), issues.end(), [](const Issue& a, const Issue& b) {
        return std::make_tuple(static_cast<int>(a.severity), -a.score, std::string_view(a.rule)) <
               std::make_tuple(static_cast<int>(b.severity), -b.score, std::string_view(b.rule));
    });
}

}  // namespace mixscout::rules
