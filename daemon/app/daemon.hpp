// mixscout app: the daemon's wiring — watch folders, analyse each export once, push fixes over OSC.
//
//   I/O thread (run()):  Boost.Asio io_context: folder watcher + stability gate, OSC receiver,
//                        batching of files that complete together (stems runs), heartbeat,
//                        config hot reload, SIGINT/SIGTERM.
//   worker threads:      a bounded WorkQueue of jobs (exports, stems runs, /mixscout/analyze,
//                        /mixscout/reference, /mixscout/master): decode + analyse + rules +
//                        history, then the messages for the device (osc::Sender is thread-safe).
//
// An export is processed once per content: the I/O thread drops a file state (path, size,
// mtime) it has already queued, and the history recognises identical content by hash. A file
// the decoder finds truncated, or that changed while queued, goes back to the stability gate.
// Shutdown finishes every queued job before run() returns.
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

/// Command-line settings; each one set overrides the config file.
struct DaemonFlags {
    std::filesystem::path config_file;          ///< empty: default_config_file() if it exists, else the defaults
    std::vector<std::filesystem::path> watch;   ///< replaces watch.folders
    std::optional<int> listen_port;             ///< replaces osc.listen_port (0 = any free port)
    std::vector<std::string> send;              ///< HOST:PORT, added to osc.send
    std::filesystem::path data_dir;             ///< history data folder
    std::string log_level;                      ///< replaces log.level
};

/// The user's config file when --config is not given: mixscout.yaml in user_dir(UserDir::config)
/// (core/user_dirs.hpp: ~/.config/mixscout on Linux, ~/Library/Application Support/mixscout on
/// macOS, %APPDATA%\mixscout on Windows).
std::filesystem::path default_config_file();

/// One unit of work for a worker.
struct Job {
    enum class Kind { export_file, stems_only, analyze_request, reference, master };
    Kind kind = Kind::export_file;
    watch::FileState file;                      ///< the export (or the request's file)
    std::vector<std::filesystem::path> stems;   ///< a stems run: the stems (file is their master, if any)
    int attempt = 0;                            ///< retries after "truncated / still changing"
};

/// What a processed export means for the device: the messages' content.
using Outcome = osc::ExportOutcome;

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

    /// Runs until SIGINT/SIGTERM (or stop()), then finishes the queued work. Returns the exit code.
    int run();
    /// Asks run() to shut down (thread-safe).
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mixscout::app
