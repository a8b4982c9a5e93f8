#include "core/format.hpp"

#include <cstdio>

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

}  // namespace mixscout
