// `mixscout devices`: the input devices of every compiled audio API.
// `mixscout monitor`: live meters, instant problems and takes from an audio input (Live's master
// output routed into it: README "Live monitoring"). Runs until SIGINT/SIGTERM; the take in
// progress is finished, judged and stored before it exits (also on a proven /mixscout/shutdown
// and, on Windows, the console's stop events).
//
// monitor talks OSC like the daemon, through the same service skeleton (app/service/): every
// message goes to --send HOST:PORT / osc.send and to devices that send /mixscout/hello with the
// token to the --listen port (osc.listen_port).
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/analysis_json.hpp"
#include "app/commands.hpp"
#include "app/service/service.hpp"
#include "audio/capture.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "history/pipeline.hpp"
#include "history/store.hpp"
#include "monitor/monitor.hpp"
#include "monitor/take_outcome.hpp"
#include "osc/endpoint.hpp"
#include "osc/outcome.hpp"

namespace mixscout::app {

namespace {

std::vector<int> parse_channels(const std::string& text) {
    std::vector<int> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        try {
            std::size_t used = 0;
            const int c = std::stoi(item, &used);
            if (used != item.size()) throw std::invalid_argument(item);
            out.push_back(c);
        } catch (const std::exception&) {
            throw InputError("--channels " + text + ": expected L,R (1-based channel numbers, e.g. 1,2) or one channel");
        }
    }
    return out;
}

void run_devices(bool as_json) {
    const auto apis = audio::list_devices();
    if (as_json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& a : apis) {
            nlohmann::json d = {{"api", a.api}, {"name", a.display_name}, {"inputs", nlohmann::json::array()}};
            if (!a.error.empty()) d["error"] = a.error;
            for (const auto& in : a.inputs)
                d["inputs"].push_back({{"index", in.index},
                                       {"name", in.name},
                                       {"input_channels", in.input_channels},
                                       {"sample_rates", in.sample_rates},
                                       {"preferred_sample_rate", in.preferred_sample_rate},
                                       {"default", in.is_default}});
            j.push_back(d);
        }
        std::cout << json_text(j, 2) << "\n";
        return;
    }
    for (const auto& a : apis) {
        std::cout << a.api << " (" << a.display_name << ")";
        if (a.inputs.empty()) {
            std::cout << ": " << (a.error.empty() ? "no input devices" : a.error) << "\n";
            continue;
        }
        std::cout << ":\n";
        for (const auto& in : a.inputs) {
            std::cout << "  " << in.name << " - " << in.input_channels << " input channel(s)";
            if (in.preferred_sample_rate) std::cout << ", " << in.preferred_sample_rate << " Hz";
            if (in.is_default) std::cout << " (default)";
            std::cout << "\n";
        }
    }
    std::cout << "use: mixscout monitor --api API --device NAME [--channels L,R]\n";
}

struct MonitorArgs {
    std::string config;
    std::string api, device, channels, song, profile, data_dir, log_level;
    std::vector<std::string> send;
    int listen = -1;
};

