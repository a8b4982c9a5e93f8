// mixscout history (internal): reading rows of the exports table, shared by the store
// (store.cpp) and the schema migrations (schema.cpp). Not part of the module's interface.
//
// Iteration numbers: an export's `iteration` column is its arrival sequence within its song
// (both roles); the number users see (ExportRow::ordinal) is its position among the song's
// exports of the same role in review::iteration_order (by version, else by time), computed on
// read, so an old checkpoint exported late takes its place without rewriting other rows.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "analysis/analysis.hpp"
#include "history/sqlite.hpp"
#include "review/export_name.hpp"
#include "review/iteration_order.hpp"
#include "rules/issue.hpp"

namespace mixscout::history::rows {

/// Absolute and lexically normal (as stored in exports.path).
std::string absolute_path(const std::filesystem::path& p);

/// Stored JSON; a parse failure is a StoreError (SQLITE_CORRUPT) naming `what`.
nlohmann::json parse_json(const std::string& text, const sql::Db& db, std::string_view what);
analysis::Analysis parse_analysis(const std::string& text, const sql::Db& db);

/// The stored issue rows of an export, in their stored rank.
std::vector<rules::Issue> load_issues(sql::Db& db, std::int64_t export_id);

struct ExportRow {
    std::int64_t id = 0, song_id = 0;
    std::int64_t iteration = 0;  ///< arrival sequence in its song (column exports.iteration)
    int ordinal = 0;             ///< its iteration number among the song's exports of its role (shown)
    std::string song, path, kind, created_at, hash, analysis_json, verdict, role, profile, stems_json;
    std::optional<int> version;
    double change_db = 0.0;
    bool has_change = false;
};

std::optional<ExportRow> find_export(sql::Db& db, std::int64_t id);

/// The song row with this key, made (display name, created_at) when missing: {id, its name}.
std::pair<std::int64_t, std::string> ensure_song(sql::Db& db, const review::SongName& name, const std::string& created_at);

/// export_id when it exists, else the latest export; `what` completes "no export yet to ...".
/// Throws StoreError when there is no such export (or none at all).
std::int64_t export_or_latest(sql::Db& db, std::optional<std::int64_t> export_id, std::string_view what);

/// The song's exports of one role in iteration order (review/iteration_order.hpp).
std::vector<review::Arrival> song_order(sql::Db& db, std::int64_t song_id, std::string_view role);

/// The export just before `row` in its song's iteration order (same role); nullopt for a first.
std::optional<ExportRow> previous_row(sql::Db& db, const ExportRow& row);

}  // namespace mixscout::history::rows
