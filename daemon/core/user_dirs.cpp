#include "core/user_dirs.hpp"

#include <cstdlib>
#include <string>

namespace mixscout {

namespace fs = std::filesystem;

namespace {
std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : "";
}
}  // namespace

fs::path home_dir() {
    std::string home = env("HOME");
#ifdef _WIN32
    if (home.empty()) home = env("USERPROFILE");
#endif
    return home;
}

fs::path expand_home(const std::string& p) {
    const bool tilde = p == "~" || p.starts_with("~/")
#ifdef _WIN32
                       || p.starts_with("~\\")
#endif
        ;
    if (!tilde) return p;
    return p.size() <= 2 ? home_dir() : home_dir() / p.substr(2);
}

fs::path user_dir(UserDir kind) {
    const char* override_var = kind == UserDir::config ? "MIXSCOUT_CONFIG_DIR" : kind == UserDir::data ? "MIXSCOUT_DATA_DIR" : "MIXSCOUT_CACHE_DIR";
    if (const std::string o = env(override_var); !o.empty() && fs::path(o).is_absolute()) return o;
#if defined(_WIN32)
    const std::string base = env(kind == UserDir::cache ? "LOCALAPPDATA" : "APPDATA");
    return base.empty() ? fs::path(".mixscout") : fs::path(base) / "mixscout";
#elif defined(__APPLE__)
    const std::string home = env("HOME");
    if (home.empty()) return ".mixscout";
    return fs::path(home) / "Library" / (kind == UserDir::cache ? "Caches" : "Application Support") / "mixscout";
#else
    const char* xdg_var = kind == UserDir::config ? "XDG_CONFIG_HOME" : kind == UserDir::data ? "XDG_DATA_HOME" : "XDG_CACHE_HOME";
    if (const std::string xdg = env(xdg_var); !xdg.empty() && fs::path(xdg).is_absolute()) return fs::path(xdg) / "mixscout";
    const std::string home = env("HOME");
    if (home.empty()) return ".mixscout";
    const fs::path under_home = kind == UserDir::config ? fs::path(".config")
                                : kind == UserDir::data ? fs::path(".local") / "share"
                                                        : fs::path(".cache");
    return fs::path(home) / under_home / "mixscout";
#endif
}

}  // namespace mixscout
