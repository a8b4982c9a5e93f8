// mixscout core: one number in printf style, for the plain-words text of issues, reports and the
// device ("clash at %.0f Hz", "%+.1f dB").
#pragma once
#include <string>

namespace mixscout {

/// std::snprintf(format, value) as a string of any length; `format` takes exactly one double.
std::string fmt(const char* format, double value);

}  // namespace mixscout
