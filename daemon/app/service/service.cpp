#include "app/service/service.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app/console_stop.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/user_dirs.hpp"
#include "osc/auth.hpp"
#include "watch/watcher.hpp"

namespace mixscout::app::service {

namespace fs = std::filesystem;
namespace asio = boost::asio;

fs::path default_config_file() { return user_dir(UserDir::config) / "mixscout.yaml"; }

fs::path resolve_config_file(const fs::path& flag) {
    if (!flag.empty()) return flag;
    const fs::path user = default_config_file();
    std::error_code ec;
    return fs::exists(user, ec) ? user : fs::path();
}

osc::Message status_message(const std::string& state, const std::string& message) {
    return osc::make_message("/mixscout/status", state, message);
}

namespace {

/// The service's part of the typed config, with the flags on top: read in one place.
struct Effective {
    std::string log_level;
    std::string listen_host;
    int listen_port = 0;
    std::vector<std::string> allow;
    std::vector<std::string> send;
    std::size_t max_devices = 8;
    double heartbeat_s = 2.0;
};

Effective effective(const config::Config& cfg, const Flags& flags) {
    Effective s;
    s.log_level = flags.log_level.empty() ? cfg.settings().log.level : flags.log_level;
    s.listen_host = cfg.settings().osc.listen_host;
    s.listen_port = flags.listen_port ? *flags.listen_port : cfg.settings().osc.listen_port;
    s.allow = cfg.settings().osc.allow;
    s.send = cfg.settings().osc.send;
    s.send.insert(s.send.end(), flags.send.begin(), flags.send.end());
    s.max_devices = static_cast<std::size_t>(cfg.settings().osc.max_devices);
    s.heartbeat_s = cfg.settings().osc.heartbeat_s;
    return s;
}

void apply_log_level(const std::string& text) {
    log::Level level = log::Level::info;
    if (!log::parse_level(text, level)) throw InputError("log level '" + text + "' is not debug|info|warn|error|off");
    log::set_level(level);
}

}  // namespace

struct Service::Impl {
    Flags flags;
    Options options;
    Hooks hooks;
    fs::path config_file;
    watch::FileState config_state;
    std::unique_ptr<config::Live> live;

    asio::io_context io;
    asio::signal_set signals{io, SIGINT, SIGTERM};
    asio::steady_timer heartbeat_timer{io}, config_timer{io};
    double heartbeat_s = 2.0;
    bool stopping = false;  // I/O thread
    std::atomic<bool> stop_requested{false};

    osc::Sender sender;
    std::unique_ptr<osc::Receiver> receiver;
    std::string listen_host;
    int listen_port = -1;
    std::vector<osc::Endpoint> fixed;
    std::unique_ptr<osc::DeviceRegistry> devices;
    std::unique_ptr<Router> router;
    std::chrono::steady_clock::time_point last_refusal{};  // last reply to a hello without the token
    std::chrono::steady_clock::time_point last_unproven_log{};
    std::uint64_t unproven_dropped = 0;

    Impl(Flags f, Options o) : flags(std::move(f)), options(std::move(o)) {}

    void report_error(const std::string& message) {
        log::error(message);
        sender.send("/mixscout/error", message);
    }

