#include "osc/auth.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <system_error>

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#else
#ifndef WIN32_LEAN_AND_MEAN  // no winsock.h: Asio (in the same unity file) wants winsock2.h
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <aclapi.h>
#include <bcrypt.h>
#include <sddl.h>
#include <vector>
#endif

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/user_dirs.hpp"

namespace mixscout::osc {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kTokenBytes = 16;

bool well_formed(std::string_view t) {
    return t.size() == 2 * kTokenBytes &&
           std::all_of(t.begin(), t.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string hex(const unsigned char* bytes, std::size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

#if defined(_WIN32)
// Windows has no mode bits: the token's privacy is its DACL. ensure_token writes the file with a
// protected DACL (nothing inherited from the folder) that allows the current user only;
// read_token refuses a file whose DACL lets anyone else read it (SYSTEM and administrators aside).
struct UserSid {
    std::vector<unsigned char> buffer;  // TOKEN_USER, whose Sid points into this buffer
    PSID sid() const { return buffer.empty() ? nullptr : reinterpret_cast<const TOKEN_USER*>(buffer.data())->User.Sid; }
};

UserSid current_user() {
    UserSid out;
    HANDLE token = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return out;
    DWORD size = 0;
    ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    out.buffer.resize(size);
    if (size == 0 || !::GetTokenInformation(token, TokenUser, out.buffer.data(), size, &size)) out.buffer.clear();
    ::CloseHandle(token);
    return out;
}

bool only_user_can_read(const fs::path& file) {
    const UserSid user = current_user();
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!user.sid() || ::GetNamedSecurityInfoW(file.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                               &dacl, nullptr, &sd) != ERROR_SUCCESS)
        return false;
    bool ok = dacl != nullptr;  // a null DACL grants everyone everything
    for (DWORD i = 0; ok && i < dacl->AceCount; ++i) {
        void* ace = nullptr;
        if (!::GetAce(dacl, i, &ace)) ok = false;
        else if (static_cast<ACE_HEADER*>(ace)->AceType == ACCESS_ALLOWED_ACE_TYPE) {
            const auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(ace);
            const bool reads = (allowed->Mask & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL)) != 0;
            PSID sid = const_cast<DWORD*>(&allowed->SidStart);
            // SYSTEM and the administrators can read every file anyway (and %APPDATA% grants them).
            const bool user_or_os = ::EqualSid(sid, user.sid()) || ::IsWellKnownSid(sid, WinLocalSystemSid) ||
                                    ::IsWellKnownSid(sid, WinBuiltinAdministratorsSid);
            if (reads && !user_or_os) ok = false;
        }
    }
    ::LocalFree(sd);
    return ok;
}

// Creates `path` (it must not exist) holding `text`, readable and writable by the current user only.
bool write_private(const fs::path& path, const std::string& text) {
    const UserSid user = current_user();
    LPWSTR sid_text = nullptr;
    if (!user.sid() || !::ConvertSidToStringSidW(user.sid(), &sid_text)) return false;
    const std::wstring sddl = L"D:P(A;;FA;;;" + std::wstring(sid_text) + L")";  // protected; full access: the user
    ::LocalFree(sid_text);
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &sd, nullptr)) return false;
    SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
    const HANDLE h = ::CreateFileW(path.c_str(), GENERIC_WRITE, 0, &sa, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
    ::LocalFree(sd);
    if (h == INVALID_HANDLE_VALUE) return false;
    DWORD written = 0;
    const bool ok = ::WriteFile(h, text.data(), static_cast<DWORD>(text.size()), &written, nullptr) && written == text.size();
    ::CloseHandle(h);
    if (!ok) ::DeleteFileW(path.c_str());
    return ok;
}
#endif

}  // namespace

fs::path token_file() { return user_dir(UserDir::config) / "osc-token"; }

