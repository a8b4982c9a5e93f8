// The daemon's watching (I/O thread): the folders from the config, files that complete, batches
// of stems that complete together, and the start-up scan for exports that arrived while the
// daemon was not running.
#include <algorithm>
#include <cctype>

#include <boost/asio/post.hpp>

#include "app/daemon_impl.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/user_dirs.hpp"
#include "review/export_name.hpp"
#include "stems/naming.hpp"

namespace mixscout::app {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

bool same_watch(const watch::Options& a, const watch::Options& b) {
    return a.folders == b.folders && a.recursive == b.recursive && a.backend == b.backend && a.settle_s == b.settle_s &&
           a.quiet_period_s == b.quiet_period_s && a.poll_interval_s == b.poll_interval_s && a.give_up_s == b.give_up_s;
}

std::tuple<std::string, std::uintmax_t, std::int64_t> key_of(const watch::FileState& f) { return {f.path.string(), f.size, f.mtime_ns}; }

/// Live's own mix file in an "All Individual Tracks" export: "<set> Master" (Live 12: "Main").
bool looks_like_mix(const fs::path& p) {
    std::string stem = p.stem().string();
    std::transform(stem.begin(), stem.end(), stem.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return stem == "master" || stem == "main" || stem.ends_with(" master") || stem.ends_with(" main") ||
           stems::is_mix_name(stems::track_name(p));
}

}  // namespace

/// The watch part of a config, with --watch on top. Initial: failures throw.
void Daemon::Impl::apply_watch(const config::Config& cfg, bool initial) {
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
    wo.on_give_up = [this](const fs::path&, const std::string& why) { svc.sender().send("/mixscout/error", why); };
    group_window_s = cfg.settings().watch.group_window_s;
    max_retries = cfg.settings().watch.retries;
    if (watcher && same_watch(wo, watch_options)) return;
    try {
        auto w = watch::make_watcher(svc.io(), wo, [this](const watch::FileState& f) { on_ready(f); });
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
        svc.report_error(std::string("config: ") + e.what() + "; still watching " + folders_text());
    }
    // watch.profile (@keyof) and songs.rename (@regexkeys) are checked by the config's schema,
    // so start-up, `config check` and this reload refuse the same files.
}

std::string Daemon::Impl::folders_text() const {
    std::string out;
    for (const auto& p : watch_options.folders) out += (out.empty() ? "" : ", ") + p.string();
    return out;
}

std::size_t Daemon::Impl::watched_folders() const { return watcher ? watcher->watched_count() : 0; }

void Daemon::Impl::update_pending() {
    std::size_t n = watcher ? watcher->pending() : 0;
    for (const auto& [folder, b] : batches) n += b.files.size();
    pending_files = n;
}

void Daemon::Impl::on_ready(const watch::FileState& f) {
    if (svc.stopping()) return;
    const bool from_scan = scanned.erase(f.path) > 0;
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
        Job job{Job::Kind::export_file, f, {}, 0};
        job.from_scan = from_scan;
        enqueue(std::move(job));
        return;
    }
    // Possibly one of an "All Individual Tracks" export: wait for the rest of the batch.
    const fs::path folder = f.path.parent_path();
    auto& b = batches[folder];
    b.files.push_back(f);
    if (!b.timer) b.timer = std::make_unique<asio::steady_timer>(svc.io());
    b.timer->expires_after(steady_seconds(group_window_s));
    b.timer->async_wait([this, folder](const boost::system::error_code& ec) {
        if (!ec) flush_batch(folder);
    });
}

void Daemon::Impl::flush_batch(const fs::path& folder) {
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
    auto mix = std::find_if(others.begin(), others.end(), [](const watch::FileState& f) { return looks_like_mix(f.path); });
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
/// The comparison with the history runs on the store thread (the database may be slow or
/// locked); the files found go to the stability gate on the I/O thread. A stop cancels it
/// between two files, and what it queued is left for the next start (shutdown()).
void Daemon::Impl::pick_up() {
    on_store_thread([this, options = watch_options] {
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
        std::vector<fs::path> found;
        for (const auto& p : watch::list_exports(options)) {
            if (scan_cancelled) return;
            watch::FileState s;
            if (!watch::stat_file(p, s)) continue;
            auto k = known.find(fs::absolute(p).lexically_normal().string());
            if (k == known.end()) k = known.find(p.string());
            // Recorded after its last change: already analysed. (Identical content re-queued by a
            // clock skew is recognised by the history's content hash.)
            if (k != known.end() && s.mtime_ns / 1'000'000'000 <= k->second) continue;
            found.push_back(p);
        }
        if (found.empty() || scan_cancelled) return;
        asio::post(svc.io(), [this, found = std::move(found)] {
            if (svc.stopping() || !watcher) return;
            for (const auto& p : found) {
                scanned.insert(p);
                watcher->check(p);
            }
            log::info("picking up " + std::to_string(found.size()) + " export(s) not in the history yet");
        });
    });
}

}  // namespace mixscout::app