    /// The service's part of a config: log level, socket, allowlist, destinations, devices,
    /// heartbeat. Initial: failures throw; on reload they are reported and the old part stays.
    void apply(const config::Config& cfg, bool initial) {
        const Effective s = effective(cfg, flags);
        apply_log_level(s.log_level);

        osc::ReceiverOptions ro{s.listen_host, s.listen_port, s.allow};
        if (!receiver || s.listen_host != listen_host || s.listen_port != listen_port) {
            try {
                auto r = std::make_unique<osc::Receiver>(io, ro, [this](const osc::Message& m, const osc::Endpoint& from) {
                    dispatch(m, from);
                });
                receiver = std::move(r);
                listen_host = s.listen_host;
                listen_port = s.listen_port;
                if (!initial) log::info("osc: now listening on " + s.listen_host + ":" + std::to_string(receiver->port()));
            } catch (const InputError& e) {
                if (initial && !options.listen_busy_hint.empty() && !flags.listen_port) {
                    log::warn(e.what() + options.listen_busy_hint);
                } else if (initial) {
                    throw;
                } else {
                    report_error(std::string("config: ") + e.what() + "; still listening on " + listen_host + ":" +
                                 (receiver ? std::to_string(receiver->port()) : std::string("-")));
                }
            }
        } else {
            receiver->set_allowlist(ro.allow);
        }

        std::vector<osc::Endpoint> new_fixed;
        for (const auto& text : s.send) {
            try {
                const auto [h, p] = osc::parse_host_port(text, "osc.send");
                new_fixed.push_back(osc::resolve_endpoint(h, p));
            } catch (const InputError& e) {
                if (initial) throw;
                report_error(std::string("config: ") + e.what());
            }
        }
        for (const auto& e : fixed)
            if (std::find(new_fixed.begin(), new_fixed.end(), e) == new_fixed.end()) sender.remove_destination(e);
        sender.set_max_destinations(new_fixed.size() + s.max_devices);
        if (!devices) devices = std::make_unique<osc::DeviceRegistry>(sender, osc::ensure_token(osc::token_file()), s.max_devices);
        devices->set_max_devices(s.max_devices);
        for (const auto& e : new_fixed) sender.add_destination(e);
        fixed = std::move(new_fixed);
        heartbeat_s = s.heartbeat_s;
    }

    // ---- OSC in (I/O thread) --------------------------------------------------------------------

    void dispatch(const osc::Message& m, const osc::Endpoint& from) {
        log::debug("osc: " + m.address + " from " + osc::to_string(from));
        const Route* route = router ? router->find(m.address) : nullptr;
        if (!route) {  // the receiver drops addresses outside the protocol, and the table covers it
            log::warn("osc: " + m.address + " has no route in the " + options.name);
            return;
        }
        // Everything but hello reads or writes the user's files (or stops us): only a proven
        // device may ask, and an unproven sender gets no reply at all (a reply would say
        // whether a path exists).
        if (route->access == Access::proven && !devices->proven(from)) {
            ++unproven_dropped;
            const auto now = std::chrono::steady_clock::now();
            if (now - last_unproven_log >= std::chrono::seconds(1)) {  // a flood must not flood the log
                last_unproven_log = now;
                log::warn("osc: " + m.address + " from " + osc::to_string(from) + " before a hello with the token; dropped (" +
                          std::to_string(unproven_dropped) + " so far)");
            }
            return;
        }
        route->handler(m, from);
    }

    void on_hello(int reply_port, const std::string& token, const osc::Endpoint& from) {
        const auto result = devices->hello(from, reply_port, token);
        if (result == osc::DeviceRegistry::Hello::bad_port) {
            log::warn("osc: /mixscout/hello with reply port " + std::to_string(reply_port) + " from " +
                      osc::to_string(from) + "; dropped");
            return;
        }
        const osc::Endpoint device(from.address(), static_cast<unsigned short>(reply_port));
        if (result == osc::DeviceRegistry::Hello::bad_token) {
            // Says only what the device needs to show; nothing about files or songs. At most one
            // such reply (and log line) a second: a flood of bad hellos gets no flood back.
            const auto now = std::chrono::steady_clock::now();
            if (now - last_refusal < std::chrono::seconds(1)) return;
            last_refusal = now;
            log::warn("osc: /mixscout/hello from " + osc::to_string(from) + " without the right token; not registered");
            sender.send_to(status_message("error", "not authorised: the device must send the token in " +
                                                       osc::token_file().string()), device);
            return;
        }
        if (result == osc::DeviceRegistry::Hello::registered) log::info("osc: device registered at " + osc::to_string(device));
        if (hooks.greet) hooks.greet(device);
    }

    // ---- loops (I/O thread) ---------------------------------------------------------------------

