#include "core/format.hpp"

#include "core/clock.hpp"

#include <cstdio>
#include <ctime>

namespace mixscout {

std::string fmt(const char* format, double value) {
    char small[64];
    const int n = std::snprintf(small, sizeof small, format, value);
    if (n < 0) return {};
    if (static_cast<std::size_t>(n) < sizeof small) return std::string(small, static_cast<std::size_t>(n));
    std::string out(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(out.data(), out.size(), format, value);
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string utc_now_iso8601() {
    const std::tm tm = utc_tm(std::time(nullptr));
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace mixscout