int run_monitor(const MonitorArgs& args) {
    // The service skeleton the daemon uses (app/service/): config, log level, OSC in and out,
    // devices, heartbeat, stop requests. No hot reload: a take is judged with the config it
    // started with.
    service::Flags flags;
    flags.config_file = args.config;
    if (args.listen >= 0) flags.listen_port = args.listen;
    flags.send = args.send;
    flags.log_level = args.log_level;
    service::Service svc(std::move(flags),
                         service::Options{"monitor", false,
                                          " (is the daemon running? then set monitor.enabled in its config); "
                                          "sending to fixed destinations only"});
    const auto cfg_ptr = svc.config();
    const config::Config& cfg = *cfg_ptr;

    monitor::MonitorOptions opts = monitor::monitor_options(cfg);
    if (!args.api.empty()) opts.capture.api = args.api;
    if (!args.device.empty()) opts.capture.device = args.device;
    if (!args.channels.empty()) opts.capture.channels = parse_channels(args.channels);
    if (!args.song.empty()) opts.song = args.song;
    if (!args.profile.empty()) {
        const config::Profile* profile = cfg.settings().profiles.find(args.profile);
        if (!profile) throw InputError("--profile: unknown profile '" + args.profile + "'");
        opts.profile = args.profile;
        opts.live.ceiling_dbtp = profile->ceiling_dbtp;
    }
    audio::validate(opts.capture);

    // History.
    const auto data_dir = history::resolve_data_dir(args.data_dir, cfg);
    std::optional<history::Store> store;
    try {
        store.emplace(history::Store::open(data_dir, history::store_options(cfg)));
    } catch (const StoreError& e) {
        log::error(std::string(e.what()) + " (takes are judged but not stored)");
    }

    osc::Sender& sender = svc.sender();
    monitor::Monitor mon(opts, sender, [&](const monitor::Take& take) {
        const auto o = monitor::process_take(take, cfg, opts.profile, store ? &*store : nullptr, opts.song, data_dir);
        log::info(o.status);
        sender.send_all(osc::export_messages(o));  // back to back, whatever the monitor thread sends meanwhile
    });

    // The other requests belong to the daemon: routed, so the table covers the protocol, and
    // answered with a log line.
    std::vector<service::Route> routes;
    for (const char* address : {"/mixscout/note", "/mixscout/analyze", "/mixscout/reference", "/mixscout/history",
                                "/mixscout/master", "/mixscout/ears", "/mixscout/focus"})
        routes.push_back({address, "s", service::Access::proven, [](const osc::Message& m, const osc::Endpoint&) {
                              log::warn("osc: " + m.address + " is handled by the daemon, not by monitor");
                          }});
    service::Hooks hooks;
    hooks.greet = [&sender](const osc::Endpoint& device) {
        sender.send_to(service::status_message("monitoring", "live monitoring"), device);
    };
    hooks.heartbeat = [&mon]() -> std::optional<osc::Message> {
        const auto s = mon.stats();
        if (!s.sample_rate) return std::nullopt;
        return service::status_message("monitoring", std::to_string(s.takes) + " take(s); " + std::to_string(s.overflows) + " overflow(s)");
    };
    hooks.stopping = [&mon] {
        log::info("finishing the take");
        mon.stop();
    };
    svc.start(std::move(routes), std::move(hooks));

    svc.run([&] {
        std::string dests;
        for (const auto& e : sender.destinations()) dests += (dests.empty() ? "" : ", ") + osc::to_string(e);
        std::fprintf(stderr, "mixscout monitor: listening on %s, sending to %s; history: %s\n", svc.listen_text().c_str(),
                     dests.empty() ? "devices that send /mixscout/hello" : dests.c_str(),
                     store ? store->file().string().c_str() : "unavailable");
        mon.start();
    });
    mon.stop();
    const auto s = mon.stats();
    std::fprintf(stderr,
                 "mixscout monitor: stopped: %llu frames analysed, %llu meters, %llu live issues, %llu takes, "
                 "%llu overflows, %llu driver xruns, %llu streams\n",
                 static_cast<unsigned long long>(s.frames), static_cast<unsigned long long>(s.meters),
                 static_cast<unsigned long long>(s.issues), static_cast<unsigned long long>(s.takes),
                 static_cast<unsigned long long>(s.overflows), static_cast<unsigned long long>(s.driver_xruns),
                 static_cast<unsigned long long>(s.streams));
    sender.send("/mixscout/status", "idle", "monitor stopped");
    return 0;
}

}  // namespace

void add_monitor_commands(CLI::App& app, Context& ctx) {
    auto json = std::make_shared<bool>(false);
    auto* dev = app.add_subcommand("devices", "List the audio input devices of every compiled audio API");
    dev->add_flag("--json", *json, "JSON output");
    dev->callback([json] { run_devices(*json); });

    auto args = std::make_shared<MonitorArgs>();
    auto* cmd = app.add_subcommand(
        "monitor", "Meter and check an audio input live (Live's master routed into it); takes are judged and stored like exports");
    cmd->add_option("--api", args->api, "Audio API: jack | alsa | pulse | core | wasapi (default: monitor.api)");
    cmd->add_option("--device", args->device, "Input device name or part of it (see `mixscout devices`)");
    cmd->add_option("--channels", args->channels, "Input channels L,R (1-based, default 1,2), or one channel for mono");
    cmd->add_option("--send", args->send, "Also send every message to HOST:PORT (repeatable)");
    cmd->add_option("--listen", args->listen, "UDP port for /mixscout/hello (default: osc.listen_port; 0 = any free port)")
        ->check(CLI::Range(0, 65535));
    cmd->add_option("--data-dir", args->data_dir, "History data folder");
    cmd->add_option("--song", args->song, "Takes belong to this song (default: the song of the latest export)");
    cmd->add_option("--profile", args->profile, "Delivery profile for takes (default: monitor.profile / watch.profile)");
    cmd->add_option("--config", args->config, "Config file (default: the user config if it exists)");
    cmd->add_option("--log-level", args->log_level, "debug | info | warn | error | off")
        ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
    cmd->callback([args, &ctx] { ctx.exit_code = run_monitor(*args); });
}

}  // namespace mixscout::app
