// OSC authentication (osc/auth.hpp): the token file, and the registry that only proven senders
// enter. The file's mode is read back with stat(2); the registry's destinations are checked by
// sending to real oscdump receivers.
#include <gtest/gtest.h>

#ifndef _WIN32
#include <sys/stat.h>
#endif

#include <fstream>
#include <set>

#include "osc/auth.hpp"
#include "support/process.hpp"
#include "support/signals.hpp"

using namespace mixscout;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {
#ifndef _WIN32
unsigned mode_of(const fs::path& p) {
    struct stat st{};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 0777;
}
#endif
osc::Endpoint loopback(int port) { return osc::resolve_endpoint("127.0.0.1", port); }
}  // namespace

TEST(OscAuth, TokenFileIsUserOnlyAndKept) {
    test::TempDir dir;
    const auto file = dir / "sub" / "osc-token";
    const std::string token = osc::ensure_token(file);
    EXPECT_EQ(token.size(), 32u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
#ifndef _WIN32  // Windows: the profile folder's ACL, no mode bits
    EXPECT_EQ(mode_of(file), 0600u);
#endif
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, token);
    EXPECT_EQ(osc::ensure_token(file), token);  // a restart keeps it: a device that read it stays proven
}

TEST(OscAuth, TokenReadableByOthersIsReplaced) {
#ifdef _WIN32
    GTEST_SKIP() << "POSIX permission bits; on Windows the token's privacy is the profile folder's ACL";
#else
    test::TempDir dir;
    const auto file = dir / "osc-token";
    const std::string first = osc::ensure_token(file);
    fs::permissions(file, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
    EXPECT_FALSE(osc::read_token(file).has_value());
    const std::string second = osc::ensure_token(file);
    EXPECT_NE(second, first);
    EXPECT_EQ(mode_of(file), 0600u);
#endif
}

TEST(OscAuth, TokensAreDistinct) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) seen.insert(osc::random_token());
    EXPECT_EQ(seen.size(), 1000u);
}

TEST(OscAuth, UnprovenHellosNeverPushAProvenDeviceOff) {
    osc::Sender sender;
    osc::DeviceRegistry devices(sender, osc::random_token(), 2);
    test::OscDump real;
    const auto real_from = loopback(40001);
    ASSERT_EQ(devices.hello(real_from, real.port(), devices.token()), osc::DeviceRegistry::Hello::registered);
    // The audit's case: many hellos from other ports, without the token (or a wrong one).
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(devices.hello(loopback(41000 + i), 42000 + i, i % 2 ? "" : osc::random_token()),
                  osc::DeviceRegistry::Hello::bad_token);
        EXPECT_FALSE(devices.proven(loopback(41000 + i)));
    }
    EXPECT_TRUE(devices.proven(real_from));
    EXPECT_EQ(devices.size(), 1u);
    // The real device still gets what the daemon sends.
    ASSERT_TRUE(sender.send("/mixscout/status", "idle", "still yours"));
    ASSERT_TRUE(real.wait_for("/mixscout/status", 1, 10s));
    EXPECT_EQ(real.with_address("/mixscout/status")[0].args[1], "still yours");
    // Proven devices do share the list: the oldest makes room.
    test::OscDump second, third;
    EXPECT_EQ(devices.hello(loopback(40002), second.port(), devices.token()), osc::DeviceRegistry::Hello::registered);
    EXPECT_EQ(devices.hello(loopback(40003), third.port(), devices.token()), osc::DeviceRegistry::Hello::registered);
    EXPECT_FALSE(devices.proven(real_from));
    EXPECT_EQ(sender.destinations().size(), 2u);
    // Same device again: known, nothing added.
    EXPECT_EQ(devices.hello(loopback(40003), third.port(), devices.token()), osc::DeviceRegistry::Hello::known);
    EXPECT_EQ(devices.hello(loopback(40003), 0, devices.token()), osc::DeviceRegistry::Hello::bad_port);
}