std::string random_token() {
    unsigned char bytes[kTokenBytes];
#if !defined(_WIN32)
    std::FILE* f = std::fopen("/dev/urandom", "rb");
    const bool ok = f && std::fread(bytes, 1, sizeof bytes, f) == sizeof bytes;
    if (f) std::fclose(f);
    if (!ok) throw std::runtime_error("cannot read /dev/urandom for the OSC token");
#else
    // The OS CSPRNG itself: MinGW's std::random_device (rand_s) reports entropy() == 0, so it
    // cannot be told apart from a seeded PRNG and would be refused.
    if (!BCRYPT_SUCCESS(::BCryptGenRandom(nullptr, bytes, sizeof bytes, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
        throw std::runtime_error("BCryptGenRandom failed; no OSC token");
#endif
    return hex(bytes, sizeof bytes);
}

std::optional<std::string> read_token(const fs::path& file) {
#if !defined(_WIN32)
    struct stat st{};
    if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 || st.st_uid != ::getuid())
        return std::nullopt;
#else
    if (!only_user_can_read(file)) return std::nullopt;
#endif
    std::ifstream in(file, std::ios::binary);
    char buf[2 * kTokenBytes + 4] = {};
    in.read(buf, sizeof buf);
    std::string t(buf, static_cast<std::size_t>(in.gcount()));
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    if (!well_formed(t)) return std::nullopt;
    return t;
}

std::string ensure_token(const fs::path& file) {
    if (auto t = read_token(file)) return *t;
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    const std::string token = random_token();
    const fs::path tmp = file.parent_path() / (".osc-token." + random_token().substr(0, 8));
    auto fail = [&](const std::string& why) { return InputError(file.string() + ": cannot write the OSC token: " + why); };
#if !defined(_WIN32)
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw fail(std::generic_category().message(errno));
    const std::string text = token + "\n";
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!written) {
        ::unlink(tmp.c_str());
        throw fail("short write");
    }
    // link() does not replace: if another process got there first, use its token.
    if (::link(tmp.c_str(), file.c_str()) != 0) {
        const int err = errno;
        if (err == EEXIST) {
            if (auto theirs = read_token(file)) {
                ::unlink(tmp.c_str());
                return *theirs;
            }
            // Malformed or readable by others: replace it.
            if (::rename(tmp.c_str(), file.c_str()) == 0) return token;
        }
        ::unlink(tmp.c_str());
        throw fail(std::generic_category().message(err));
    }
    ::unlink(tmp.c_str());
#else
    if (!write_private(tmp, token + "\n")) throw fail(std::system_category().message(static_cast<int>(::GetLastError())));
    fs::rename(tmp, file, ec);  // MoveFileEx: the file keeps its own DACL
    if (ec) throw fail(ec.message());
#endif
    log::info("osc: new token in " + file.string());
    return token;
}

bool same_token(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

// ---- DeviceRegistry ----------------------------------------------------------------------------

DeviceRegistry::DeviceRegistry(Sender& sender, std::string token, std::size_t max_devices)
    : sender_(sender), token_(std::move(token)), max_devices_(std::max<std::size_t>(1, max_devices)) {}

DeviceRegistry::Hello DeviceRegistry::hello(const Endpoint& from, int reply_port, std::string_view token) {
    if (reply_port < 1 || reply_port > 65535) return Hello::bad_port;
    if (token_.empty() || !same_token(token, token_)) return Hello::bad_token;
    const Endpoint reply(from.address(), static_cast<unsigned short>(reply_port));
    // The same device again (or a new socket of it, or a new reply port): one entry.
    auto it = std::find_if(devices_.begin(), devices_.end(), [&](const Device& d) { return d.from == from || d.reply == reply; });
    if (it != devices_.end()) {
        if (it->reply == reply) {
            it->from = from;
            return Hello::known;
        }
        if (it->added) sender_.remove_destination(it->reply);
        devices_.erase(it);
    }
    while (devices_.size() >= max_devices_) evict_oldest();
    const bool added = sender_.add_destination(reply);
    devices_.push_back({from, reply, added});
    return Hello::registered;
}

bool DeviceRegistry::proven(const Endpoint& from) const {
    return std::any_of(devices_.begin(), devices_.end(), [&](const Device& d) { return d.from == from; });
}

std::optional<Endpoint> DeviceRegistry::reply_endpoint(const Endpoint& from) const {
    for (const auto& d : devices_)
        if (d.from == from) return d.reply;
    return std::nullopt;
}

void DeviceRegistry::set_max_devices(std::size_t max_devices) {
    max_devices_ = std::max<std::size_t>(1, max_devices);
    while (devices_.size() > max_devices_) evict_oldest();
}

void DeviceRegistry::evict_oldest() {
    if (devices_.empty()) return;
    if (devices_.front().added) sender_.remove_destination(devices_.front().reply);
    log::info("osc: device at " + to_string(devices_.front().reply) + " dropped (more than " + std::to_string(max_devices_) +
              " devices)");
    devices_.pop_front();
}

}  // namespace mixscout::osc
