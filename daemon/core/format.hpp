// mixscout core: one number in printf style, for the plain-words text of issues, reports and the
// device ("clash at %.0f Hz", "%+.1f dB"); and the time stamps the history and reports carry.
#pragma once
#include <string>

namespace mixscout {

/// std::snprintf(format, value) as a string of any length; `format` takes exactly one double.
std::string fmt(const char* format, double value);

/// Now, UTC, ISO 8601 to the second: "2026-05-01T14:32:07Z".
std::string utc_now_iso8601();

}  // namespace mixscout
