// mixscout monitor: a finished take -> rules -> history -> the messages for the device.
//
// The same steps as an export (app/daemon_pipeline.cpp, history/pipeline.hpp), with the take's
// sample hash instead of a file hash: rules::evaluate under the profile, reference comparison,
// Store::record_export_hashed as ExportKind::live_take of the song, compare_with_previous.
// The song is, in order: the one given (--song / monitor.song), the history's current song (the
// latest export's), else "Live take". The take's path is a name, not a file:
// "<data_dir>/live takes/<song> <UTC date time>".
//
// The outcome is sent like an export's, with osc::export_messages().
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "monitor/take.hpp"
#include "osc/outcome.hpp"

namespace mixscout::config {
class Config;
}
namespace mixscout::history {
class Store;
}

namespace mixscout::monitor {

using TakeOutcome = osc::ExportOutcome;

/// `store` may be null (history unavailable): the take is still judged, verdict "first".
/// Throws nothing for database trouble (StoreError is logged and reported in summary).
TakeOutcome process_take(const Take& take, const config::Config& cfg, const std::string& profile,
                         history::Store* store, const std::string& song, const std::filesystem::path& data_dir);

}  // namespace mixscout::monitor
