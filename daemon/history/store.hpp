// mixscout history: the SQLite store of songs, exports (iterations), issues, notes, references.
//
//   auto store = history::Store::open(history::default_data_dir());     // or --data-dir
//   auto rec = store.record_export(path, analysis, issues, kind, song, meta); // -> {export_id, song, iteration}
//   auto m = store.load_measurements(rec.export_id);   // what review::review() judges again
//   store.set_verdict(rec.export_id, verdict, change_db);
//
// The store only persists; judging (issues, verdicts, next fixes, stop) is review/'s, and
// history/pipeline.hpp joins the two. `issues` rows are the ranking as it was when stored (for
// the record); what is shown is judged again from the measurements with the config in force.
//
// File: <data_dir>/history.sqlite (created with the folder). WAL journal, synchronous=FULL,
// foreign keys on, busy timeout (StoreOptions::busy_timeout_ms). Every write runs in one
// transaction, so a process killed mid-write (kill -9) loses nothing committed and leaves no
// half-written export. The schema is versioned (table schema_version) and migrated forward on
// open; a database from a newer mixscout is refused.
//
// Iterations: the song comes from the export's name (review/export_name.hpp) or, when the same
// path was exported before, from that earlier export. Mixes and masters of a song are numbered
// apart (a master is the song's master, compared with masters only). Within a song and role the
// iteration number is the position in review/iteration_order.hpp's order: by the version number
// in the name, else by time ("mix_v3" exported after "mix_v4" becomes iteration 3 and v4 moves
// to 4). The "previous export" of a comparison is the one just before it in that order. Rows
// keep their arrival sequence per song (column iteration), from which that order is computed.
// The code: store.cpp (this class), rows.hpp (reading export rows, the order), schema.hpp (the
// versioned schema and its migrations).
// Content hash: FNV-1a 64-bit over the file's bytes ("fnv1a64:<16 hex>"); an export whose hash
// is already stored is NOT a new iteration: record_export returns the existing record (is_new
// false).
// Exports that grow: a format with no length in its header (an MP3 without a Xing/Info frame)
// can look finished while it is still being written. When the latest record of the same path
// is still the newest of its song and role, was recorded smaller (size_bytes), and its bytes are
// exactly the start of the new file (the new file = it + appended bytes), the new file is that
// export completed: its record is replaced (same id and iteration, new hash, size, analysis,
// issues; verdict judged again), not a new iteration (ExportRecord::replaced). A re-export that
// rewrites the file differs in its first bytes (header, first frames) and is a new iteration.
//
// Errors: anything the database refuses (locked past the busy timeout, not a database, disk
// full, read-only) throws StoreError("history database <file>: <what>; <what to do>").
// Analysis goes on without history when that happens.
//
// Threading: a Store is one SQLite connection; use it from one thread at a time. Several Stores
// (processes) may share one file: SQLite locks it, writers wait up to the busy timeout.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.hpp"
#include "review/comparison.hpp"
#include "review/reference.hpp"
#include "review/export_name.hpp"
#include "review/review.hpp"
#include "rules/issue.hpp"

namespace mixscout::history {

using review::CompareOptions;
using review::Ears;
using review::parse_ears;
using review::Comparison;
using review::ReferenceOptions;
using review::RenameRule;
using review::SongName;
using review::SongNamer;
using review::Verdict;
using review::song_key;

/// The per-user data folder, user_dir(UserDir::data) (core/user_dirs.hpp); created by
/// Store::open, not here.
std::filesystem::path default_data_dir();

/// The database file inside a data folder.
std::filesystem::path database_path(const std::filesystem::path& data_dir);

/// "fnv1a64:<16 lower-case hex digits>" of the file's bytes (streamed, 64 KiB at a time;
/// core/content_hash.hpp). Throws InputError("<path>: cannot read ...") when the file cannot be read.
std::string content_hash(const std::filesystem::path& file);

/// The current schema version (what open() migrates to).
inline constexpr int schema_version = 6;

enum class ExportKind { export_file, live_take };
std::string_view to_string(ExportKind kind);  ///< "export" | "live_take"

struct StoreOptions {
    int busy_timeout_ms = 3000;          ///< history.busy_timeout_ms: wait this long for a lock
    std::vector<RenameRule> rename;      ///< songs.rename
    CompareOptions compare;              ///< stop.*
    ReferenceOptions reference;          ///< history.reference.*
};

/// What record_export stores besides the analysis (schema 4, 5).
struct ExportMeta {
    std::optional<review::Role> role;                ///< nullopt: from the file name (export_name.hpp)
    std::string profile = "mix";                     ///< the profile it was judged for
    std::optional<std::vector<std::string>> stems;   ///< the stems run's track names; nullopt: none
    std::vector<rules::Issue> stem_issues;           ///< that run's clashes and per-stem checks
    std::shared_ptr<const stems::StemsMeasured> stems_measured;  ///< what it measured (schema 5); null: not kept
    std::optional<std::uint64_t> size_bytes;         ///< the recorded file's size (record_export: stat)
};

struct ExportRecord {
    std::int64_t export_id = 0;
    std::string song;                    ///< display name
    int iteration = 1;
    bool is_new = true;                  ///< false: this content was already stored (same hash)
    bool replaced = false;               ///< the file grew since it was recorded: same iteration, new content
};

/// One row of `mixscout history`.
struct HistoryItem {
    std::int64_t export_id = 0;
    std::string song;
    int iteration = 1;
    std::string path;
    std::string kind;                    ///< "export" | "live_take"
    std::string role = "mix";            ///< "mix" | "master"
    std::optional<int> version;          ///< from the name ("mix_v3_..." -> 3)
    std::string created_at;              ///< ISO 8601 UTC, "2026-05-01T14:32:07Z"
    std::string content_hash;
    int critical = 0, important = 0, polish = 0;
    std::string verdict;                 ///< to_string(Verdict) for this iteration
    double change_db = 0.0;
    std::vector<std::string> notes;      ///< oldest first
    std::string ears;                    ///< the listener's vote: "better" | "same" | "worse"; "" = none
};

struct StoredExport {
    HistoryItem item;
    analysis::Analysis analysis;
    std::vector<rules::Issue> issues;    ///< ranked as stored (the judgement at the time)
    review::Measurements measurements;   ///< what it measured: judge it again from these
};

struct ReferenceItem {
    std::int64_t reference_id = 0;
    std::string path;
    std::string song;                    ///< empty: a reference for every song
    std::string created_at;
    std::string content_hash;
    double integrated_lufs = 0.0;
};

struct SongSummary {
    std::string song;
    int iterations = 0;
    std::string last_at;
};

class Store {
public:
    /// Opens (creating the folder and file if needed) and migrates. Throws StoreError.
    static Store open(const std::filesystem::path& data_dir, StoreOptions options = {});
    /// Same, with the database file named directly.
    static Store open_file(const std::filesystem::path& db_file, StoreOptions options = {});

    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;
    ~Store();

