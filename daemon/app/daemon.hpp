// mixscout app: the daemon's wiring — watch folders, analyse each export once, push fixes over OSC.
//
//   I/O thread (run()):  the service skeleton (app/service/service.hpp: config and its hot
//                        reload, OSC in and out, devices, heartbeat, stop requests) plus the
//                        folder watcher + stability gate and the batching of files that complete
//                        together (stems runs). It never waits for the database or an analysis.
//   store thread:        the device's database requests (notes, ears, history, re-judging after
//                        a focus or config change), the start-up scan's comparison with the
//                        history, and recording exports kept while the database failed: one
//                        thread, so replies leave in the order the requests came.
//   worker threads:      a bounded WorkQueue of jobs (exports, stems runs, /mixscout/analyze,
//                        /mixscout/reference, /mixscout/master): decode + analyse + rules +
//                        history, then the messages for the device (osc::Sender is thread-safe).
//
// The code: daemon.cpp (set-up, run, stop, the state the heartbeat shows), daemon_requests.cpp
// (the device's requests), daemon_watch.cpp (watching, batches, the start-up scan),
// daemon_work.cpp (the queue and the workers), daemon_pipeline.cpp (what a job does).
//
// An export is processed once per content: the I/O thread drops a file state (path, size,
// mtime) it has already queued, and the history recognises identical content by hash. A file
// the decoder finds truncated, or that changed while queued, goes back to the stability gate.
// Shutdown finishes every queued job before run() returns, except exports the start-up scan
// queued: those are abandoned (the next start finds them again), so a stop stays prompt.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "osc/outcome.hpp"
#include "watch/watcher.hpp"

namespace mixscout::config {
class Config;
}

namespace mixscout::app {

namespace service {
class Service;
}

/// Command-line settings; each one set overrides the config file.
struct DaemonFlags {
    std::filesystem::path config_file;          ///< empty: default_config_file() if it exists, else the defaults
    std::vector<std::filesystem::path> watch;   ///< replaces watch.folders
    std::optional<int> listen_port;             ///< replaces osc.listen_port (0 = any free port)
    std::vector<std::string> send;              ///< HOST:PORT, added to osc.send
    std::filesystem::path data_dir;             ///< history data folder
    std::string log_level;                      ///< replaces log.level
};

/// One unit of work for a worker.
struct Job {
    enum class Kind { export_file, stems_only, analyze_request, reference, master };
    Kind kind = Kind::export_file;
    watch::FileState file;                      ///< the export (or the request's file)
    std::vector<std::filesystem::path> stems;   ///< a stems run: the stems (file is their master, if any)
    int attempt = 0;                            ///< retries after "truncated / still changing"
    bool from_scan = false;                     ///< queued by the start-up scan: abandoned at a stop
};

/// What a processed export means for the device: the messages' content.
struct Outcome : osc::ExportOutcome {
    /// Non-empty: analysed, but the database could not record it (one line for the device); the
    /// export is kept and recorded when the database works again.
    std::string not_recorded;
    /// Non-empty: analysed from a damaged file, with a caveat (analysis::concealed_warning),
    /// logged as a warning; also at the end of `summary` (/mixscout/verdict) and `status`.
    std::string warning;
};

/// The pluggable "process this export" step: analyses job.file (and job.stems) under `cfg`,
/// records it, and says what to tell the device. Throws InputError for a bad file. Called on a
/// worker thread.
using ExportStep = std::function<Outcome(const Job& job, const config::Config& cfg)>;

class Daemon {
public:
    /// Loads the config (throws ConfigError on a broken --config file), opens the history (a
    /// failure is logged; the daemon runs without it), binds the OSC socket (throws InputError),
    /// starts watching. `step` replaces the real pipeline (analysis -> rules -> history).
    explicit Daemon(DaemonFlags flags, ExportStep step = {});
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Runs until SIGINT/SIGTERM, /mixscout/shutdown (or stop()), then finishes the queued work.
    /// Returns the exit code.
    int run();
    /// Asks run() to shut down (thread-safe).
    void stop();
    /// Its service skeleton (routes, OSC, config): for tests.
    const service::Service& service() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mixscout::app
