// mixscout core: levelled logging to stderr, thread-safe, one line per call. Messages carry
// text from outside (file names, OSC notes): each goes through printable() first, so a newline
// or an escape sequence cannot forge log lines or drive the terminal, and a line stays bounded.
//
// Never call from the audio callback (it locks and writes).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace mixscout::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(Level level);
Level level();
/// Parses "debug|info|warn|error|off"; returns false on anything else.
bool parse_level(std::string_view text, Level& out);

/// Longest message written, in bytes (before escaping); the rest is counted, not written.
inline constexpr std::size_t max_message_bytes = 4096;

/// Text safe for one log line: control characters as \n, \r, \t, \e (ESC) or \xNN, bytes
/// that are not valid UTF-8 as \xNN (valid UTF-8 is kept), a backslash as is; past max_bytes of
/// input cut with " ...(N more bytes)".
std::string printable(std::string_view text, std::size_t max_bytes = max_message_bytes);

void write(Level level, std::string_view message);
inline void debug(std::string_view m) { write(Level::debug, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void warn(std::string_view m) { write(Level::warn, m); }
inline void error(std::string_view m) { write(Level::error, m); }

}  // namespace mixscout::log
