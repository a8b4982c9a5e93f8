// mixscout app/service: the skeleton every long-running command shares (`mixscout daemon`,
// `mixscout monitor`), in the spirit of MPD's main loop:
//
//   - config: --config FILE, else the user's mixscout.yaml if it exists, else the shipped
//     defaults; with hot_reload, the file is polled and a good edit swapped in (a broken one is
//     refused with file:line:col in the log and over OSC, the last good config stays);
//   - logging: log.level, or --log-level;
//   - OSC: one Sender (osc.send + --send, and every proven device), one Receiver on
//     osc.listen_host:osc.listen_port (or --listen), re-bound when a reload moves it;
//   - devices: /mixscout/hello with the token registers a device (osc/auth.hpp), which then
//     gets the owner's greeting; a wrong token gets one "not authorised" status a second;
//   - dispatch: the owner's route table plus the service's own hello and shutdown routes,
//     checked against protocol/osc.json at start-up (routes.hpp);
//   - heartbeat: the owner's status every osc.heartbeat_s;
//   - stop: SIGINT/SIGTERM, the console's stop events on Windows (console_stop.hpp) and a
//     proven /mixscout/shutdown all end in one on_stop, on the I/O thread.
//
// Threading: everything runs on io() (the I/O thread, inside run()); sender() and
// report_error() may be used from any thread; request_stop() too.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "app/service/routes.hpp"
#include "osc/endpoint.hpp"

namespace mixscout::config {
class Config;
}

namespace mixscout::app::service {

/// The user's config file when --config is not given: mixscout.yaml in user_dir(UserDir::config)
/// (core/user_dirs.hpp: ~/.config/mixscout on Linux, ~/Library/Application Support/mixscout on
/// macOS, %APPDATA%\mixscout on Windows).
std::filesystem::path default_config_file();

/// --config if given, else default_config_file() if it exists, else empty (the shipped defaults).
std::filesystem::path resolve_config_file(const std::filesystem::path& flag);

/// Command-line settings that override the config file.
struct Flags {
    std::filesystem::path config_file;  ///< empty: resolve_config_file()
    std::optional<int> listen_port;     ///< replaces osc.listen_port (0 = any free port)
    std::vector<std::string> send;      ///< HOST:PORT, added to osc.send
    std::string log_level;              ///< replaces log.level
};

struct Options {
    std::string name = "daemon";  ///< what runs: "daemon" | "monitor"
    bool hot_reload = true;       ///< poll the config file and apply edits
    /// When non-empty and --listen was not given, a port that cannot be bound is a warning
    /// (what() + this hint) and the service runs without a receiver, instead of an error.
    std::string listen_busy_hint;
};

/// What the owner adds to the skeleton. Every hook runs on the I/O thread.
struct Hooks {
    /// The heartbeat's message (nullopt: skip this beat).
    std::function<std::optional<osc::Message>()> heartbeat;
    /// After a proven hello from a device that listens at `device`.
    std::function<void(const osc::Endpoint& device)> greet;
    /// After a good config reload, once the service applied its own part (log, OSC).
    std::function<void(const config::Config& config)> reloaded;
    /// A stop was asked for; the service then closes its socket and timers and stops io().
    std::function<void()> stopping;
};

class Service {
public:
    /// Resolves and loads the config (throws ConfigError on a broken file) and sets the log level
    /// (throws InputError on a bad --log-level).
    Service(Flags flags, Options options);
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    boost::asio::io_context& io();
    osc::Sender& sender();
    /// The config in force (cheap; safe from any thread).
    std::shared_ptr<const config::Config> config() const;
    /// The file the config came from; empty: the shipped defaults.
    const std::filesystem::path& config_file() const;

    /// Opens OSC with the owner's routes (plus the service's hello and shutdown): checks them
    /// against protocol/osc.json, binds the receiver, sets the destinations. Throws InputError.
    void start(std::vector<Route> routes, Hooks hooks);
    /// Runs io() until a stop: `started` is called once the loops are set up.
    void run(const std::function<void()>& started = {});
    /// Asks for a stop (thread-safe). The owner's `stopping` hook runs on the I/O thread.
    void request_stop();
    bool stopping() const;

    /// The route table in force (after start()).
    const Router& router() const;
    /// "HOST:PORT" the receiver listens on, or "-" without one.
    std::string listen_text() const;
    /// osc.send and --send.
    std::vector<osc::Endpoint> fixed_destinations() const;
    /// Logs `message` as an error and sends it to the devices as /mixscout/error (any thread).
    void report_error(const std::string& message);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// A /mixscout/status message.
osc::Message status_message(const std::string& state, const std::string& message);

}  // namespace mixscout::app::service