    void poll_config() {
        config_timer.expires_after(std::chrono::milliseconds(300));
        config_timer.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping) return;
            watch::FileState now;
            if (watch::stat_file(config_file, now) && !(now == config_state)) {
                config_state = now;
                const auto problems = live->reload();
                if (!problems.empty()) {
                    std::string text = problems.front().to_string();
                    if (problems.size() > 1) text += " (+" + std::to_string(problems.size() - 1) + " more)";
                    report_error("config rejected, keeping the last good config: " + text);
                } else {
                    log::info("config: reloaded " + config_file.string());
                    const auto cfg = live->current();
                    apply(*cfg, false);
                    if (hooks.reloaded) hooks.reloaded(*cfg);
                }
            }
            poll_config();
        });
    }

    void heartbeat_loop() {
        heartbeat_timer.expires_after(steady_seconds(heartbeat_s));
        heartbeat_timer.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping) return;
            if (hooks.heartbeat)
                if (auto m = hooks.heartbeat()) sender.send(*m);
            heartbeat_loop();
        });
    }

    void stop_now() {
        if (stopping) return;
        stopping = true;
        if (hooks.stopping) hooks.stopping();
        if (receiver) receiver->close();
        heartbeat_timer.cancel();
        config_timer.cancel();
        boost::system::error_code ec;
        signals.cancel(ec);
        io.stop();
    }
};

Service::Service(Flags flags, Options options) : impl_(std::make_unique<Impl>(std::move(flags), std::move(options))) {
#ifdef SIGPIPE
    // A long-running service treats a peer that hung up as an error, never as the end of the
    // process. libjack (jack2 1.9.21, Linux) writes to its server's socket with write(): when the
    // server dies, the client's RT thread deactivates over that socket before it marks the server
    // gone, and a server that already closed it raised SIGPIPE, whose default action ended the
    // monitor without a word (CI: MonitorJack.ServerGoneIsReportedAndMonitoringResumes).
    std::signal(SIGPIPE, SIG_IGN);
#endif
    auto& s = *impl_;
    s.config_file = resolve_config_file(s.flags.config_file);
    s.live = std::make_unique<config::Live>(s.config_file);  // throws ConfigError: refuse to start
    if (!s.config_file.empty()) watch::stat_file(s.config_file, s.config_state);
    apply_log_level(effective(*s.live->current(), s.flags).log_level);
}

Service::~Service() = default;

asio::io_context& Service::io() { return impl_->io; }
osc::Sender& Service::sender() { return impl_->sender; }
std::shared_ptr<const config::Config> Service::config() const { return impl_->live->current(); }
const fs::path& Service::config_file() const { return impl_->config_file; }
bool Service::stopping() const { return impl_->stop_requested.load(); }

void Service::start(std::vector<Route> routes, Hooks hooks) {
    auto& s = *impl_;
    s.hooks = std::move(hooks);
    routes.push_back({"/mixscout/hello", "is", Access::anyone, [&s](const osc::Message& m, const osc::Endpoint& from) {
                          s.on_hello(m.int_arg(0), m.string_arg(1), from);
                      }});
    routes.push_back({"/mixscout/shutdown", "", Access::proven, [&s](const osc::Message&, const osc::Endpoint& from) {
                          log::info("osc: /mixscout/shutdown from " + osc::to_string(from));
                          s.stop_requested = true;
                          s.stop_now();
                      }});
    s.router = std::make_unique<Router>(std::move(routes));  // throws on a mismatch with the protocol
    s.apply(*s.live->current(), true);
}

void Service::run(const std::function<void()>& started) {
    auto& s = *impl_;
    s.signals.async_wait([&s](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        log::info(std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM"));
        s.stop_requested = true;
        s.stop_now();
    });
    const ConsoleStop console_stop([this] { request_stop(); });  // Windows: Ctrl+C, window closed, logoff
    if (s.options.hot_reload && !s.config_file.empty()) s.poll_config();
    s.heartbeat_loop();
    if (started) started();
    if (!s.stopping) s.io.run();  // until stop_now()
}

void Service::request_stop() {
    impl_->stop_requested = true;
    asio::post(impl_->io, [this] { impl_->stop_now(); });
}

const Router& Service::router() const {
    if (!impl_->router) throw std::logic_error("Service::router() before start()");
    return *impl_->router;
}

std::string Service::listen_text() const {
    const auto& s = *impl_;
    return s.receiver ? s.listen_host + ":" + std::to_string(s.receiver->port()) : "-";
}

std::vector<osc::Endpoint> Service::fixed_destinations() const { return impl_->fixed; }

void Service::report_error(const std::string& message) { impl_->report_error(message); }

}  // namespace mixscout::app::service
