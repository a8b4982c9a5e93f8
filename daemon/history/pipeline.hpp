// mixscout history: the store joined to the judgement (review/), shared by `mixscout analyze`,
// `compare`, `history`, the daemon and the live monitor.
//
//   auto opts = history::store_options(config);              // songs.rename, stop.*, focus, history.*
//   auto store = history::Store::open(data_dir, opts);
//   auto r = history::ingest(store, path, analysis, config, {.profile = "mix"});
//   r.issues      all issues, judged with `config` (reference issues applied), ranked
//   r.record      {export_id, song, iteration, is_new}
//   r.comparison  verdict vs the previous iteration, next fixes (tiers, focus), stop signal
//   auto again = history::review_export(store, id, config);   // the same for a stored export
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

/// Reads songs.rename, stop.min_change_db, stop.max_iterations, focus, history.busy_timeout_ms,
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

/// How an export came in, besides its analysis.
struct IngestInput {
    std::string profile = "mix";                     ///< the delivery profile to judge it for
    std::optional<std::vector<std::string>> stems;   ///< its stems run's track names; nullopt: none
    std::vector<rules::Issue> stem_issues;           ///< that run's clashes and per-stem checks
    std::shared_ptr<const stems::StemsMeasured> stems_measured;  ///< what that run measured (stored, judged again)
    ExportKind kind = ExportKind::export_file;
    std::string song;                                ///< force the song (live takes); empty: from the name
    std::optional<review::Role> role;                ///< force mix/master; nullopt: name or profile kind
    std::string hash;                                ///< the content hash if known (live takes, analyze_export); empty: hash the file
    std::optional<std::uint64_t> size_bytes;         ///< with hash: the size of the bytes hashed (exports that grow, store.hpp)
};

/// Record (measurements) -> review with `config` against the previous export of the same song
/// and role -> the verdict stored. An export already stored (same bytes) is judged again with
/// `config` and the input's profile and stems: a changed config shows its new ranking at once.
/// What review() judges of an export: its analysis and what `input` says of its profile and stems.
review::Measurements measurements_of(const analysis::Analysis& analysis, const IngestInput& input);

IngestResult ingest(Store& store, const std::filesystem::path& file, const analysis::Analysis& analysis,
                    const config::Config& config, const IngestInput& input = {});

/// The judgement of a stored export with `config` (and the store's options: stop.*, focus,
/// references). `now`: judge these measurements instead of the stored ones (a re-analysis with
/// another profile or stems). Throws StoreError on an unknown id.
IngestResult review_export(Store& store, std::int64_t export_id, const config::Config& config,
                           const review::Measurements* now = nullptr);

/// For `mixscout analyze`: opens the store (data_dir_flag / config / default) with `options`
/// and ingests. When the database cannot be used, returns nullopt and sets `warning` to one line
/// ("history not saved: ..."): the caller prints the analysis anyway.
std::optional<IngestResult> try_ingest(const std::filesystem::path& data_dir_flag, const config::Config& config,
                                       const StoreOptions& options, const std::filesystem::path& file,
                                       const analysis::Analysis& analysis, const IngestInput& input,
                                       std::string& warning);

/// {"export_id", "song", "iteration", "is_new"}: the `history` key of `analyze --json`.
nlohmann::json to_json(const ExportRecord& record);

}  // namespace mixscout::history
