#include "history/schema.hpp"

#include <array>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "analysis/analysis_json.hpp"
#include "core/error.hpp"
#include "history/rows.hpp"
#include "history/store.hpp"

namespace mixscout::history::schema {

namespace {

using rows::ExportRow;
using rows::find_export;
using rows::load_issues;
using rows::parse_analysis;

// Versioned migrations: migrations[i] takes the schema from version i to i + 1. Never edit a
// released step; add one. Steps run in one transaction with the schema_version update.
constexpr std::array<const char*, schema_version> migrations = {
    // 0 -> 1: songs, exports (iterations), their issues, notes.
    R"sql(
    CREATE TABLE schema_version (version INTEGER NOT NULL);
    INSERT INTO schema_version (version) VALUES (0);
    CREATE TABLE songs (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,          -- song_key(): case-folded, separators collapsed
        name TEXT NOT NULL,                -- as first seen
        created_at TEXT NOT NULL);
    CREATE TABLE exports (
        id INTEGER PRIMARY KEY,
        song_id INTEGER NOT NULL REFERENCES songs(id),
        path TEXT NOT NULL,                -- absolute
        content_hash TEXT NOT NULL,        -- fnv1a64:<hex> of the file bytes
        created_at TEXT NOT NULL,          -- ISO 8601 UTC
        iteration INTEGER NOT NULL,
        analysis_json TEXT NOT NULL,       -- analysis::to_json, complete
        UNIQUE (song_id, iteration));
    CREATE INDEX exports_by_hash ON exports (content_hash);
    CREATE INDEX exports_by_path ON exports (path);
    CREATE TABLE issues (
        id INTEGER PRIMARY KEY,
        export_id INTEGER NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,         -- rank, 0 = first
        rule TEXT NOT NULL, category TEXT NOT NULL, severity TEXT NOT NULL,
        title TEXT NOT NULL, detail TEXT NOT NULL, fix TEXT NOT NULL,
        times_json TEXT NOT NULL,
        score REAL NOT NULL, value REAL NOT NULL, target REAL NOT NULL, unit TEXT NOT NULL);
    CREATE INDEX issues_by_export ON issues (export_id);
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        export_id INTEGER NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        text TEXT NOT NULL);
    )sql",
    // 1 -> 2: export kinds (live takes), the verdict and change per iteration, reference tracks.
    // Verdicts of existing exports are filled in by backfill_verdicts() after this step.
    R"sql(
    ALTER TABLE exports ADD COLUMN kind TEXT NOT NULL DEFAULT 'export';
    ALTER TABLE exports ADD COLUMN verdict TEXT;
    ALTER TABLE exports ADD COLUMN change_db REAL;
    CREATE TABLE reference_tracks (
        id INTEGER PRIMARY KEY,
        song_key TEXT,                     -- NULL: a reference for every song
        song_name TEXT,                    -- as the user wrote it
        path TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        analysis_json TEXT NOT NULL,
        UNIQUE (song_key, content_hash));
    )sql",
    // 2 -> 3: the listener's vote per export (/mixscout/ears); one row per export, the last vote.
    R"sql(
    CREATE TABLE ears (
        export_id INTEGER PRIMARY KEY REFERENCES exports(id) ON DELETE CASCADE,
        vote TEXT NOT NULL CHECK (vote IN ('better', 'same', 'worse')),
        created_at TEXT NOT NULL);
    )sql",
    // 3 -> 4: what judging an export again needs, and masters apart from mixes. role: 'mix' |
    // 'master'; version: from the name; profile: what it is judged for; stems_json: the stems run
    // beside it ({"names", "issues"}; NULL = exported without stems). Filled for existing exports
    // by backfill_measurements() after this step.
    R"sql(
    ALTER TABLE exports ADD COLUMN role TEXT NOT NULL DEFAULT 'mix';
    ALTER TABLE exports ADD COLUMN version INTEGER;
    ALTER TABLE exports ADD COLUMN profile TEXT NOT NULL DEFAULT 'mix';
    ALTER TABLE exports ADD COLUMN stems_json TEXT;
    )sql",
    // 4 -> 5: the stems run as measured (stems::to_bytes, CBOR: every stem's band levels per
    // frame in 0.01 dB, its loudness, peak, clip runs, stereo position), so a changed `stems:`
    // config re-judges stored clashes (review/review.hpp); ~0.3 MB per 4-minute stem. NULL:
    // exported without stems, or stored before this step (its stem issues stand as judged then).
    // Songs stored under checkpoint names before they were grouped are regrouped by
    // regroup_checkpoint_songs() after this step.
    R"sql(
    ALTER TABLE exports ADD COLUMN stems_measured BLOB;
    )sql",
    // 5 -> 6: the byte size of the file as recorded, so an export recorded while it was still
    // growing is recognised when it is complete (record_export_hashed). NULL for older rows.
    R"sql(
    ALTER TABLE exports ADD COLUMN size_bytes INTEGER;
    )sql",
};