    const std::filesystem::path& file() const;
    const StoreOptions& options() const;
    /// New options (a config reload, a focus). Throws InputError on a bad rename regex.
    void set_options(StoreOptions options);

    /// Stores an export of `file` (hashing its bytes) with its analysis and final issues.
    /// `song`: force the song (e.g. a live take of the current song); empty = recognise.
    ExportRecord record_export(const std::filesystem::path& file, const analysis::Analysis& analysis,
                               const std::vector<rules::Issue>& issues, ExportKind kind = ExportKind::export_file,
                               const std::string& song = {}, const ExportMeta& meta = {});
    /// Same with the hash given (live takes kept in memory, tests).
    ExportRecord record_export_hashed(const std::filesystem::path& file, const std::string& hash,
                                      const analysis::Analysis& analysis, const std::vector<rules::Issue>& issues,
                                      ExportKind kind = ExportKind::export_file, const std::string& song = {},
                                      const ExportMeta& meta = {});

    /// The song this file would be filed under (rename rules, earlier exports of the path).
    std::string song_for(const std::filesystem::path& file);

    /// The export before this one in its song's iteration order (same role: mix or master; by
    /// version, else by time; see above). nullopt for a first. Throws StoreError on unknown id.
    std::optional<std::int64_t> previous_export(std::int64_t export_id);
    /// Stores the verdict a review gave (change_db nullopt for a first iteration).
    void set_verdict(std::int64_t export_id, Verdict verdict, std::optional<double> change_db);

    /// Adds a note to export_id, or to the latest export when nullopt; returns the export id.
    /// Throws StoreError when there is no such export (or no export at all).
    std::int64_t add_note(const std::string& text, std::optional<std::int64_t> export_id = std::nullopt);

    /// Stores the listener's vote (Ears in comparison.hpp) for export_id, or the latest export when
    /// nullopt; a later vote replaces the earlier one. Returns the export id. Throws StoreError when
    /// there is no such export (or no export at all).
    std::int64_t set_ears(Ears vote, std::optional<std::int64_t> export_id = std::nullopt);
    /// The vote stored for an export, if any.
    std::optional<Ears> ears(std::int64_t export_id);

    std::optional<std::int64_t> latest_export_id();
    /// The song of the latest export (the "current song"), if any.
    std::optional<std::string> current_song();
    StoredExport load_export(std::int64_t export_id);   ///< throws StoreError on unknown id
    /// Iterations of a song (matched by song_key), oldest first. Unknown song: empty.
    std::vector<HistoryItem> history(const std::string& song);
    std::vector<SongSummary> songs();

    /// Stores a reference track (for `song`, or for all songs when empty). Same hash + song
    /// already stored: returns the existing id.
    std::int64_t add_reference(const std::filesystem::path& file, const analysis::Analysis& analysis,
                               const std::string& song = {});
    /// References for a song (empty: all).
    std::vector<ReferenceItem> references(const std::string& song = {});
    /// The analyses to compare a song against: its own references, or, when it has none, the
    /// references stored for all songs.
    std::vector<analysis::Analysis> reference_analyses(const std::string& song);

private:
    struct Impl;
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace mixscout::history
