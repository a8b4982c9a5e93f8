// OSC authentication (osc/auth.hpp): the token file, and the registry that only proven senders
// enter. The file's mode is read back with stat(2) (on Windows its DACL, as SDDL text); the
// registry's destinations are checked by sending to real oscdump receivers.
#include <gtest/gtest.h>

#ifndef _WIN32
#include <sys/stat.h>
#else
#ifndef WIN32_LEAN_AND_MEAN  // no winsock.h: Asio (in the same unity file) wants winsock2.h
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
#endif

#include <fstream>
#include <regex>
#include <set>
#include <vector>

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
#else
std::wstring user_sid() {
    HANDLE token = nullptr;
    EXPECT_TRUE(::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token));
    DWORD size = 0;
    ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    std::vector<unsigned char> buf(size);
    EXPECT_TRUE(::GetTokenInformation(token, TokenUser, buf.data(), size, &size));
    ::CloseHandle(token);
    LPWSTR text = nullptr;
    EXPECT_TRUE(::ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid, &text));
    std::wstring out = text;
    ::LocalFree(text);
    return out;
}
// The file's DACL as SDDL text, e.g. "D:P(A;;FA;;;S-1-5-21-...)".
std::string dacl_of(const fs::path& p) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    EXPECT_EQ(::GetNamedSecurityInfoW(p.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, nullptr,
                                      nullptr, &sd),
              static_cast<DWORD>(ERROR_SUCCESS));
    LPSTR text = nullptr;
    EXPECT_TRUE(::ConvertSecurityDescriptorToStringSecurityDescriptorA(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION,
                                                                       &text, nullptr));
    std::string out = text ? text : "";
    ::LocalFree(text);
    ::LocalFree(sd);
    return out;
}
std::string narrow(const std::wstring& w) { return std::string(w.begin(), w.end()); }  // SIDs are ASCII
#endif
osc::Endpoint loopback(int port) { return osc::resolve_endpoint("127.0.0.1", port); }
}  // namespace

TEST(OscAuth, TokenFileIsUserOnlyAndKept) {
    test::TempDir dir;
    const auto file = dir / "sub" / "osc-token";
    const std::string token = osc::ensure_token(file);
    EXPECT_EQ(token.size(), 32u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
#ifndef _WIN32
    EXPECT_EQ(mode_of(file), 0600u);
#else
    // No mode bits: every ACE allows the user, SYSTEM (SY) or the administrators (BA) and no one
    // else. ensure_token writes "D:P(A;;FA;;;<user>)"; wine without xattrs keeps no DACL and
    // derives one from the Unix mode, "D:(A;;FA;;;SY)(A;;FA;;;<user>)".
    const std::string dacl = dacl_of(file), user = narrow(user_sid());
    EXPECT_NE(dacl.find(";;;" + user + ")"), std::string::npos) << dacl;
    static const std::regex ace(R"(\((A|D);[^;]*;[^;]*;[^;]*;[^;]*;([^)]*)\))");
    for (auto it = std::sregex_iterator(dacl.begin(), dacl.end(), ace); it != std::sregex_iterator(); ++it) {
        const std::string who = (*it)[2];
        if ((*it)[1] == "A") {
            EXPECT_TRUE(who == user || who == "SY" || who == "BA") << dacl;
        }
    }
    EXPECT_EQ(dacl.rfind("D:", 0), 0u) << dacl;
#endif
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, token);
    EXPECT_EQ(osc::ensure_token(file), token);  // a restart keeps it: a device that read it stays proven
}

TEST(OscAuth, TokenReadableByOthersIsReplaced) {
    test::TempDir dir;
    const auto file = dir / "osc-token";
    const std::string first = osc::ensure_token(file);
#ifndef _WIN32
    fs::permissions(file, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
#else  // Everyone (WD) may read it too
    const std::string private_dacl = dacl_of(file);
    PSECURITY_DESCRIPTOR sd = nullptr;
    const std::wstring sddl = L"D:P(A;;FA;;;" + user_sid() + L")(A;;FR;;;WD)";
    ASSERT_TRUE(::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &sd, nullptr));
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    ASSERT_TRUE(::GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted));
    ASSERT_EQ(::SetNamedSecurityInfoW(const_cast<wchar_t*>(file.c_str()), SE_FILE_OBJECT,
                                      DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                      dacl, nullptr),
              static_cast<DWORD>(ERROR_SUCCESS));
    ::LocalFree(sd);
    ASSERT_NE(dacl_of(file), private_dacl);
#endif
    EXPECT_FALSE(osc::read_token(file).has_value());
    const std::string second = osc::ensure_token(file);
    EXPECT_NE(second, first);
#ifndef _WIN32
    EXPECT_EQ(mode_of(file), 0600u);
#else
    EXPECT_EQ(dacl_of(file), private_dacl);
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