Comparison comparison_for(sql::Db& db, const ExportRow& row, const CompareOptions& options) {
    const auto after = parse_analysis(row.analysis_json, db);
    const auto after_issues = load_issues(db, row.id);
    Comparison c;
    const auto prev = rows::previous_row(db, row);
    if (prev) {
        c = compare(parse_analysis(prev->analysis_json, db), load_issues(db, prev->id), after, after_issues,
                    row.ordinal, options);
        c.previous_export_id = prev->id;
    } else {
        c = first_iteration(after, after_issues, row.ordinal, options);
    }
    c.export_id = row.id;
    return c;
}

/// Fills exports.verdict/change_db where missing (exports stored before schema 2).
void backfill_verdicts(sql::Db& db, const CompareOptions& options) {
    std::vector<std::int64_t> ids;
    {
        sql::Stmt q(db, "SELECT id FROM exports WHERE verdict IS NULL ORDER BY id");
        while (q.step()) ids.push_back(q.int64(0));
    }
    sql::Stmt upd(db, "UPDATE exports SET verdict = ?, change_db = ? WHERE id = ?");
    for (auto id : ids) {
        const auto row = find_export(db, id);
        if (!row) continue;
        Comparison c;
        try {
            c = comparison_for(db, *row, options);
        } catch (const StoreError&) {
            continue;  // an unreadable old analysis: leave its verdict unknown, keep the rest
        }
        upd.reset();
        upd.bind(1, to_string(c.verdict));
        if (c.verdict == Verdict::first)
            upd.bind_null(2);
        else
            upd.bind(2, c.change_db);
        upd.bind(3, id).run();
    }
}

/// Fills role, version and stems_json for exports stored before schema 3: role and version from
/// the file name, the stems part from the stored clash / per-stem issues (names unknown).
void backfill_measurements(sql::Db& db) {
    struct Old {
        std::int64_t id;
        std::string path;
    };
    std::vector<Old> rows;
    {
        sql::Stmt q(db, "SELECT id, path FROM exports WHERE kind = 'export' ORDER BY id");
        while (q.step()) rows.push_back({q.int64(0), q.text(1)});
    }
    sql::Stmt upd(db, "UPDATE exports SET role = ?, version = ? WHERE id = ?");
    for (const auto& r : rows) {
        const auto name = review::classify_stem(std::filesystem::path(r.path).stem().string());
        upd.reset();
        upd.bind(1, name.role == review::Role::master ? "master" : "mix");
        if (name.version)
            upd.bind(2, static_cast<std::int64_t>(*name.version));
        else
            upd.bind_null(2);
        upd.bind(3, r.id).run();
    }
    std::vector<std::int64_t> ids;
    {
        sql::Stmt q(db, "SELECT DISTINCT export_id FROM issues WHERE rule LIKE 'clash.%' OR rule LIKE 'stem.%'");
        while (q.step()) ids.push_back(q.int64(0));
    }
    sql::Stmt set_stems(db, "UPDATE exports SET stems_json = ? WHERE id = ?");
    for (auto id : ids) {
        review::Measurements m;
        m.stems = std::vector<std::string>{};
        for (auto& i : load_issues(db, id))
            if (i.rule.rfind("clash.", 0) == 0 || i.rule.rfind("stem.", 0) == 0) m.stem_issues.push_back(std::move(i));
        set_stems.reset();
        set_stems.bind(1, json_text(review::stems_to_json(m))).bind(2, id).run();
    }
}

