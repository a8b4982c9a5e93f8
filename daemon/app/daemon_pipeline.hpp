// mixscout app (daemon): the real "process this export" step and the other worker jobs —
// analysis -> rules (+ stem clashes) -> history -> what the device is told. Worker threads.
#pragma once
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

/// The history store shared by the workers and the I/O thread: one SQLite connection, one user
/// at a time. `store` is empty when the database could not be opened (`error` says why); the
/// daemon then analyses without history.
struct StoreAccess {
    std::mutex mutex;
    std::optional<history::Store> store;
    std::string error;
};

/// Export (optionally with its stems) or a stems-only run -> Outcome. Throws InputError.
/// A stems-only run is not stored; its fixes follow review::next_fixes with the tier of the
/// song's current iteration (its stored mixes, 1 when none) and the focus in force.
Outcome process_export(const Job& job, const config::Config& cfg, StoreAccess& store);

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
