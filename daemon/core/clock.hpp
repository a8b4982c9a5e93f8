// mixscout core: calendar time without the POSIX-only calls (gmtime_r, localtime_r, timegm,
// strptime do not exist on Windows), and a file's modification time on the Unix epoch.
#pragma once
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string_view>

namespace mixscout {

std::tm utc_tm(std::time_t t);
std::tm local_tm(std::time_t t);

/// "YYYY-MM-DDTHH:MM:SSZ" (the history's created_at) -> seconds since 1970-01-01 UTC.
std::optional<std::int64_t> parse_utc_iso8601(std::string_view text);

/// A std::filesystem time as nanoseconds since 1970-01-01 UTC. The file clock's own epoch
/// differs per standard library (libstdc++ counts from 2174), so its time_since_epoch() must
/// never be compared with Unix seconds.
std::int64_t unix_time_ns(std::filesystem::file_time_type t);

/// Seconds from the config (osc.heartbeat_s, watch.group_window_s) as a timer duration.
inline std::chrono::steady_clock::duration steady_seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace mixscout
