// The daemon's set-up, run and stop, the state the heartbeat shows and what goes to the device.
// The service skeleton (app/service/) does config, OSC, devices, heartbeat and stop requests;
// daemon_requests.cpp, daemon_watch.cpp and daemon_work.cpp do the rest (daemon.hpp).
#include "app/daemon.hpp"

#include <cstdio>

#include <boost/asio/post.hpp>

#include "app/daemon_impl.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "history/pipeline.hpp"
#include "monitor/take_outcome.hpp"
#include "osc/outcome.hpp"

namespace mixscout::app {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

service::Flags service_flags(const DaemonFlags& f) {
    service::Flags s;
    s.config_file = f.config_file;
    s.listen_port = f.listen_port;
    s.send = f.send;
    s.log_level = f.log_level;
    return s;
}

}  // namespace

Daemon::Impl::Impl(DaemonFlags f, ExportStep s)
    : flags(std::move(f)), step(std::move(s)), svc(service_flags(flags), service::Options{"daemon", true, ""}) {}

std::vector<service::Route> Daemon::Impl::routes() {
    using service::Access;
    auto text = [](void (Impl::*handler)(const std::string&), Impl* self) {
        return [self, handler](const osc::Message& m, const osc::Endpoint&) { (self->*handler)(m.string_arg(0)); };
    };
    auto file_request = [this](Job::Kind kind) {
        return [this, kind](const osc::Message& m, const osc::Endpoint&) { on_file_request(kind, m.string_arg(0)); };
    };
    return {
        {"/mixscout/note", "s", Access::proven, text(&Impl::on_note, this)},
        {"/mixscout/ears", "s", Access::proven, text(&Impl::on_ears, this)},
        {"/mixscout/history", "s", Access::proven, text(&Impl::on_history, this)},
        {"/mixscout/focus", "s", Access::proven, text(&Impl::on_focus, this)},
        {"/mixscout/analyze", "s", Access::proven, file_request(Job::Kind::analyze_request)},
        {"/mixscout/reference", "s", Access::proven, file_request(Job::Kind::reference)},
        {"/mixscout/master", "s", Access::proven, file_request(Job::Kind::master)},
    };
}

// The heartbeat repeats this every few seconds, so it must not say "idle" over the monitor's
// "monitoring" while a stream is open.
std::string Daemon::Impl::state() const {
    if (running.running(Job::Kind::master) > 0) return "mastering";
    if (running.running() > 0) return "analysing";
    return live_monitor && live_monitor->capturing() ? "monitoring" : "idle";
}

osc::Message Daemon::Impl::heartbeat_status() const {
    const std::size_t waiting = queue->size() + backlog_size.load();
    const std::size_t settling = pending_files.load();
    // What is really watched: a folder deleted under us is not counted (watch::Watcher).
    const std::size_t watched = watched_folders(), configured = watch_options.folders.size();
    const std::string folders = watched == configured ? std::to_string(watched)
                                                      : std::to_string(watched) + " of " + std::to_string(configured);
    const std::size_t kept = unrecorded.load();
    return service::status_message(state(), "watching " + folders + " folder(s); " + std::to_string(processed.load()) + " analysed" +
                                                (waiting ? "; " + std::to_string(waiting) + " waiting" : "") +
                                                (settling ? "; " + std::to_string(settling) + " being written" : "") +
                                                (kept ? "; " + std::to_string(kept) + " not recorded yet" : ""));
}

void Daemon::Impl::send_outcome(const Outcome& o) {
    std::vector<osc::Message> msgs = osc::export_messages(o);
    {
        std::lock_guard lock(latest_mutex);
        latest = msgs;
    }
    svc.sender().send_all(msgs);
}

void Daemon::Impl::on_store_thread(std::function<void()> task) { asio::post(store_thread, std::move(task)); }

/// Judges the latest export again with the config in force and the focus, and sends its fixes.
void Daemon::Impl::rejudge_latest() {
    on_store_thread([this, cfg = svc.config(), focus = device_focus] {
        try {
            {
                std::lock_guard lock(store.mutex);
                if (!store.store) return;
                auto options = history::store_options(*cfg);
                if (focus) options.compare.focus = *focus;
                store.store->set_options(std::move(options));
            }
            const std::optional<Outcome> o = review_latest(*cfg, store);
            if (!o) return;
            log::info(o->status);
            send_outcome(*o);
        } catch (const StoreError& e) {
            svc.report_error(std::string("history: ") + e.what());
        } catch (const InputError& e) {
            svc.report_error(std::string("config: ") + e.what());
        }
    });
}

// ---- live monitoring (monitor.enabled; see monitor/monitor.hpp) --------------------------------

void Daemon::Impl::start_monitor(const config::Config& cfg) {
    try {
        live_monitor = std::make_unique<monitor::Monitor>(monitor::monitor_options(cfg), svc.sender(), [this](const monitor::Take& take) {
            const auto c = svc.config();
            monitor::TakeOutcome t;
            {
                std::lock_guard lock(store.mutex);
                t = monitor::process_take(take, *c, monitor::monitor_options(*c).profile, store.store ? &*store.store : nullptr,
                                          c->settings().monitor.song, data_dir);
            }
            Outcome o;
            o.path = t.path, o.song = t.song, o.iteration = t.iteration, o.export_id = t.export_id, o.is_new = t.is_new;
            o.fixes = t.fixes;
            o.verdict = t.verdict, o.summary = t.summary, o.stop_reason = t.stop_reason;
            log::info(t.status);
            send_outcome(o);
        });
        live_monitor->start();
    } catch (const InputError& e) {
        svc.report_error(std::string("monitor: ") + e.what() + "; not monitoring");
    }
}

