// mixscout app: gathering and writing HTML reports (report/report.hpp) — for `mixscout report`,
// `analyze --report` and the daemon, which writes one per analysed export (cmd_report.cpp).
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis.hpp"
#include "config/config.hpp"
#include "history/pipeline.hpp"
#include "history/store.hpp"
#include "report/report.hpp"
#include "stems/stems.hpp"

namespace mixscout::app {

/// Everything a report shows: the profile's targets and the tonal target from cfg; from the
/// store (may be null), the song's iterations (with each one's loudness and PLR) and its
/// reference tracks; from `ingested`, the song, iteration, verdict and the fixes in focus order.
report::ReportInput gather_report(const analysis::Analysis& a, const std::vector<rules::Issue>& issues,
                                  const config::Config& cfg, std::string_view profile, history::Store* store,
                                  const history::IngestResult* ingested, const std::optional<stems::StemsReport>& stems,
                                  const std::optional<nlohmann::json>& master);

/// Writes `html` to `out` atomically (a temporary file beside it, then rename), creating the
/// folder. Throws InputError("<out>: cannot write ...").
void write_text_file(const std::filesystem::path& out, const std::string& html);

/// For the CLI: opens the history (when data_dir or the default one has it), gathers, renders,
/// writes `out`. Returns `out`.
std::filesystem::path write_report_file(const std::filesystem::path& out, const std::filesystem::path& file,
                                        const analysis::Analysis& a, const std::vector<rules::Issue>& issues,
                                        const config::Config& cfg, std::string_view profile, const std::string& data_dir,
                                        const history::IngestResult* ingested,
                                        const std::optional<stems::StemsReport>& stems,
                                        const std::optional<nlohmann::json>& master);

/// What `mixscout master --json` printed, read from `path` (empty: nullopt). Throws InputError.
std::optional<nlohmann::json> load_master_json(const std::string& path);

/// Where the daemon keeps the report of an export: <data_dir>/reports/<song> <iteration>.html,
/// the song's name made ASCII, safe for any file system and at most 48 bytes (the path goes over
/// OSC, whose strings are ASCII and at most max_string_bytes).
std::filesystem::path daemon_report_path(const std::filesystem::path& data_dir, const std::string& song, int iteration);

}  // namespace mixscout::app
