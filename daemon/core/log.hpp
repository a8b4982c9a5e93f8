// mixscout core: levelled logging to stderr, thread-safe, one line per call.
//
// Never call from the audio callback (it locks and writes).
#pragma once
#include <string_view>

namespace mixscout::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(Level level);
Level level();
/// Parses "debug|info|warn|error|off"; returns false on anything else.
bool parse_level(std::string_view text, Level& out);

void write(Level level, std::string_view message);
inline void debug(std::string_view m) { write(Level::debug, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void warn(std::string_view m) { write(Level::warn, m); }
inline void error(std::string_view m) { write(Level::error, m); }

}  // namespace mixscout::log
