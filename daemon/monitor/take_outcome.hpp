// mixscout monitor: a finished take -> rules -> history -> the messages for the device.
//
// The same steps as an export (app/daemon_pipeline.cpp, history/pipeline.hpp), with the take's
// sample hash instead of a file hash: rules::evaluate under the profile, reference comparison,
// Store::record_export_hashed as ExportKind::live_take of the song, compare_with_previous.
// The song is, in order: the one given (--song / monitor.song), the history's current song (the
// latest export's), else "Live take". The take's path is a name, not a file:
// "<data_dir>/live takes/<song> <UTC date time>".
//
// outcome_messages() builds what the daemon sends for an export: /mixscout/export, up to three
// /mixscout/fix, /mixscout/fixes_end, /mixscout/verdict, and /mixscout/stop when it fired.
// (The daemon's own sender lives inside Daemon::Impl and is not reachable from here; this is the
// same sequence, built from the protocol table.)
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "monitor/take.hpp"
#include "osc/message.hpp"

namespace mixscout::config {
class Config;
}
namespace mixscout::history {
class Store;
}

namespace mixscout::monitor {

struct TakeOutcome {
    struct Fix {
        std::string severity, title, fix;
    };
    std::string path, song;
    int iteration = 0;
    std::int64_t export_id = 0;
    bool is_new = true;
    std::vector<Fix> fixes;      ///< at most three, in focus order
    std::string verdict;         ///< protocol enum
    std::string summary;
    std::string stop_reason;     ///< non-empty: /mixscout/stop
    std::string status;          ///< one line for the log
};

/// `store` may be null (history unavailable): the take is still judged, verdict "first".
/// Throws nothing for database trouble (StoreError is logged and reported in summary).
TakeOutcome process_take(const Take& take, const config::Config& cfg, const std::string& profile,
                         history::Store* store, const std::string& song, const std::filesystem::path& data_dir);

std::vector<osc::Message> outcome_messages(const TakeOutcome& outcome);

}  // namespace mixscout::monitor
