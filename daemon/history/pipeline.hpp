// mixscout history: the steps after analysis, shared by `mixscout analyze` and the daemon.
//
//   auto opts = history::store_options(config);              // songs.rename, stop.*, history.*
//   auto store = history::Store::open(data_dir, opts);
//   auto r = history::ingest(store, path, analysis, rules::evaluate(analysis, config));
//   r.issues      all issues, reference issues applied, ranked
//   r.record      {export_id, song, iteration, is_new}
//   r.comparison  verdict vs the previous iteration, next three (focus order), stop signal
//
// Throws StoreError when the database fails (callers print the analysis anyway).
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis.hpp"
#include "history/store.hpp"
#include "rules/issue.hpp"

namespace mixscout::config {
class Config;
}

namespace mixscout::history {

/// Reads songs.rename, stop.min_change_db, stop.max_iterations, history.busy_timeout_ms,
/// history.reference.* from the config (defaults where a key is absent).
/// Throws InputError on a bad rename regex.
StoreOptions store_options(const config::Config& config);

/// The data folder: `--data-dir` if given, else history.data_dir from the config if set, else
/// default_data_dir().
std::filesystem::path resolve_data_dir(const std::filesystem::path& data_dir_flag, const config::Config& config);

struct IngestResult {
    ExportRecord record;
    std::vector<rules::Issue> issues;  ///< with reference issues applied, ranked
    Comparison comparison;
};

/// References (of the song) -> record -> compare with the previous iteration.
IngestResult ingest(Store& store, const std::filesystem::path& file, const analysis::Analysis& analysis,
                    std::vector<rules::Issue> issues, ExportKind kind = ExportKind::export_file,
                    const std::string& song = {});

/// For `mixscout analyze`: opens the store (data_dir_flag / config / default) and ingests. When
/// the database cannot be used, returns nullopt and sets `warning` to one line ("history not
/// saved: ..."): the caller prints the analysis anyway and exits 0.
std::optional<IngestResult> try_ingest(const std::filesystem::path& data_dir_flag, const config::Config& config,
                                       const std::filesystem::path& file, const analysis::Analysis& analysis,
                                       std::vector<rules::Issue> issues, std::string& warning);

/// {"export_id", "song", "iteration", "is_new"}: the `history` key of `analyze --json`.
nlohmann::json to_json(const ExportRecord& record);

}  // namespace mixscout::history
