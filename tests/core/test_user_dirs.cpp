// user_dir against the XDG Base Directory Specification's rules and defaults (Linux): an absolute
// $XDG_CONFIG_HOME / $XDG_DATA_HOME / $XDG_CACHE_HOME wins, a relative one is invalid and ignored,
// and the defaults are ~/.config, ~/.local/share and ~/.cache.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "core/user_dirs.hpp"

namespace mixscout {
namespace {

/// Sets (or unsets, with nullopt) an environment variable for the scope, then restores it.
class EnvVar {
public:
    EnvVar(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) ::setenv(name, value->c_str(), 1);
        else ::unsetenv(name);
    }
    ~EnvVar() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }
    EnvVar(const EnvVar&) = delete;
    EnvVar& operator=(const EnvVar&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

#if !defined(_WIN32) && !defined(__APPLE__)
TEST(UserDir, AbsoluteXdgVariablesWin) {
    EnvVar c("XDG_CONFIG_HOME", "/x/config"), d("XDG_DATA_HOME", "/x/data"), k("XDG_CACHE_HOME", "/x/cache");
    EXPECT_EQ(user_dir(UserDir::config), std::filesystem::path("/x/config/mixscout"));
    EXPECT_EQ(user_dir(UserDir::data), std::filesystem::path("/x/data/mixscout"));
    EXPECT_EQ(user_dir(UserDir::cache), std::filesystem::path("/x/cache/mixscout"));
}

TEST(UserDir, RelativeOrUnsetXdgFallsBackToTheSpecDefaultsUnderHome) {
    EnvVar home("HOME", "/home/someone");
    EnvVar c("XDG_CONFIG_HOME", "relative/config"), d("XDG_DATA_HOME", std::nullopt), k("XDG_CACHE_HOME", "");
    EXPECT_EQ(user_dir(UserDir::config), std::filesystem::path("/home/someone/.config/mixscout"));
    EXPECT_EQ(user_dir(UserDir::data), std::filesystem::path("/home/someone/.local/share/mixscout"));
    EXPECT_EQ(user_dir(UserDir::cache), std::filesystem::path("/home/someone/.cache/mixscout"));
}

TEST(UserDir, NoHomeMeansAFolderHere) {
    EnvVar home("HOME", std::nullopt);
    EnvVar d("XDG_DATA_HOME", std::nullopt);
    EXPECT_EQ(user_dir(UserDir::data), std::filesystem::path(".mixscout"));
}
#endif

}  // namespace
}  // namespace mixscout
