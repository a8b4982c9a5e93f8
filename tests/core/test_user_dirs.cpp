// user_dir against the XDG Base Directory Specification's rules and defaults (Linux): an absolute
// $XDG_CONFIG_HOME / $XDG_DATA_HOME / $XDG_CACHE_HOME wins, a relative one is invalid and ignored,
// and the defaults are ~/.config, ~/.local/share and ~/.cache.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "core/user_dirs.hpp"
#include "support/env.hpp"

namespace mixscout {
namespace {

using test::EnvVar;

/// The MIXSCOUT_* overrides unset, so the OS conventions show (ctest sets them for isolation).
struct NoOverrides {
    EnvVar c{"MIXSCOUT_CONFIG_DIR", std::nullopt}, d{"MIXSCOUT_DATA_DIR", std::nullopt}, k{"MIXSCOUT_CACHE_DIR", std::nullopt};
};

TEST(UserDir, MixscoutVariablesOverrideOnEveryOs) {
    const std::filesystem::path root = std::filesystem::current_path() / "elsewhere";
    EnvVar c("MIXSCOUT_CONFIG_DIR", (root / "c").string()), d("MIXSCOUT_DATA_DIR", (root / "d").string()),
        k("MIXSCOUT_CACHE_DIR", (root / "k").string());
    EXPECT_EQ(user_dir(UserDir::config), root / "c");
    EXPECT_EQ(user_dir(UserDir::data), root / "d");
    EXPECT_EQ(user_dir(UserDir::cache), root / "k");
}

TEST(UserDir, RelativeOverrideIsIgnored) {
    EnvVar d("MIXSCOUT_DATA_DIR", "relative/data");
    EXPECT_NE(user_dir(UserDir::data), std::filesystem::path("relative/data"));
    EXPECT_TRUE(user_dir(UserDir::data).string().ends_with("mixscout"));
}

TEST(UserDir, TildeExpandsUnderHome) {
    EnvVar home("HOME", (std::filesystem::current_path() / "home").string());
    EXPECT_EQ(expand_home("~/Music/Exports"), std::filesystem::current_path() / "home" / "Music/Exports");
    EXPECT_EQ(expand_home("~"), std::filesystem::current_path() / "home");
    EXPECT_EQ(expand_home("/abs/~x"), std::filesystem::path("/abs/~x"));
    EXPECT_EQ(expand_home("~user/x"), std::filesystem::path("~user/x"));  // another user's home: not ours to guess
}

#if !defined(_WIN32) && !defined(__APPLE__)
TEST(UserDir, AbsoluteXdgVariablesWin) {
    NoOverrides no_overrides;
    EnvVar c("XDG_CONFIG_HOME", "/x/config"), d("XDG_DATA_HOME", "/x/data"), k("XDG_CACHE_HOME", "/x/cache");
    EXPECT_EQ(user_dir(UserDir::config), std::filesystem::path("/x/config/mixscout"));
    EXPECT_EQ(user_dir(UserDir::data), std::filesystem::path("/x/data/mixscout"));
    EXPECT_EQ(user_dir(UserDir::cache), std::filesystem::path("/x/cache/mixscout"));
}

TEST(UserDir, RelativeOrUnsetXdgFallsBackToTheSpecDefaultsUnderHome) {
    NoOverrides no_overrides;
    EnvVar home("HOME", "/home/someone");
    EnvVar c("XDG_CONFIG_HOME", "relative/config"), d("XDG_DATA_HOME", std::nullopt), k("XDG_CACHE_HOME", "");
    EXPECT_EQ(user_dir(UserDir::config), std::filesystem::path("/home/someone/.config/mixscout"));
    EXPECT_EQ(user_dir(UserDir::data), std::filesystem::path("/home/someone/.local/share/mixscout"));
    EXPECT_EQ(user_dir(UserDir::cache), std::filesystem::path("/home/someone/.cache/mixscout"));
}

TEST(UserDir, NoHomeMeansAFolderHere) {
    NoOverrides no_overrides;
    EnvVar home("HOME", std::nullopt);
    EnvVar d("XDG_DATA_HOME", std::nullopt);
    EXPECT_EQ(user_dir(UserDir::data), std::filesystem::path(".mixscout"));
}
#endif

}  // namespace
}  // namespace mixscout
