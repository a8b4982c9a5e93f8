// mixscout history (internal): the versioned schema and its migrations, run by Store::open.
//
// migrations[i] takes the schema from version i to i + 1 (SQL), then the backfills fill what SQL
// alone cannot (verdicts, roles and versions from names, regrouped songs). Never edit a released
// step; add one. Everything runs in the caller's transaction with the schema_version update, so
// a migration interrupted half-way leaves the database as it was.
#pragma once
#include "history/sqlite.hpp"
#include "review/comparison.hpp"
#include "review/export_name.hpp"

namespace mixscout::history::schema {

/// The version stored in the database; 0 for an empty file. Throws StoreError for a SQLite file
/// that is not a mixscout history.
int read_version(sql::Db& db);

/// Brings the database from read_version() to history::schema_version (store.hpp) (call inside a write transaction).
/// `namer` recognises songs from export names (the config's songs.rename in force), `compare`
/// judges the verdicts a backfill has to fill in.
void migrate(sql::Db& db, const review::CompareOptions& compare, const review::SongNamer& namer);

}  // namespace mixscout::history::schema
