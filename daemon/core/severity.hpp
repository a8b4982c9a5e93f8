// mixscout core: how bad a finding is (docs/JUDGEMENT.md: severity means consequence).
// Here, not in rules/, because the typed config (config/settings.hpp) holds severities too;
// rules::Severity, rules::to_string and rules::parse_severity (rules/issue.hpp) name it.
#pragma once

namespace mixscout {

enum class Severity { critical = 0, important = 1, polish = 2 };

}  // namespace mixscout
