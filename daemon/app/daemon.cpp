#include "app/daemon.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app/console_stop.hpp"
#include "app/daemon_pipeline.hpp"
#include "app/work_queue.hpp"
#include "audio/decoder.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "core/log.hpp"
#include "core/user_dirs.hpp"
#include "history/pipeline.hpp"
#include "osc/auth.hpp"
#include "review/export_name.hpp"
#include "review/focus.hpp"
#include "osc/endpoint.hpp"
#include "stems/naming.hpp"
#include "monitor/monitor.hpp"
#include "monitor/take_outcome.hpp"

namespace mixscout::app {

namespace fs = std::filesystem;
namespace asio = boost::asio;

fs::path default_config_file() { return user_dir(UserDir::config) / "mixscout.yaml"; }

namespace {

std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

bool same_watch(const watch::Options& a, const watch::Options& b) {
    return a.folders == b.folders && a.recursive == b.recursive && a.backend == b.backend && a.settle_s == b.settle_s &&
           a.quiet_period_s == b.quiet_period_s && a.poll_interval_s == b.poll_interval_s && a.give_up_s == b.give_up_s;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
    return out;
}

using FileKey = std::tuple<std::string, std::uintmax_t, std::int64_t>;
FileKey key_of(const watch::FileState& f) { return {f.path.string(), f.size, f.mtime_ns}; }

}  // namespace

struct Daemon::Impl {
    DaemonFlags flags;
    ExportStep step;
    std::unique_ptr<config::Live> live;
    fs::path config_file;
    watch::FileState config_state;

    asio::io_context io;
    asio::signal_set signals{io, SIGINT, SIGTERM};
    asio::steady_timer heartbeat{io}, config_timer{io};

    // OSC
    std::string listen_host;
    int listen_port = -1;
    std::unique_ptr<osc::Receiver> receiver;
    osc::Sender sender;
    std::vector<osc::Endpoint> fixed;    // config osc.send + --send
    std::unique_ptr<osc::DeviceRegistry> devices;  // proven by the token in their hello (osc/auth.hpp)
    std::chrono::steady_clock::time_point last_refusal{};  // last reply to a hello without the token
    std::chrono::steady_clock::time_point last_unproven_log{};
    std::uint64_t unproven_dropped = 0;
    double heartbeat_s = 2.0;

    // watching
    watch::Options watch_options;
    std::unique_ptr<watch::Watcher> watcher;
    double group_window_s = 0.3;
    std::set<FileKey> seen;  // queued file states (I/O thread only)
    // Retries of files found truncated, per path (I/O thread only): the state that failed and how
    // often in a row. A file that keeps failing unchanged is given up on, not re-decoded forever.
    struct Failures {
        watch::FileState state;
        int count = 0;
    };
    std::map<fs::path, Failures> failures;
    int max_retries = 5;
    struct Batch {
        std::vector<watch::FileState> files;
        std::unique_ptr<asio::steady_timer> timer;
    };
    std::map<fs::path, Batch> batches;

    // work
    std::unique_ptr<WorkQueue<Job>> queue;
    std::deque<Job> backlog;  // I/O thread only: what did not fit into the queue yet
    std::atomic<std::size_t> backlog_size{0};
    std::atomic<std::size_t> pending_files{0};  // files in the stability gate or a batch (updated by the I/O thread)  // its size, for the workers' status lines
    std::vector<std::thread> workers;
    std::atomic<int> busy{0};
    static constexpr int kMaxRequestsWaiting = 8;  // /mixscout/analyze, /reference, /master queued or running
    std::atomic<int> requests_waiting{0};
    std::atomic<std::int64_t> processed{0};
    std::atomic<bool> mastering{false};
    bool stopping = false;

    StoreAccess store;
    fs::path data_dir;

    std::mutex latest_mutex;
    std::vector<osc::Message> latest;  // the last export's messages, for hello replies
    std::optional<review::Area> device_focus;  // /mixscout/focus; wins over the config's focus:

    Impl(DaemonFlags f, ExportStep s) : flags(std::move(f)), step(std::move(s)) {}

