#include "core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <algorithm>

#include "core/clock.hpp"

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

namespace {
/// Length of the valid UTF-8 sequence at s[i] (2-4), or 0 (not a valid multi-byte sequence).
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    std::size_t n = 0;
    unsigned min = 0;
    if (c >= 0xC2 && c <= 0xDF) n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, min = 0x10000;
    else return 0;
    if (i + n > s.size()) return 0;
    unsigned cp = c & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}
}  // namespace

std::string printable(std::string_view text, std::size_t max_bytes) {
    const std::string_view shown = text.substr(0, std::min(text.size(), max_bytes));
    std::string out;
    out.reserve(shown.size() + 16);
    for (std::size_t i = 0; i < shown.size();) {
        const unsigned char c = static_cast<unsigned char>(shown[i]);
        if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
            ++i;
        } else if (const std::size_t n = c >= 0x80 ? utf8_length(shown, i) : 0; n > 0) {
            out.append(shown.substr(i, n));
            i += n;
        } else {
            static const char* hex = "0123456789abcdef";
            if (c == '\n') out += "\\n";
            else if (c == '\r') out += "\\r";
            else if (c == '\t') out += "\\t";
            else if (c == 0x1B) out += "\\e";
            else out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
            ++i;
        }
    }
    if (text.size() > shown.size()) out += " ...(" + std::to_string(text.size() - shown.size()) + " more bytes)";
    return out;
}

void write(Level l, std::string_view raw) {
    if (l < g_level.load()) return;
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    const std::tm tm = local_tm(t);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
    const std::string message = printable(raw);
    std::lock_guard lock(g_mutex);
    std::fprintf(stderr, "%s.%03d mixscout %s: %.*s\n", stamp, static_cast<int>(ms), name(l),
                 static_cast<int>(message.size()), message.data());
}

}  // namespace mixscout::log