// ---- stop (I/O thread, from the service: a signal, the console, /mixscout/shutdown, stop()) ----

void Daemon::Impl::shutdown() {
    scan_cancelled = true;
    if (live_monitor) live_monitor->stop();  // finishes the take in progress
    const std::size_t abandoned = abandon_scanned();
    const std::size_t waiting = queue->size() + backlog.size();
    log::info("stopping: finishing " + std::to_string(waiting + running.running()) + " queued job(s)" +
              (abandoned ? "; " + std::to_string(abandoned) + " export(s) found by the start-up scan are left for the next start" : ""));
    if (watcher) watcher->stop();
    std::vector<fs::path> folders;
    for (auto& [folder, b] : batches) folders.push_back(folder);
    for (const auto& f : folders) flush_batch(f);
    while (!backlog.empty()) {  // blocks the I/O thread, which has nothing else to do now
        queue->push(std::move(backlog.front()));
        backlog.pop_front();
    }
    backlog_size = 0;
    queue->close();
    if (unrecorded > 0) record_kept();  // a last try for what the database refused
}

// ---- Daemon -------------------------------------------------------------------------------------

Daemon::Daemon(DaemonFlags flags, ExportStep step) : impl_(std::make_unique<Impl>(std::move(flags), std::move(step))) {
    auto& d = *impl_;
    const auto cfg = d.svc.config();
    d.queue = std::make_unique<WorkQueue<Job>>(static_cast<std::size_t>(cfg->settings().watch.queue_capacity));
    // History first, so the start-up scan can compare the folders with it.
    d.data_dir = history::resolve_data_dir(d.flags.data_dir, *cfg);
    d.store.data_dir = d.data_dir;
    try {
        d.store.store.emplace(history::Store::open(d.data_dir, history::store_options(*cfg)));
    } catch (const StoreError& e) {
        d.store.error = e.what();
        log::error(std::string(e.what()) + " (analysing without history)");
    }
    if (!d.step) d.step = [&d](const Job& job, const config::Config& c) { return process_export(job, c, d.store); };
    service::Hooks hooks;
    hooks.heartbeat = [&d]() -> std::optional<osc::Message> {
        d.update_pending();
        if (d.unrecorded > 0) d.record_kept();
        return d.heartbeat_status();
    };
    hooks.greet = [&d](const osc::Endpoint& device) {
        std::vector<osc::Message> msgs;
        {
            std::lock_guard lock(d.latest_mutex);
            msgs = d.latest;
        }
        d.svc.sender().send_all_to(msgs, device);
        d.svc.sender().send_to(d.heartbeat_status(), device);
    };
    hooks.reloaded = [&d](const config::Config& c) {
        d.apply_watch(c, false);
        d.rejudge_latest();  // the new rules, thresholds or focus re-rank the latest export
    };
    hooks.stopping = [&d] { d.shutdown(); };
    d.svc.start(d.routes(), std::move(hooks));
    d.apply_watch(*cfg, true);
}

Daemon::~Daemon() {
    auto& d = *impl_;
    d.scan_cancelled = true;
    d.queue->close();
    for (auto& t : d.workers)
        if (t.joinable()) t.join();
    d.store_thread.join();
}

void Daemon::stop() { impl_->svc.request_stop(); }

const service::Service& Daemon::service() const { return impl_->svc; }

int Daemon::run() {
    auto& d = *impl_;
    const auto cfg = d.svc.config();
    const int workers = cfg->settings().watch.workers;
    for (int i = 0; i < workers; ++i) d.workers.emplace_back([&d] { d.worker_loop(); });

    d.svc.run([&d, &cfg] {
        std::string dests;
        for (const auto& e : d.svc.fixed_destinations()) dests += (dests.empty() ? "" : ", ") + osc::to_string(e);
        std::fprintf(stderr, "mixscout daemon: listening on %s, watching %s (%s), sending to %s\n", d.svc.listen_text().c_str(),
                     d.folders_text().c_str(), std::string(d.watcher->backend()).c_str(),
                     dests.empty() ? "devices that send /mixscout/hello" : (dests + " and devices that send /mixscout/hello").c_str());
        log::info("config: " + (d.svc.config_file().empty() ? std::string("shipped defaults") : d.svc.config_file().string()) +
                  "; history: " + (d.store.store ? d.store.store->file().string() : "unavailable"));
        d.svc.sender().send(d.heartbeat_status());
        if (cfg->settings().monitor.enabled) d.start_monitor(*cfg);
        if (cfg->settings().watch.pick_up_on_start) d.pick_up();
    });

    for (auto& t : d.workers) t.join();
    d.workers.clear();
    d.store_thread.join();  // the device's last requests, and the last try to record kept exports
    d.svc.sender().send(service::status_message("idle", "daemon stopped"));
    log::info("stopped: " + std::to_string(d.processed.load()) + " export(s) analysed");
    return 0;
}

}  // namespace mixscout::app