/// Songs stored under checkpoint names before those were grouped ("mix_v1_initial",
/// "mix_v2_clipping_fixed": two songs) join the song their names now give ("mix"): a song moves
/// when every file export of it is now recognised as one other song. Its exports move with their
/// issues, notes and ears (rows keyed by export id); its references are re-keyed (a reference the
/// target song already has with the same content is kept once); the emptied song row goes. The
/// target's arrival sequence is renumbered by export id (ids grow with arrival) and its verdicts
/// are judged again by backfill_verdicts() (they were all "first").
void regroup_checkpoint_songs(sql::Db& db, const review::SongNamer& namer) {
    struct Song {
        std::int64_t id;
        std::string key, created_at;
    };
    std::vector<Song> songs;
    {
        sql::Stmt q(db, "SELECT id, key, created_at FROM songs ORDER BY id");
        while (q.step()) songs.push_back({q.int64(0), q.text(1), q.text(2)});
    }
    std::set<std::int64_t> targets;
    for (const Song& s : songs) {
        std::set<std::string> keys;
        review::SongName now;
        sql::Stmt q(db, "SELECT path FROM exports WHERE song_id = ? AND kind = 'export' ORDER BY id");
        q.bind(1, s.id);
        while (q.step()) {
            now = namer(std::filesystem::path(q.text(0)));
            keys.insert(now.key);
        }
        if (keys.size() != 1 || *keys.begin() == s.key) continue;
        const auto [target, display] = rows::ensure_song(db, now, s.created_at);
        sql::Stmt(db, "UPDATE songs SET created_at = min(created_at, ?) WHERE id = ?").bind(1, s.created_at).bind(2, target).run();
        // Negative sequences while songs merge: UNIQUE (song_id, iteration) holds at every step.
        sql::Stmt(db, "UPDATE exports SET song_id = ?, iteration = -id WHERE song_id = ?").bind(1, target).bind(2, s.id).run();
        sql::Stmt(db,
                  "DELETE FROM reference_tracks WHERE song_key = ? AND content_hash IN "
                  "(SELECT content_hash FROM reference_tracks WHERE song_key = ?)")
            .bind(1, s.key)
            .bind(2, now.key)
            .run();
        sql::Stmt(db, "UPDATE reference_tracks SET song_key = ?, song_name = ? WHERE song_key = ?")
            .bind(1, now.key)
            .bind(2, display)
            .bind(3, s.key)
            .run();
        sql::Stmt(db, "DELETE FROM songs WHERE id = ?").bind(1, s.id).run();
        targets.insert(target);
    }
    for (const std::int64_t t : targets) {
        sql::Stmt(db, "UPDATE exports SET iteration = -id, verdict = NULL, change_db = NULL WHERE song_id = ?").bind(1, t).run();
        std::vector<std::int64_t> ids;
        {
            sql::Stmt q(db, "SELECT id FROM exports WHERE song_id = ? ORDER BY id");
            q.bind(1, t);
            while (q.step()) ids.push_back(q.int64(0));
        }
        sql::Stmt upd(db, "UPDATE exports SET iteration = ? WHERE id = ?");
        for (std::size_t k = 0; k < ids.size(); ++k) {
            upd.reset();
            upd.bind(1, static_cast<std::int64_t>(k + 1)).bind(2, ids[k]).run();
        }
    }
}

}  // namespace

int read_version(sql::Db& db) {
    {
        sql::Stmt q(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
        q.step();
        if (q.int64(0) == 0) {
            sql::Stmt any(db, "SELECT count(*) FROM sqlite_master");
            any.step();
            if (any.int64(0) != 0)
                db.fail(26 /* SQLITE_NOTADB */, "this SQLite file is not a mixscout history (no schema_version table)");
            return 0;
        }
    }
    sql::Stmt q(db, "SELECT version FROM schema_version");
    if (!q.step()) db.fail(11 /* SQLITE_CORRUPT */, "schema_version is empty");
    return q.int32(0);
}


void migrate(sql::Db& db, const CompareOptions& compare, const review::SongNamer& namer) {
    const int v = read_version(db);
    if (v >= schema_version) return;
    for (int step = v; step < schema_version; ++step) db.exec(migrations[static_cast<std::size_t>(step)]);
    sql::Stmt(db, "UPDATE schema_version SET version = ?").bind(1, schema_version).run();
    if (v >= 1 && v < 4) backfill_measurements(db);
    if (v >= 1 && v < 5) regroup_checkpoint_songs(db, namer);
    if (v >= 1) backfill_verdicts(db, compare);  // where missing: before schema 2, or regrouped
}

}  // namespace mixscout::history::schema
