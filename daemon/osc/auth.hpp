// mixscout osc: who may drive the daemon. Any local process can send UDP to 127.0.0.1, so a
// sender proves it can read a user-only file: the daemon keeps a random token in
// <config folder>/osc-token (core/user_dirs.hpp; mode 0600 on POSIX), the device reads it with
// Max's js File object and sends it in /mixscout/hello. A sender (its source address and port)
// that said hello with the right token is *proven*; only proven senders are registered as
// devices, get results and may make the daemon read or write files. Everything else is dropped
// without a reply, so nothing reveals whether a path exists.
//
// DeviceRegistry is that rule in one place, shared by `mixscout daemon` and `mixscout monitor`.
// Not thread-safe: call it on the receiving io_context's thread.
#pragma once
#include <cstddef>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "osc/endpoint.hpp"

namespace mixscout::osc {

/// <user config folder>/osc-token: where the daemon keeps the token and the device reads it
/// (macOS ~/Library/Application Support/mixscout/osc-token, Windows %APPDATA%\mixscout\osc-token,
/// Linux $XDG_CONFIG_HOME/mixscout/osc-token).
std::filesystem::path token_file();

/// 32 lowercase hex digits (128 bits) from the OS's CSPRNG (/dev/urandom on POSIX,
/// BCryptGenRandom on Windows). Throws std::runtime_error when no
/// CSPRNG is available rather than making a guessable token.
std::string random_token();

/// The token in `file` if it holds a well-formed one (and, on POSIX, is a regular file only the
/// user can read or write; on Windows, its DACL lets no other user read it:
/// SYSTEM and administrators aside); nullopt otherwise.
std::optional<std::string> read_token(const std::filesystem::path& file);

/// The token in force: the existing one in `file` if it is valid, else a new one written there
/// (folder created, file created 0600 — on Windows with a protected DACL allowing the user only —
/// and moved into place atomically; when two processes race,
/// both end up with the one that landed). Throws InputError naming the file if it cannot be written.
std::string ensure_token(const std::filesystem::path& file);

/// Equal tokens, compared in time independent of where they differ.
bool same_token(std::string_view a, std::string_view b);

class DeviceRegistry {
public:
    /// `sender` gets the registered devices as destinations; at most `max_devices` of them.
    DeviceRegistry(Sender& sender, std::string token, std::size_t max_devices = 8);

    enum class Hello { registered, known, bad_port, bad_token };
    /// A /mixscout/hello from `from` with (reply_port, token). A good token proves `from` and
    /// registers from.address():reply_port (the oldest proven device makes room when full); a bad
    /// one changes nothing: an unproven hello can never push a proven device off the list.
    Hello hello(const Endpoint& from, int reply_port, std::string_view token);
    /// Whether `from` said hello with the right token (and is still registered).
    bool proven(const Endpoint& from) const;
    /// Where the device that sent from `from` listens (nullopt when not proven).
    std::optional<Endpoint> reply_endpoint(const Endpoint& from) const;

    void set_max_devices(std::size_t max_devices);
    std::size_t size() const { return devices_.size(); }
    const std::string& token() const { return token_; }

private:
    struct Device {
        Endpoint from;   // the socket the device sends from
        Endpoint reply;  // where it listens
        bool added;      // whether we made `reply` a destination (a fixed osc.send one stays)
    };
    void evict_oldest();
    Sender& sender_;
    std::string token_;
    std::size_t max_devices_;
    std::deque<Device> devices_;  // oldest first
};

}  // namespace mixscout::osc
