#include "core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace mixscout::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_mutex;
const char* name(Level l) {
    switch (l) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warn: return "warn";
        case Level::error: return "error";
        default: return "";
    }
}
}  // namespace

void set_level(Level l) { g_level.store(l); }
Level level() { return g_level.load(); }

bool parse_level(std::string_view t, Level& out) {
    for (Level l : {Level::debug, Level::info, Level::warn, Level::error, Level::off}) {
        if (t == (l == Level::off ? "off" : name(l))) {
            out = l;
            return true;
        }
    }
    return false;
}

void write(Level l, std::string_view message) {
    if (l < g_level.load()) return;
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    localtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
    std::lock_guard lock(g_mutex);
    std::fprintf(stderr, "%s.%03d mixscout %s: %.*s\n", stamp, static_cast<int>(ms), name(l),
                 static_cast<int>(message.size()), message.data());
}

}  // namespace mixscout::log
