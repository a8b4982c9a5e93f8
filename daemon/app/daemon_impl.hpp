// mixscout app (daemon, internal): the daemon's state, shared by daemon.cpp, daemon_requests.cpp,
// daemon_watch.cpp and daemon_work.cpp. See daemon.hpp for the threads and what each one owns.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "app/daemon.hpp"
#include "app/daemon_pipeline.hpp"
#include "app/job_state.hpp"
#include "app/service/service.hpp"
#include "app/work_queue.hpp"
#include "monitor/monitor.hpp"
#include "review/focus.hpp"

namespace mixscout::app {

struct Daemon::Impl {
    DaemonFlags flags;
    ExportStep step;
    service::Service svc;

    // ---- watching (I/O thread) -------------------------------------------------------------------
    using FileKey = std::tuple<std::string, std::uintmax_t, std::int64_t>;
    watch::Options watch_options;
    std::unique_ptr<watch::Watcher> watcher;
    double group_window_s = 0.3;
    std::set<FileKey> seen;  // queued file states
    // Retries of files found truncated, per path: the state that failed and how often in a row. A
    // file that keeps failing unchanged is given up on, not re-decoded forever.
    struct Failures {
        watch::FileState state;
        int count = 0;
    };
    std::map<std::filesystem::path, Failures> failures;
    int max_retries = 5;
    struct Batch {
        std::vector<watch::FileState> files;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };
    std::map<std::filesystem::path, Batch> batches;
    std::set<std::filesystem::path> scanned;  // fed to the gate by the start-up scan, not yet queued
    std::atomic<bool> scan_cancelled{false};  // a stop: the scan (store thread) ends at the next file

    // ---- work --------------------------------------------------------------------------------------
    std::unique_ptr<WorkQueue<Job>> queue;
    std::deque<Job> backlog;  // I/O thread only: what did not fit into the queue yet
    std::atomic<std::size_t> backlog_size{0};
    std::atomic<std::size_t> pending_files{0};  // in the stability gate or a batch (for the workers' status lines)
    std::vector<std::thread> workers;
    RunningJobs running;  // one ticket per running job: the heartbeat's state
    static constexpr int kMaxRequestsWaiting = 8;  // /mixscout/analyze, /reference, /master queued or running
    std::atomic<int> requests_waiting{0};
    std::atomic<std::int64_t> processed{0};

    // ---- history -----------------------------------------------------------------------------------
    StoreAccess store;
    std::filesystem::path data_dir;
    std::atomic<std::size_t> unrecorded{0};   // exports kept while the database failed
    std::atomic<bool> recording_kept{false};  // a retry of those is on the store thread

    std::mutex latest_mutex;
    std::vector<osc::Message> latest;  // the last export's messages, for hello replies
    std::optional<review::Area> device_focus;  // /mixscout/focus (I/O thread); wins over the config's focus:

    std::unique_ptr<monitor::Monitor> live_monitor;

    // Last: destroyed (joined) first, while everything its tasks use still exists.
    boost::asio::thread_pool store_thread{1};

    Impl(DaemonFlags f, ExportStep s);

    // daemon.cpp: set-up, state, what goes to the device, stop.
    std::vector<service::Route> routes();
    std::string state() const;
    osc::Message heartbeat_status() const;
    void send_outcome(const Outcome& o);
    void on_store_thread(std::function<void()> task);
    void rejudge_latest();
    void start_monitor(const config::Config& cfg);
    void shutdown();

    // daemon_requests.cpp: the device's requests (I/O thread; database work goes to the store thread).
    void on_note(const std::string& text);
    void on_ears(const std::string& vote_text);
    void on_history(const std::string& song_arg);
    void on_focus(const std::string& area);
    void on_file_request(Job::Kind kind, const std::string& path_text);

    // daemon_watch.cpp: folders, batches, the start-up scan (I/O thread).
    void apply_watch(const config::Config& cfg, bool initial);
    std::string folders_text() const;
    void on_ready(const watch::FileState& f);
    void flush_batch(const std::filesystem::path& folder);
    void pick_up();
    void update_pending();
    std::size_t watched_folders() const;

    // daemon_work.cpp: the queue and the workers.
    void enqueue(Job job);
    void refill();
    void worker_loop();
    void run_job(const Job& job);
    bool retry(const Job& job, const std::string& why, bool truncated);
    void record_kept();
    std::size_t abandon_scanned();
};

}  // namespace mixscout::app