    // ---- config ---------------------------------------------------------------------------------

    void load_config() {
        config_file = flags.config_file;
        if (config_file.empty()) {
            const fs::path user = default_config_file();
            std::error_code ec;
            if (fs::exists(user, ec)) config_file = user;
        }
        live = std::make_unique<config::Live>(config_file);  // throws ConfigError: refuse to start
        if (!config_file.empty()) watch::stat_file(config_file, config_state);
    }

    /// Applies the config in force, with the flags on top. Initial: failures throw.
    void apply(const config::Config& cfg, bool initial) {
        log::Level level = log::Level::info;
        const std::string level_text = flags.log_level.empty() ? cfg.settings().log.level : flags.log_level;
        if (!log::parse_level(level_text, level)) throw InputError("log level '" + level_text + "' is not debug|info|warn|error|off");
        log::set_level(level);

        // OSC: socket, allowlist, destinations.
        const std::string host = cfg.settings().osc.listen_host;
        const int port = flags.listen_port ? *flags.listen_port : cfg.settings().osc.listen_port;
        osc::ReceiverOptions ro{host, port, cfg.settings().osc.allow};
        if (!receiver || host != listen_host || port != listen_port) {
            try {
                auto r = std::make_unique<osc::Receiver>(io, ro, [this](const osc::Message& m, const osc::Endpoint& from) {
                    on_message(m, from);
                });
                receiver = std::move(r);
                listen_host = host;
                listen_port = port;
                if (!initial) log::info("osc: now listening on " + host + ":" + std::to_string(receiver->port()));
            } catch (const InputError& e) {
                if (initial) throw;
                report_error(std::string("config: ") + e.what() + "; still listening on " + listen_host + ":" +
                             std::to_string(receiver->port()));
            }
        } else {
            receiver->set_allowlist(ro.allow);
        }
        std::vector<osc::Endpoint> new_fixed;
        std::vector<std::string> sends = cfg.settings().osc.send;
        sends.insert(sends.end(), flags.send.begin(), flags.send.end());
        for (const auto& s : sends) {
            try {
                const auto [h, p] = osc::parse_host_port(s, "osc.send");
                new_fixed.push_back(osc::resolve_endpoint(h, p));
            } catch (const InputError& e) {
                if (initial) throw;
                report_error(std::string("config: ") + e.what());
            }
        }
        for (const auto& e : fixed)
            if (std::find(new_fixed.begin(), new_fixed.end(), e) == new_fixed.end()) sender.remove_destination(e);
        const auto max_devices = static_cast<std::size_t>(cfg.settings().osc.max_devices);
        sender.set_max_destinations(new_fixed.size() + max_devices);
        if (!devices) devices = std::make_unique<osc::DeviceRegistry>(sender, osc::ensure_token(osc::token_file()), max_devices);
        devices->set_max_devices(max_devices);
        for (const auto& e : new_fixed) sender.add_destination(e);
        fixed = new_fixed;
        heartbeat_s = cfg.settings().osc.heartbeat_s;

        // Watching.
        watch::Options wo;
        if (!flags.watch.empty()) {
            wo.folders = flags.watch;
        } else {
            for (const auto& f : cfg.settings().watch.folders) wo.folders.push_back(expand_home(f));
            if (wo.folders.empty()) wo.folders.push_back(watch::default_export_folder());
        }
        for (auto& f : wo.folders) f = fs::absolute(f).lexically_normal();
        wo.recursive = cfg.settings().watch.recursive;
        wo.backend = cfg.settings().watch.backend;
        wo.settle_s = cfg.settings().watch.settle_s;
        wo.quiet_period_s = cfg.settings().watch.quiet_period_s;
        wo.poll_interval_s = cfg.settings().watch.poll_interval_s;
        wo.give_up_s = cfg.settings().watch.give_up_s;
        wo.on_give_up = [this](const fs::path&, const std::string& why) { sender.send("/mixscout/error", why); };
        group_window_s = cfg.settings().watch.group_window_s;
        max_retries = cfg.settings().watch.retries;
        if (!watcher || !same_watch(wo, watch_options)) {
            try {
                auto w = watch::make_watcher(io, wo, [this](const watch::FileState& f) { on_ready(f); });
                if (watcher) watcher->stop();
                watcher = std::move(w);
                const bool folders_changed = wo.folders != watch_options.folders;
                watch_options = wo;
                if (!initial) {
                    log::info("watch: now watching " + folders_text() + " (" + std::string(watcher->backend()) + ")");
                    if (folders_changed) pick_up();
                }
            } catch (const InputError& e) {
                if (initial) throw;
                report_error(std::string("config: ") + e.what() + "; still watching " + folders_text());
            }
        }
        // watch.profile (@keyof) and songs.rename (@regexkeys) are checked by the config's schema,
        // so start-up, `config check` and this reload refuse the same files.
    }

