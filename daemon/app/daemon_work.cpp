// The daemon's work: the bounded queue with its backlog (I/O thread), the workers that run the
// jobs (daemon_pipeline.hpp), retries of files not complete yet, and exports kept while the
// database could not record them.
#include <algorithm>
#include <cmath>

#include <boost/asio/post.hpp>

#include "app/daemon_impl.hpp"
#include "audio/decoder.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "core/log.hpp"
#include "core/user_dirs.hpp"

namespace mixscout::app {

namespace fs = std::filesystem;
namespace asio = boost::asio;

void Daemon::Impl::enqueue(Job job) {
    if (backlog.empty() && queue->try_push(job)) return;
    backlog.push_back(std::move(job));
    backlog_size = backlog.size();
}

void Daemon::Impl::refill() {
    while (!backlog.empty() && queue->try_push(backlog.front())) backlog.pop_front();
    backlog_size = backlog.size();
}

/// A stop leaves what the start-up scan queued for the next start (it is not in the history, so
/// that start finds it again): a long scan must not hold up a stop. I/O thread.
std::size_t Daemon::Impl::abandon_scanned() {
    const auto from_scan = [](const Job& j) { return j.from_scan; };
    std::size_t n = queue->remove_if(from_scan);
    n += static_cast<std::size_t>(std::erase_if(backlog, from_scan));
    backlog_size = backlog.size();
    scanned.clear();
    return n;
}

void Daemon::Impl::worker_loop() {
    while (auto job = queue->pop()) {
        asio::post(svc.io(), [this] { refill(); });
        run_job(*job);
        if (job->kind == Job::Kind::analyze_request || job->kind == Job::Kind::reference || job->kind == Job::Kind::master)
            --requests_waiting;
        asio::post(svc.io(), [this] {
            update_pending();
            if (running.running() == 0 && queue->size() == 0 && backlog.empty()) svc.sender().send(heartbeat_status());
        });
    }
}

void Daemon::Impl::run_job(const Job& job) {
    const auto ticket = running.begin(job.kind);  // this job's own state, whichever way it ends
    const auto cfg = svc.config();
    auto& sender = svc.sender();
    const std::string name = job.kind == Job::Kind::stems_only ? job.file.path.string() : job.file.path.filename().string();
    try {
        switch (job.kind) {
            case Job::Kind::export_file:
            case Job::Kind::stems_only:
            case Job::Kind::analyze_request: {
                const std::size_t waiting = queue->size() + backlog_size.load();
                sender.send(service::status_message("analysing", name + (waiting ? " (" + std::to_string(waiting) + " waiting)" : "")));
                const Outcome o = step(job, *cfg);
                if (job.kind == Job::Kind::export_file) asio::post(svc.io(), [this, path = job.file.path] { failures.erase(path); });
                ++processed;
                log::info(o.status);
                if (!o.warning.empty()) log::warn(o.warning);
                send_outcome(o);
                if (!o.not_recorded.empty()) {
                    {
                        std::lock_guard lock(store.mutex);
                        unrecorded = store.unrecorded.size();
                    }
                    svc.report_error(o.not_recorded);
                }
                break;
            }
            case Job::Kind::reference: {
                sender.send(service::status_message("analysing", "reference " + name));
                const std::string song = add_reference(job.file.path, store);
                log::info("reference stored: " + job.file.path.string() + (song.empty() ? "" : " for " + song));
                sender.send("/mixscout/reference_added", job.file.path.string(), song);
                break;
            }
            case Job::Kind::master: {
                sender.send(service::status_message("mastering", name));
                int last_step = -1;
                const std::string folder = cfg->settings().master.folder;
                const auto report = master_mix(job.file.path, folder.empty() ? data_dir / "masters" : expand_home(folder), store,
                                               [&](double percent, std::string_view stage) {
                                                   const int step5 = static_cast<int>(percent / 5.0);  // at most ~20 messages
                                                   if (step5 == last_step) return;
                                                   last_step = step5;
                                                   sender.send("/mixscout/master_progress", percent, std::string(stage));
                                               });
                log::info("mastered " + job.file.path.string() + " -> " + report.output);
                sender.send("/mixscout/master_done", report.output, master::summary(report));
                break;
            }
        }
    } catch (const InputError& e) {
        const auto* decode = dynamic_cast<const audio::DecodeError*>(&e);
        if (!retry(job, e.what(), decode && decode->kind() == audio::DecodeError::Kind::truncated)) {
            svc.report_error(e.what());
            sender.send(service::status_message("error", e.what()));
        }
    } catch (const std::exception& e) {
        svc.report_error(name + ": " + e.what());
        sender.send(service::status_message("error", e.what()));
    }
}

/// A file that changed since it was queued, or that the decoder found truncated, goes back
/// to the stability gate, with a growing delay, a bounded number of times while it stays the
/// same; then the device is told. Worker thread; the bookkeeping runs on the I/O thread.
bool Daemon::Impl::retry(const Job& job, const std::string& why, bool truncated) {
    if (job.kind != Job::Kind::export_file || svc.stopping()) return false;
    watch::FileState now;
    const bool changed = watch::stat_file(job.file.path, now) && !(now == job.file);
    if (!changed && !truncated) return false;
    asio::post(svc.io(), [this, job, why, changed] {
        if (svc.stopping() || !watcher) return;
        auto& fail = failures[job.file.path];
        fail.count = (fail.state == job.file) ? fail.count + 1 : 1;
        fail.state = job.file;
        seen.erase({job.file.path.string(), job.file.size, job.file.mtime_ns});
        if (!changed && fail.count > max_retries) {
            svc.report_error(why + " (tried " + std::to_string(fail.count) + " times; export it again)");
            return;
        }
        const double delay_s = std::max(watch_options.settle_s, std::min(8.0, 0.5 * std::pow(2.0, fail.count - 1)));
        log::info(job.file.path.string() + ": not complete yet (" + why + "); try " + std::to_string(fail.count) + " of " +
                  std::to_string(max_retries) + " in " + fmt("%.1f s", delay_s));
        watcher->check(job.file.path, delay_s);
    });
    return true;
}

/// Records the exports kept while the database failed, on the store thread (one try at a time;
/// the heartbeat asks again while some are left).
void Daemon::Impl::record_kept() {
    if (recording_kept.exchange(true)) return;
    on_store_thread([this] {
        std::size_t recorded = 0;
        try {
            recorded = record_unrecorded(*svc.config(), store);
        } catch (const StoreError& e) {
            log::debug(std::string("history still unavailable: ") + e.what());
        }
        std::size_t left = 0;
        {
            std::lock_guard lock(store.mutex);
            left = store.unrecorded.size();
        }
        unrecorded = left;
        recording_kept = false;
        if (recorded)
            svc.sender().send(service::status_message(state(), "recorded " + std::to_string(recorded) +
                                                                   " export(s) kept while the history was unavailable"));
    });
}

}  // namespace mixscout::app
