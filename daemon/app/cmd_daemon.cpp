// `mixscout daemon`: watch Live's export folders, analyse each export, push the fixes over OSC.
#include <cstdio>

#include "app/commands.hpp"
#include "app/daemon.hpp"
#include "app/fft_wisdom.hpp"
#include "app/service/service.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "osc/auth.hpp"
#include "osc/endpoint.hpp"

namespace mixscout::app {

void add_daemon_command(CLI::App& app, Context& ctx) {
    struct Args {
        std::string config;
        std::vector<std::string> watch;
        int listen = -1;
        std::vector<std::string> send;
        std::string data_dir;
        std::string log_level;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand(
        "daemon", "Watch the export folders, analyse every export, send the top three fixes over OSC (runs until SIGINT/SIGTERM or `mixscout stop`)");
    cmd->add_option("--config", args->config, "Config file (reloaded when it changes); default: the user config if it exists");
    cmd->add_option("--watch", args->watch, "Folder to watch (repeatable); replaces watch.folders");
    cmd->add_option("--listen", args->listen, "UDP port to listen on, at osc.listen_host (0 = any free port)")
        ->check(CLI::Range(0, 65535));
    cmd->add_option("--send", args->send, "Also send every message to HOST:PORT (repeatable)");
    cmd->add_option("--data-dir", args->data_dir, "History data folder");
    cmd->add_option("--log-level", args->log_level, "debug | info | warn | error | off; replaces log.level")
        ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
    cmd->callback([args, &ctx] {
        DaemonFlags flags;
        flags.config_file = args->config;
        for (const auto& w : args->watch) flags.watch.emplace_back(w);
        if (args->listen >= 0) flags.listen_port = args->listen;
        for (const auto& s : args->send) {
            osc::parse_host_port(s, "--send");  // a typo is refused before anything starts
            flags.send.push_back(s);
        }
        flags.data_dir = args->data_dir;
        flags.log_level = args->log_level;
        BackgroundTune tune;  // first start only: measure FFT plans while the daemon runs
        Daemon daemon(std::move(flags));
        ctx.exit_code = daemon.run();
    });

    // `mixscout stop`: /mixscout/shutdown to the daemon's listen port (Windows has no SIGTERM).
    struct StopArgs {
        std::string config;
        int port = -1;
    };
    auto stop_args = std::make_shared<StopArgs>();
    auto* stop = app.add_subcommand("stop", "Ask the running daemon to finish its queued work and stop (OSC /mixscout/shutdown)");
    stop->add_option("--config", stop_args->config, "Config file whose osc.listen_host/listen_port to use; default: the user config if it exists");
    stop->add_option("--port", stop_args->port, "The daemon's UDP port; replaces osc.listen_port")->check(CLI::Range(1, 65535));
    stop->callback([stop_args, &ctx] {
        const std::filesystem::path file = service::resolve_config_file(stop_args->config);
        const config::Config cfg = file.empty() ? config::Config::defaults() : config::Config::load(file);
        std::string host = cfg.settings().osc.listen_host;
        if (host == "0.0.0.0") host = "127.0.0.1";  // listening everywhere: reach it here
        const int port = stop_args->port > 0 ? stop_args->port : cfg.settings().osc.listen_port;
        osc::Sender sender;
        const osc::Endpoint daemon = osc::resolve_endpoint(host, port);
        // The daemon obeys proven senders only: hello with the token first, from the same socket.
        const auto token = osc::read_token(osc::token_file());
        if (!token) throw InputError(osc::token_file().string() + ": no OSC token (is the daemon running as this user?)");
        sender.send_to(osc::make_message("/mixscout/hello", 9, *token), daemon);  // replies to the discard port
        if (!sender.send_to(osc::make_message("/mixscout/shutdown"), daemon))
            throw InputError("cannot send /mixscout/shutdown to " + osc::to_string(daemon));
        std::printf("sent /mixscout/shutdown to %s\n", osc::to_string(daemon).c_str());
        ctx.exit_code = 0;
    });
}

}  // namespace mixscout::app
