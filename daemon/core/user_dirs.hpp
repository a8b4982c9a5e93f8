// mixscout core: where a user's mixscout files live, per operating system. One place for the
// three kinds, so the config, the history and the FFT wisdom agree on the conventions.
//
//   kind     Linux/BSD (XDG; a relative XDG_* value is ignored, per the spec)   macOS                                   Windows
//   config   $XDG_CONFIG_HOME/mixscout, else ~/.config/mixscout                ~/Library/Application Support/mixscout  %APPDATA%\mixscout
//   data     $XDG_DATA_HOME/mixscout,   else ~/.local/share/mixscout           ~/Library/Application Support/mixscout  %APPDATA%\mixscout
//   cache    $XDG_CACHE_HOME/mixscout,  else ~/.cache/mixscout                 ~/Library/Caches/mixscout               %LOCALAPPDATA%\mixscout
//
// Without HOME (or APPDATA/LOCALAPPDATA) the folder is ./.mixscout. Nothing is created here.
// MIXSCOUT_CONFIG_DIR, MIXSCOUT_DATA_DIR, MIXSCOUT_CACHE_DIR (absolute paths) override the kind on
// every OS: the tests isolate themselves with them (XDG_* means nothing on macOS and Windows).
#pragma once
#include <filesystem>
#include <string>

namespace mixscout {

enum class UserDir { config, data, cache };

std::filesystem::path user_dir(UserDir kind);

/// The user's home folder: HOME, else (Windows) USERPROFILE; empty when neither is set.
std::filesystem::path home_dir();

/// "~" and "~/..." (also "~\..." on Windows) under home_dir(); any other path unchanged.
std::filesystem::path expand_home(const std::string& path);

}  // namespace mixscout
