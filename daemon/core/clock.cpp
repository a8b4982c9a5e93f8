#include "core/clock.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace mixscout {

std::tm utc_tm(std::time_t t) {
    std::tm tm{};
#ifdef _WIN32
    gmtime_s(&tm, &t);
#else
    gmtime_r(&t, &tm);
#endif
    return tm;
}

std::tm local_tm(std::time_t t) {
    std::tm tm{};
#ifdef _WIN32
    localtime_s(&tm, &t);
#else
    localtime_r(&t, &tm);
#endif
    return tm;
}

std::optional<std::int64_t> parse_utc_iso8601(std::string_view text) {
    if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
        text[19] != 'Z')
        return std::nullopt;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    const std::string copy(text);
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
    using namespace std::chrono;
    const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
    return sys_days(date).time_since_epoch().count() * 86400LL + h * 3600LL + mi * 60LL + s;
}

std::int64_t unix_time_ns(std::filesystem::file_time_type t) {
    using namespace std::chrono;
#if defined(_LIBCPP_VERSION)
    // libc++'s file clock counts from the Unix epoch on every platform (it converts Windows'
    // FILETIME itself); libc++ 14 has no file_clock::to_sys yet.
    return duration_cast<nanoseconds>(t.time_since_epoch()).count();
#elif defined(_MSC_VER)
    return duration_cast<nanoseconds>(clock_cast<system_clock>(t).time_since_epoch()).count();
#else
    return duration_cast<nanoseconds>(file_clock::to_sys(t).time_since_epoch()).count();
#endif
}

}  // namespace mixscout
