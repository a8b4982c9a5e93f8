// mixscout app (daemon): the real "process this export" step and the other worker jobs —
// analysis -> rules (+ stem clashes) -> history -> what the device is told. Worker threads.
#pragma once
#include <cstddef>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "app/daemon.hpp"
#include "history/pipeline.hpp"
#include "history/store.hpp"
#include "master/master.hpp"

namespace mixscout::config {
class Config;
}

namespace mixscout::app {

/// An export analysed while the database could not record it (locked, disk full, read-only):
/// kept in memory, with its content hash taken then, and recorded when the database works again.
struct Unrecorded {
    std::filesystem::path path;
    analysis::Analysis analysis;
    history::IngestInput input;
};

/// The history store shared by the workers and the daemon's store thread: one SQLite connection,
/// one user at a time. `store` is empty when the database could not be opened (`error` says
/// why); the daemon then analyses without history and tries to open it again later.
struct StoreAccess {
    std::mutex mutex;
    std::optional<history::Store> store;
    std::string error;
    std::filesystem::path data_dir;     ///< where the database lives (for opening it again)
    std::deque<Unrecorded> unrecorded;  ///< oldest first; recorded before any newer export
    static constexpr std::size_t kMaxUnrecorded = 32;  ///< beyond: the oldest is left to the next start's scan
};

/// Export (optionally with its stems) or a stems-only run -> Outcome. Throws InputError.
/// A stems-only run is not stored; its fixes follow review::next_fixes with the tier of the
/// song's current iteration (its stored mixes, 1 when none) and the focus in force. When the
/// database cannot record an export, the outcome still carries the fixes, `not_recorded` says why
/// in one line, and the export waits in access.unrecorded (exports kept earlier are recorded
/// first, so iterations keep their order).
Outcome process_export(const Job& job, const config::Config& cfg, StoreAccess& store);

/// Records the exports kept in access.unrecorded, oldest first (opening the database first if it
/// was unavailable); returns how many were recorded. Throws StoreError when the database still
/// fails (what was not recorded stays kept).
std::size_t record_unrecorded(const config::Config& cfg, StoreAccess& access);

/// Stores job.file.path as a reference for the current song; returns the song ("" = all songs).
std::string add_reference(const std::filesystem::path& file, StoreAccess& store);

/// Masters `mix` against its song's references into <masters_dir>/<song>/"<mix> (master).wav",
/// or "(master 2)", "(master 3)"... when that exists: an earlier master is never overwritten.
master::MasterReport master_mix(const std::filesystem::path& mix, const std::filesystem::path& masters_dir,
                                StoreAccess& store, const master::ProgressCallback& progress);

/// Creates (exclusively) the first free "<stem> (master[ N]).wav" in `folder` and returns it.
std::filesystem::path reserve_master_file(const std::filesystem::path& folder, const std::string& stem);

/// The latest export judged again with `cfg` (its focus and stop options come from the store's
/// options): what the daemon re-sends after a config reload or a /mixscout/focus. nullopt: no
/// history, or nothing stored yet. Throws StoreError.
std::optional<Outcome> review_latest(const config::Config& cfg, StoreAccess& access);

/// The outcome fields that come from a judgement (song, iteration, next fixes, verdict, stop).
void fill_outcome(Outcome& out, const history::IngestResult& r);

}  // namespace mixscout::app