    void poll_config() {
        config_timer.expires_after(std::chrono::milliseconds(300));
        config_timer.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping) return;
            watch::FileState now;
            const bool exists = watch::stat_file(config_file, now);
            if (exists && !(now == config_state)) {
                config_state = now;
                const auto problems = live->reload();
                if (!problems.empty()) {
                    std::string text = problems.front().to_string();
                    if (problems.size() > 1) text += " (+" + std::to_string(problems.size() - 1) + " more)";
                    report_error("config rejected, keeping the last good config: " + text);
                } else {
                    log::info("config: reloaded " + config_file.string());
                    apply(*live->current(), false);
                    rejudge_latest();  // the new rules, thresholds or focus re-rank the latest export
                }
            }
            poll_config();
        });
    }

    // ---- OSC out --------------------------------------------------------------------------------

    std::string folders_text() const {
        std::vector<std::string> f;
        for (const auto& p : watch_options.folders) f.push_back(p.string());
        return join(f, ", ");
    }

    // The heartbeat repeats this every few seconds, so it must not say "idle" over the monitor's
    // "monitoring" while a stream is open.
    std::string state() const {
        if (mastering) return "mastering";
        if (busy > 0) return "analysing";
        return live_monitor && live_monitor->capturing() ? "monitoring" : "idle";
    }

    osc::Message status_message(const std::string& state_text, const std::string& message) const {
        return osc::make_message("/mixscout/status", state_text, message);
    }

    osc::Message heartbeat_status() const {
        const std::size_t waiting = queue->size() + backlog_size.load();
        const std::size_t settling = pending_files.load();
        return status_message(state(), "watching " + std::to_string(watch_options.folders.size()) + " folder(s); " +
                                           std::to_string(processed.load()) + " analysed" +
                                           (waiting ? "; " + std::to_string(waiting) + " waiting" : "") +
                                           (settling ? "; " + std::to_string(settling) + " being written" : ""));
    }

    void report_error(const std::string& message) {
        log::error(message);
        sender.send("/mixscout/error", message);
    }

    /// Judges the latest export again with the config in force and the focus, and sends its fixes.
    void rejudge_latest() {
        const auto cfg = live->current();
        try {
            std::optional<Outcome> o;
            {
                std::lock_guard lock(store.mutex);
                if (!store.store) return;
                auto options = history::store_options(*cfg);
                if (device_focus) options.compare.focus = *device_focus;
                store.store->set_options(std::move(options));
            }
            o = review_latest(*cfg, store);
            if (!o) return;
            log::info(o->status);
            send_outcome(*o);
        } catch (const StoreError& e) {
            report_error(std::string("history: ") + e.what());
        } catch (const InputError& e) {
            report_error(std::string("config: ") + e.what());
        }
    }

    void send_outcome(const Outcome& o) {
        std::vector<osc::Message> msgs = osc::export_messages(o);
        {
            std::lock_guard lock(latest_mutex);
            latest = msgs;
        }
        for (const auto& m : msgs) sender.send(m);
    }

    void update_pending() {
        std::size_t n = watcher ? watcher->pending() : 0;
        for (const auto& [folder, b] : batches) n += b.files.size();
        pending_files = n;
    }

    void heartbeat_loop() {
        heartbeat.expires_after(seconds(heartbeat_s));
        heartbeat.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping) return;
            update_pending();
            sender.send(heartbeat_status());
            heartbeat_loop();
        });
    }

    // ---- OSC in (I/O thread) --------------------------------------------------------------------

    void on_message(const osc::Message& m, const osc::Endpoint& from) {
        log::debug("osc: " + m.address + " from " + osc::to_string(from));
        if (m.address == "/mixscout/hello") return on_hello(m.int_arg(0), m.string_arg(1), from);
        // Everything else reads or writes the user's files: only a proven device may ask, and an
        // unproven sender gets no reply at all (a reply would say whether a path exists).
        if (!devices->proven(from)) {
            ++unproven_dropped;
            const auto now = std::chrono::steady_clock::now();
            if (now - last_unproven_log >= std::chrono::seconds(1)) {  // a flood must not flood the log
                last_unproven_log = now;
                log::warn("osc: " + m.address + " from " + osc::to_string(from) + " before a hello with the token; dropped (" +
                          std::to_string(unproven_dropped) + " so far)");
            }
            return;
        }
        if (m.address == "/mixscout/note") return on_note(m.string_arg(0));
        if (m.address == "/mixscout/ears") return on_ears(m.string_arg(0));
        if (m.address == "/mixscout/history") return on_history(m.string_arg(0));
        if (m.address == "/mixscout/analyze") return on_file_request(Job::Kind::analyze_request, m.string_arg(0));
        if (m.address == "/mixscout/reference") return on_file_request(Job::Kind::reference, m.string_arg(0));
        if (m.address == "/mixscout/master") return on_file_request(Job::Kind::master, m.string_arg(0));
        if (m.address == "/mixscout/focus") return on_focus(m.string_arg(0));
        if (m.address == "/mixscout/shutdown") {
            log::info("osc: /mixscout/shutdown from " + osc::to_string(from));
            return shutdown();
        }
        log::warn("osc: " + m.address + " is not handled by the daemon");
    }

    void on_focus(const std::string& area) {
        const auto a = review::parse_area(area);
        if (!a) {
            report_error("focus: unknown area '" + area + "' (one of: " + review::area_names(", ") + ")");
            return;
        }
        device_focus = *a;
        log::info("focus: " + std::string(review::to_string(*a)));
        rejudge_latest();
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
        std::vector<osc::Message> msgs;
        {
            std::lock_guard lock(latest_mutex);
            msgs = latest;
        }
        for (const auto& msg : msgs) sender.send_to(msg, device);
        sender.send_to(heartbeat_status(), device);
    }

    void on_note(const std::string& text) {
        std::int64_t id = 0;
        try {
            std::lock_guard lock(store.mutex);
            if (!store.store) throw StoreError("history unavailable: " + store.error);
            id = store.store->add_note(text);
        } catch (const std::exception& e) {
            report_error(std::string("note not stored: ") + e.what());
            return;
        }
        log::info("note stored against export " + std::to_string(id));
        sender.send("/mixscout/note_logged", static_cast<std::int32_t>(id));
    }

    // The listener's vote on the latest export. Ears worse while its numbers said better: the
    // verdict is sent again with the advice (review::ears_advice), and kept for hello replies.
    void on_ears(const std::string& vote_text) {
        const auto vote = review::parse_ears(vote_text);  // decode() already checked the enum
        if (!vote) return;
        std::int64_t id = 0;
        history::StoredExport latest_export;
        try {
            std::lock_guard lock(store.mutex);
            if (!store.store) throw StoreError("history unavailable: " + store.error);
            id = store.store->set_ears(*vote);
            latest_export = store.store->load_export(id);
        } catch (const std::exception& e) {
            report_error(std::string("ears not stored: ") + e.what());
            return;
        }
        log::info("ears '" + vote_text + "' stored against export " + std::to_string(id));
        sender.send("/mixscout/ears_logged", static_cast<std::int32_t>(id), vote_text);
        const auto& it = latest_export.item;
        const auto numbers = review::parse_verdict(it.verdict);
        if (!numbers) return;
        std::string advice = review::ears_advice(*numbers, vote, it.iteration);
        if (advice.empty()) return;
        advice[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(advice[0])));
        const auto verdict = osc::make_message("/mixscout/verdict", it.verdict, advice);
        {
            std::lock_guard lock(latest_mutex);
            for (auto& msg : latest)
                if (msg.address == "/mixscout/verdict") msg = verdict;
        }
        sender.send(verdict);
    }

    void on_history(const std::string& song_arg) {
        std::vector<history::HistoryItem> items;
        std::string song = song_arg;
        try {
            std::lock_guard lock(store.mutex);
            if (!store.store) throw StoreError("history unavailable: " + store.error);
            if (song.empty()) song = store.store->current_song().value_or("");
            if (!song.empty()) items = store.store->history(song);
        } catch (const std::exception& e) {
            report_error(std::string("history: ") + e.what());
            return;
        }
        constexpr std::size_t max_items = 50;  // the newest; the panel shows a few
        const std::size_t first = items.size() > max_items ? items.size() - max_items : 0;
        for (std::size_t i = first; i < items.size(); ++i) {
            const auto& it = items[i];
            const std::string counts = std::to_string(it.critical) + "/" + std::to_string(it.important) + "/" +
                                       std::to_string(it.polish);
            sender.send("/mixscout/history_item", it.iteration, static_cast<std::int32_t>(it.export_id), it.created_at,
                        it.verdict, counts, it.notes.empty() ? std::string() : it.notes.back(), it.ears);
        }
        sender.send("/mixscout/history_end", song, static_cast<std::int32_t>(items.size() - first));
    }

    void on_file_request(Job::Kind kind, const std::string& path_text) {
        fs::path path = path_text;
        if (path.empty()) {
            if (kind != Job::Kind::analyze_request) {
                report_error("request without a path");
                return;
            }
            // The newest export in the watched folders.
            watch::FileState newest;
            for (const auto& p : watch::list_exports(watch_options)) {
                watch::FileState s;
                if (watch::stat_file(p, s) && (newest.path.empty() || s.mtime_ns > newest.mtime_ns)) newest = s;
            }
            if (newest.path.empty()) {
                report_error("analyze: no export in " + folders_text());
                return;
            }
            path = newest.path;
        }
        // Device requests are bounded apart from exports: a flood of them must not delay a real
        // export by minutes, nor hold up a stop (the audit queued 400).
        if (requests_waiting >= kMaxRequestsWaiting) {
            report_error(path.filename().string() + ": not queued, " + std::to_string(requests_waiting.load()) +
                         " requests are waiting already");
            return;
        }
        Job job;
        job.kind = kind;
        if (!watch::stat_file(path, job.file)) {
            report_error(path.string() + ": no such file");
            return;
        }
        ++requests_waiting;
        enqueue(std::move(job));
    }

    // ---- watching (I/O thread) ------------------------------------------------------------------

    void on_ready(const watch::FileState& f) {
        if (stopping) return;
        if (!seen.insert(key_of(f)).second) {
            log::debug(f.path.string() + ": already queued in this state; skipped");
            return;
        }
        if (const auto it = failures.find(f.path); it != failures.end() && it->second.state == f && it->second.count > max_retries) {
            log::debug(f.path.string() + ": gave up on it in this state; waiting for a change");
            return;
        }
        const bool stem_like = review::looks_like_stem(f.path) || looks_like_mix(f.path);
        if (!stem_like || group_window_s <= 0) {
            enqueue(Job{Job::Kind::export_file, f, {}, 0});
            return;
        }
        // Possibly one of an "All Individual Tracks" export: wait for the rest of the batch.
        const fs::path folder = f.path.parent_path();
        auto& b = batches[folder];
        b.files.push_back(f);
        if (!b.timer) b.timer = std::make_unique<asio::steady_timer>(io);
        b.timer->expires_after(seconds(group_window_s));
        b.timer->async_wait([this, folder](const boost::system::error_code& ec) {
            if (!ec) flush_batch(folder);
        });
    }

    /// Live's own mix file in an "All Individual Tracks" export: "<set> Master" (Live 12: "Main").
    static bool looks_like_mix(const fs::path& p) {
        std::string stem = p.stem().string();
        std::transform(stem.begin(), stem.end(), stem.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return stem == "master" || stem == "main" || stem.ends_with(" master") || stem.ends_with(" main") ||
               stems::is_mix_name(stems::track_name(p));
    }

    void flush_batch(const fs::path& folder) {
        auto it = batches.find(folder);
        if (it == batches.end()) return;
        std::vector<watch::FileState> files = std::move(it->second.files);
        batches.erase(it);
        std::vector<watch::FileState> stems_files, others;
        for (const auto& f : files) (review::looks_like_stem(f.path) ? stems_files : others).push_back(f);
        if (stems_files.size() < 2) {
            for (const auto& f : files) enqueue(Job{Job::Kind::export_file, f, {}, 0});
            return;
        }
        Job job;
        for (const auto& s : stems_files) job.stems.push_back(s.path);
        auto mix = std::find_if(others.begin(), others.end(),
                                [](const watch::FileState& f) { return looks_like_mix(f.path); });
        if (mix != others.end()) {
            job.kind = Job::Kind::export_file;
            job.file = *mix;
            others.erase(mix);
        } else {
            job.kind = Job::Kind::stems_only;
            job.file.path = folder;
        }
        log::info("stems run: " + std::to_string(job.stems.size()) + " stems in " + folder.string() +
                  (job.kind == Job::Kind::export_file ? " with " + job.file.path.filename().string() : ""));
        enqueue(std::move(job));
        for (const auto& f : others) enqueue(Job{Job::Kind::export_file, f, {}, 0});
    }

    /// Exports in the folders that the history does not have: those arrived while we were down.
    void pick_up() {
        std::map<std::string, std::int64_t> known;  // path -> newest created_at (s since epoch)
        {
            std::lock_guard lock(store.mutex);
            if (store.store) {
                try {
                    for (const auto& s : store.store->songs())
                        for (const auto& item : store.store->history(s.song)) {
                            if (const auto t = parse_utc_iso8601(item.created_at)) {
                                auto& k = known[item.path];
                                k = std::max(k, *t);
                            }
                        }
                } catch (const StoreError& e) {
                    log::error(e.what());
                }
            }
        }
        int count = 0;
        for (const auto& p : watch::list_exports(watch_options)) {
            watch::FileState s;
            if (!watch::stat_file(p, s)) continue;
            auto k = known.find(fs::absolute(p).lexically_normal().string());
            if (k == known.end()) k = known.find(p.string());
            // Recorded after its last change: already analysed. (Identical content re-queued by a
            // clock skew is recognised by the history's content hash.)
            if (k != known.end() && s.mtime_ns / 1'000'000'000 <= k->second) continue;
            watcher->check(p);
            ++count;
        }
        if (count) log::info("picking up " + std::to_string(count) + " export(s) not in the history yet");
    }

    // ---- work -----------------------------------------------------------------------------------

    void enqueue(Job job) {
        if (backlog.empty() && queue->try_push(job)) return;
        backlog.push_back(std::move(job));
        backlog_size = backlog.size();
    }

    void refill() {
        while (!backlog.empty() && queue->try_push(backlog.front())) backlog.pop_front();
        backlog_size = backlog.size();
    }

    void worker_loop() {
        while (auto job = queue->pop()) {
            asio::post(io, [this] { refill(); });
            ++busy;
            run_job(*job);
            if (job->kind == Job::Kind::analyze_request || job->kind == Job::Kind::reference || job->kind == Job::Kind::master)
                --requests_waiting;
            --busy;
            asio::post(io, [this] {
                update_pending();
                if (busy == 0 && queue->size() == 0 && backlog.empty()) sender.send(heartbeat_status());
            });
        }
    }

    void run_job(const Job& job) {
        const auto cfg = live->current();
        const std::string name = job.kind == Job::Kind::stems_only ? job.file.path.string() : job.file.path.filename().string();
        try {
            switch (job.kind) {
                case Job::Kind::export_file:
                case Job::Kind::stems_only:
                case Job::Kind::analyze_request: {
                    const std::size_t waiting = queue->size() + backlog_size.load();
                    sender.send(status_message("analysing", name + (waiting ? " (" + std::to_string(waiting) + " waiting)" : "")));
                    const Outcome o = step(job, *cfg);
                    if (job.kind == Job::Kind::export_file) asio::post(io, [this, path = job.file.path] { failures.erase(path); });
                    ++processed;
                    log::info(o.status);
                    send_outcome(o);
                    break;
                }
                case Job::Kind::reference: {
                    sender.send(status_message("analysing", "reference " + name));
                    const std::string song = add_reference(job.file.path, store);
                    log::info("reference stored: " + job.file.path.string() + (song.empty() ? "" : " for " + song));
                    sender.send("/mixscout/reference_added", job.file.path.string(), song);
                    break;
                }
                case Job::Kind::master: {
                    mastering = true;
                    sender.send(status_message("mastering", name));
                    int last_step = -1;
                    const std::string folder = cfg->settings().master.folder;
                    const auto report = master_mix(job.file.path, folder.empty() ? data_dir / "masters" : expand_home(folder), store, [&](double percent, std::string_view stage) {
                        const int step5 = static_cast<int>(percent / 5.0);  // at most ~20 messages
                        if (step5 == last_step) return;
                        last_step = step5;
                        sender.send("/mixscout/master_progress", percent, std::string(stage));
                    });
                    mastering = false;
                    log::info("mastered " + job.file.path.string() + " -> " + report.output);
                    sender.send("/mixscout/master_done", report.output, master::summary(report));
                    break;
                }
            }
        } catch (const InputError& e) {
            mastering = false;
            const auto* decode = dynamic_cast<const audio::DecodeError*>(&e);
            if (!retry(job, e.what(), decode && decode->kind() == audio::DecodeError::Kind::truncated)) {
                report_error(e.what());
                sender.send(status_message("error", e.what()));
            }
        } catch (const std::exception& e) {
            mastering = false;
            report_error(name + ": " + e.what());
            sender.send(status_message("error", e.what()));
        }
    }

    /// A file that changed since it was queued, or that the decoder found truncated, goes back
    /// to the stability gate, with a growing delay, a bounded number of times while it stays the
    /// same; then the device is told. Worker thread; the bookkeeping runs on the I/O thread.
    bool retry(const Job& job, const std::string& why, bool truncated) {
        if (job.kind != Job::Kind::export_file || stopping) return false;
        watch::FileState now;
        const bool changed = watch::stat_file(job.file.path, now) && !(now == job.file);
        if (!changed && !truncated) return false;
        asio::post(io, [this, job, why, changed] {
            if (stopping || !watcher) return;
            auto& fail = failures[job.file.path];
            fail.count = (fail.state == job.file) ? fail.count + 1 : 1;
            fail.state = job.file;
            seen.erase(key_of(job.file));
            if (!changed && fail.count > max_retries) {
                report_error(why + " (tried " + std::to_string(fail.count) + " times; export it again)");
                return;
            }
            const double delay_s = std::max(watch_options.settle_s, std::min(8.0, 0.5 * std::pow(2.0, fail.count - 1)));
            log::info(job.file.path.string() + ": not complete yet (" + why + "); try " + std::to_string(fail.count) +
                      " of " + std::to_string(max_retries) + " in " + fmt("%.1f s", delay_s));
            watcher->check(job.file.path, delay_s);
        });
        return true;
    }

    // ---- lifetime -------------------------------------------------------------------------------

    // ---- live monitoring (monitor.enabled; see monitor/monitor.hpp) ----------------------------

    std::unique_ptr<monitor::Monitor> live_monitor;

    void start_monitor(const config::Config& cfg) {
        try {
            live_monitor = std::make_unique<monitor::Monitor>(monitor::monitor_options(cfg), sender, [this](const monitor::Take& take) {
                const auto c = live->current();
                monitor::TakeOutcome t;
                {
                    std::lock_guard lock(store.mutex);
                    t = monitor::process_take(take, *c, monitor::monitor_options(*c).profile,
                                              store.store ? &*store.store : nullptr, c->settings().monitor.song, data_dir);
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
            report_error(std::string("monitor: ") + e.what() + "; not monitoring");
        }
    }

    void shutdown() {
        if (stopping) return;
        stopping = true;
        if (live_monitor) live_monitor->stop();  // finishes the take in progress
        const std::size_t waiting = queue->size() + backlog.size();
        log::info("stopping: finishing " + std::to_string(waiting + static_cast<std::size_t>(busy.load())) +
                  " queued job(s)");
        if (watcher) watcher->stop();
        if (receiver) receiver->close();
        heartbeat.cancel();
        config_timer.cancel();
        std::vector<fs::path> folders;
        for (auto& [folder, b] : batches) folders.push_back(folder);
        for (const auto& f : folders) flush_batch(f);
        while (!backlog.empty()) {  // blocks the I/O thread, which has nothing else to do now
            queue->push(std::move(backlog.front()));
            backlog.pop_front();
        }
        backlog_size = 0;
        queue->close();
        io.stop();
    }
};

Daemon::Daemon(DaemonFlags flags, ExportStep step) : impl_(std::make_unique<Impl>(std::move(flags), std::move(step))) {
    auto& d = *impl_;
    d.load_config();
    const auto cfg = d.live->current();
    d.queue = std::make_unique<WorkQueue<Job>>(static_cast<std::size_t>(cfg->settings().watch.queue_capacity));
    // History first, so the start-up scan can compare the folders with it.
    d.data_dir = history::resolve_data_dir(d.flags.data_dir, *cfg);
    try {
        d.store.store.emplace(history::Store::open(d.data_dir, history::store_options(*cfg)));
    } catch (const StoreError& e) {
        d.store.error = e.what();
        log::error(std::string(e.what()) + " (analysing without history)");
    }
    if (!d.step) d.step = [&d](const Job& job, const config::Config& c) { return process_export(job, c, d.store); };
    d.apply(*cfg, true);
    if (cfg->settings().watch.pick_up_on_start) d.pick_up();
}

Daemon::~Daemon() {
    auto& d = *impl_;
    d.queue->close();
    for (auto& t : d.workers)
        if (t.joinable()) t.join();
}

void Daemon::stop() {
    asio::post(impl_->io, [this] { impl_->shutdown(); });
}

int Daemon::run() {
    auto& d = *impl_;
    const auto cfg = d.live->current();
    const int workers = cfg->settings().watch.workers;
    for (int i = 0; i < workers; ++i) d.workers.emplace_back([&d] { d.worker_loop(); });

    d.signals.async_wait([&d](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        log::info(std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM"));
        d.shutdown();
    });
    const ConsoleStop console_stop([this] { stop(); });  // Windows: Ctrl+C, window closed, logoff
    if (!d.config_file.empty()) d.poll_config();
    d.heartbeat_loop();

    std::vector<std::string> dests;
    for (const auto& e : d.fixed) dests.push_back(osc::to_string(e));
    std::fprintf(stderr, "mixscout daemon: listening on %s:%d, watching %s (%s), sending to %s\n", d.listen_host.c_str(),
                 d.receiver->port(), d.folders_text().c_str(), std::string(d.watcher->backend()).c_str(),
                 dests.empty() ? "devices that send /mixscout/hello" : (join(dests, ", ") + " and devices that send /mixscout/hello").c_str());
    log::info("config: " + (d.config_file.empty() ? std::string("shipped defaults") : d.config_file.string()) +
              "; history: " + (d.store.store ? d.store.store->file().string() : "unavailable"));
    d.sender.send(d.heartbeat_status());
    if (cfg->settings().monitor.enabled) d.start_monitor(*cfg);

    d.io.run();  // until shutdown() (signal or stop())

    for (auto& t : d.workers) t.join();
    d.workers.clear();
    d.sender.send(d.status_message("idle", "daemon stopped"));
    log::info("stopped: " + std::to_string(d.processed.load()) + " export(s) analysed");
    return 0;
}

}  // namespace mixscout::app
