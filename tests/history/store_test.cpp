// The SQLite store with real database files in temp folders: grouping, iterations, notes,
// references, migration from an older schema, kill -9 mid-write, a locked and a corrupt file.
#include <gtest/gtest.h>
#include <sqlite3.h>
#ifndef _WIN32
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <set>

#include "analysis/analysis_json.hpp"
#include "core/error.hpp"
#include "fixtures.hpp"
#include "config/config.hpp"
#include "history/pipeline.hpp"
#include "history/store.hpp"
#include "support/env.hpp"
#include "support/signals.hpp"
#include "support/text.hpp"

using namespace mixscout;
using history::Store;
using rules::Severity;
using test::make_analysis;
using test::make_issue;
using test::TempDir;

namespace {

/// A file with these bytes (content hashes differ when the text differs).
std::filesystem::path write_file(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
}

/// A raw sqlite3 connection for checks and for holding locks, closed on destruction.
struct RawDb {
    sqlite3* db = nullptr;
    explicit RawDb(const std::filesystem::path& p) {
        if (sqlite3_open(p.string().c_str(), &db) != SQLITE_OK) throw std::runtime_error("open");
    }
    ~RawDb() { sqlite3_close(db); }
    void exec(const std::string& sql) {
        char* err = nullptr;
        if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            std::string m = err ? err : "?";
            sqlite3_free(err);
            throw std::runtime_error(sql + ": " + m);
        }
    }
    std::string scalar(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) throw std::runtime_error(sql);
        std::string out;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return out;
    }
};

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const StoreError& e) {
        return e.what();
    }
    return "(no StoreError)";
}

using test::contains;

std::vector<rules::Issue> some_issues() {
    return {make_issue("clipping", Severity::critical, 3, 0, "events", "Clipping"),
            make_issue("tonal.dark", Severity::important, -6, -2, "dB", "Too dark", "tonal"),
            make_issue("silence.tail", Severity::polish, 4, 1, "s", "Silence at the end", "format")};
}

}  // namespace

TEST(Store, DefaultDataDirFollowsXdg) {
#ifdef _WIN32
    GTEST_SKIP() << "XDG_DATA_HOME is a Linux convention; Windows uses %LOCALAPPDATA%";
#else
    const test::EnvVar no_override("MIXSCOUT_DATA_DIR", std::nullopt);  // set by ctest for isolation
    const char* old_xdg = std::getenv("XDG_DATA_HOME");
    const std::string saved = old_xdg ? old_xdg : "";
    setenv("XDG_DATA_HOME", "/data/xdg", 1);
    EXPECT_EQ(history::default_data_dir(), std::filesystem::path("/data/xdg/mixscout"));
    setenv("XDG_DATA_HOME", "relative/ignored", 1);  // the XDG spec: relative paths are invalid
    if (const char* home = std::getenv("HOME")) {
        EXPECT_EQ(history::default_data_dir(), std::filesystem::path(home) / ".local/share/mixscout");
    }
    if (old_xdg) {
        setenv("XDG_DATA_HOME", saved.c_str(), 1);
    } else {
        unsetenv("XDG_DATA_HOME");
    }
#endif
}

TEST(Store, ContentHashIsFnv1a64OfTheBytes) {
    TempDir dir;
    // FNV-1a 64 published test vectors: "" -> cbf29ce484222325, "a" -> af63dc4c8601ec8c,
    // "foobar" -> 85944171f73967e8.
    EXPECT_EQ(history::content_hash(write_file(dir / "e", "")), "fnv1a64:cbf29ce484222325");
    EXPECT_EQ(history::content_hash(write_file(dir / "a", "a")), "fnv1a64:af63dc4c8601ec8c");
    EXPECT_EQ(history::content_hash(write_file(dir / "f", "foobar")), "fnv1a64:85944171f73967e8");
    EXPECT_THROW(history::content_hash(dir / "missing.wav"), InputError);
}

TEST(Store, CreatesFolderAndGroupsIterationsBySong) {
    TempDir dir;
    auto store = Store::open(dir / "deep" / "data");
    EXPECT_TRUE(std::filesystem::exists(dir / "deep" / "data" / "history.sqlite"));
    const auto a = make_analysis();
    struct Case { const char* file; const char* song; int iteration; };
    const Case cases[] = {{"Night Drive_v1.wav", "Night Drive", 1}, {"Other Tune.wav", "Other Tune", 1},
                          {"Night Drive v2.wav", "Night Drive", 2}, {"night drive (master).wav", "Night Drive", 1},
                          {"Other Tune_final.aiff", "Other Tune", 2}, {"Night Drive - Master 2.flac", "Night Drive", 2}};
    // (The two masters are the song's masters 1 and 2, numbered apart from its mixes.)
    int n = 0;
    for (const auto& c : cases) {
        const auto rec = store.record_export(write_file(dir / c.file, std::string("bytes ") + std::to_string(n++)), a,
                                             some_issues());
        EXPECT_EQ(rec.song, c.song) << c.file;
        EXPECT_EQ(rec.iteration, c.iteration) << c.file;
        EXPECT_TRUE(rec.is_new);
    }
    const auto songs = store.songs();
    ASSERT_EQ(songs.size(), 2u);
    EXPECT_EQ(songs[0].song, "Night Drive");  // most recent first
    EXPECT_EQ(songs[0].iterations, 4);
    EXPECT_EQ(store.current_song(), "Night Drive");
    const auto h = store.history("NIGHT_DRIVE");
    ASSERT_EQ(h.size(), 4u);
    EXPECT_EQ(h[0].role, "mix");
    EXPECT_EQ(h[2].role, "master");
    EXPECT_EQ(h[3].role, "master");
    EXPECT_EQ(h[0].critical, 1);
    EXPECT_EQ(h[0].important, 1);
    EXPECT_EQ(h[0].polish, 1);
    EXPECT_EQ(h[0].kind, "export");
    EXPECT_EQ(h[0].created_at.size(), 20u);  // 2026-05-01T14:32:07Z
}

TEST(Store, SameContentIsNotANewIterationSamePathReExportedIs) {
    TempDir dir;
    auto store = Store::open(dir.path());
    const auto a = make_analysis();
    const auto f = write_file(dir / "Bounce.wav", "take one");
    const auto r1 = store.record_export(f, a, some_issues());
    const auto again = store.record_export(f, a, some_issues());  // re-analysed, unchanged
    EXPECT_FALSE(again.is_new);
    EXPECT_EQ(again.export_id, r1.export_id);
    EXPECT_EQ(again.iteration, 1);
    // A copy elsewhere with the same bytes: still the same export.
    EXPECT_EQ(store.record_export(write_file(dir / "copy.wav", "take one"), a, some_issues()).export_id, r1.export_id);
    // The same path exported again with new content: the next iteration of its song, even when
    // the rename rules would now name it differently.
    history::StoreOptions o;
    o.rename = {{"bounce", "Renamed"}};
    auto store2 = Store::open(dir.path(), o);
    const auto r2 = store2.record_export(write_file(f, "take two"), a, {});
    EXPECT_TRUE(r2.is_new);
    EXPECT_EQ(r2.song, "Bounce");
    EXPECT_EQ(r2.iteration, 2);
    // A new name matching the rule goes to the renamed song.
    EXPECT_EQ(store2.record_export(write_file(dir / "bounce_x.wav", "x"), a, {}).song, "Renamed");
    EXPECT_EQ(store.history("Bounce").size(), 2u);
}

TEST(Store, PreviousExportIsTheSameSongAndRoleInVersionOrder) {
    TempDir dir;
    auto store = Store::open(dir.path());
    const auto a = make_analysis();
    const auto v1 = store.record_export(write_file(dir / "mix_v1_initial.wav", "1"), a, some_issues());
    const auto v3 = store.record_export(write_file(dir / "mix_v3_lowend_clear.wav", "3"), a, some_issues());
    // v2 arrives last: it still comes between v1 and v3.
    const auto v2 = store.record_export(write_file(dir / "mix_v2_clipping_fixed.wav", "2"), a, some_issues());
    const auto m1 = store.record_export(write_file(dir / "mix v3 (mastered).wav", "m"), a, {});
    EXPECT_EQ(v1.song, "mix");
    EXPECT_EQ(v2.song, "mix");
    EXPECT_EQ(m1.song, "mix");
    EXPECT_FALSE(store.previous_export(v1.export_id));
    EXPECT_EQ(store.previous_export(v2.export_id), v1.export_id);
    EXPECT_EQ(store.previous_export(v3.export_id), v2.export_id);
    // The master is the song's first master, compared with masters only.
    EXPECT_EQ(m1.iteration, 1);
    EXPECT_FALSE(store.previous_export(m1.export_id));
    const auto items = store.history("mix");
    ASSERT_EQ(items.size(), 4u);
    EXPECT_EQ(items[3].role, "master");
    EXPECT_EQ(items[1].version, 2);  // in iteration order: v2 is iteration 2 although it arrived third
    EXPECT_EQ(items[1].iteration, 2);
    EXPECT_EQ(items[2].version, 3);
    store.set_verdict(v2.export_id, review::Verdict::slight_improvement, 0.7);
    EXPECT_EQ(store.load_export(v2.export_id).item.verdict, "slight_improvement");
    EXPECT_THROW(store.previous_export(9999), StoreError);
}

TEST(Store, ALateCheckpointTakesItsPlaceAndIsComparedWithTheOneBelowIt) {
    TempDir dir;
    auto store = Store::open(dir.path());
    const auto a = make_analysis();
    const auto v1 = store.record_export(write_file(dir / "mix_v1_initial.wav", "1"), a, some_issues());
    const auto v2 = store.record_export(write_file(dir / "mix_v2_clipping_fixed.wav", "2"), a, some_issues());
    const auto v4 = store.record_export(write_file(dir / "mix_v4_stereo_width.wav", "4"), a, some_issues());
    EXPECT_EQ(v4.iteration, 3);  // the third so far
    // mix_v3 re-exported from an older checkpoint after v4: iteration 3, v4 becomes 4.
    const auto v3 = store.record_export(write_file(dir / "mix_v3_lowend_clear.wav", "3"), a, some_issues());
    EXPECT_EQ(v3.iteration, 3);
    EXPECT_EQ(store.load_export(v4.export_id).item.iteration, 4);
    EXPECT_EQ(store.previous_export(v3.export_id), v2.export_id);
    EXPECT_EQ(store.previous_export(v4.export_id), v3.export_id);
    // A name without a version follows time: after the newest checkpoint when it arrived.
    const auto fin = store.record_export(write_file(dir / "mix_final.wav", "f"), a, some_issues());
    EXPECT_EQ(fin.iteration, 5);
    EXPECT_EQ(store.previous_export(fin.export_id), v4.export_id);
    const auto items = store.history("mix");
    ASSERT_EQ(items.size(), 5u);
    const std::vector<std::int64_t> ids = {v1.export_id, v2.export_id, v3.export_id, v4.export_id, fin.export_id};
    for (std::size_t k = 0; k < items.size(); ++k) {
        EXPECT_EQ(items[k].export_id, ids[k]) << k;
        EXPECT_EQ(items[k].iteration, static_cast<int>(k + 1));
    }
}

TEST(Store, MigratesAHistoryMadeByTheLastRelease) {
    // tests/history/data/history_schema2.sqlite: made by mixscout at 6c2089a (schema 2) with
    // `analyze` of mix_v1_initial.wav, mix_v2_clipping_fixed.wav, "Night Drive v1.wav" and a note.
    TempDir dir;
    std::filesystem::copy_file(std::filesystem::path(MIXSCOUT_SOURCE_DIR) / "tests/history/data/history_schema2.sqlite",
                               dir / "history.sqlite");
    auto store = Store::open(dir.path());
    const auto night = store.history("Night Drive");
    ASSERT_EQ(night.size(), 1u);
    EXPECT_EQ(night[0].notes, std::vector<std::string>{"first try"});
    EXPECT_EQ(night[0].verdict, "first");
    EXPECT_EQ(night[0].role, "mix");
    EXPECT_EQ(night[0].version, 1);  // filled in from the name
    const auto stored = store.load_export(night[0].export_id);
    EXPECT_FALSE(stored.measurements.stems);  // exported without stems
    EXPECT_GT(stored.analysis.clipping.count, 0);
    // The next export goes on from there.
    const auto r = store.record_export(write_file(dir / "Night Drive v2.wav", "2"), make_analysis(), {});
    EXPECT_EQ(r.song, "Night Drive");
    EXPECT_EQ(r.iteration, 2);
    EXPECT_EQ(store.previous_export(r.export_id), night[0].export_id);
}

TEST(Store, MigrationRegroupsSongsStoredUnderCheckpointNames) {
    // tests/history/data/history_schema4.sqlite: made by the previous release (main at 5d56ea7,
    // schema 4) from history_schema2.sqlite: `history` (migrated 2 -> 4; the songs
    // "mix_v1_initial" and "mix_v2_clipping_fixed" stayed apart), `note --export 1`,
    // `reference add ref.wav --song mix_v2_clipping_fixed`, `analyze mix_v3_lowend_clear.wav`
    // (grouped into a new song "mix"), `reference add ref.wav --song mix` (the same file again),
    // `reference add ref2.wav --song mix_v1_initial`, and an ears vote "worse" on export 2
    // written with sqlite3 (the vote comes over OSC only).
    TempDir dir;
    const auto db = dir / "history.sqlite";
    std::filesystem::copy_file(std::filesystem::path(MIXSCOUT_SOURCE_DIR) / "tests/history/data/history_schema4.sqlite", db);
    {
        RawDb before(db);
        ASSERT_EQ(before.scalar("SELECT version FROM schema_version"), "4");
        ASSERT_EQ(before.scalar("SELECT count(*) FROM songs"), "4");
    }
    auto store = Store::open(dir.path());
    RawDb raw(db);
    EXPECT_EQ(raw.scalar("SELECT version FROM schema_version"), std::to_string(history::schema_version));
    // One song "mix" with v1, v2, v3 in version order; nothing lost.
    const auto songs = store.songs();
    std::set<std::string> names;
    for (const auto& s : songs) names.insert(s.song);
    EXPECT_EQ(names, (std::set<std::string>{"mix", "Night Drive"}));
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM exports"), "4");
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM notes"), "2");
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM ears"), "1");
    const auto mix = store.history("mix");
    ASSERT_EQ(mix.size(), 3u);
    EXPECT_EQ(mix[0].export_id, 1);
    EXPECT_EQ(mix[1].export_id, 2);
    EXPECT_EQ(mix[2].export_id, 4);
    for (int k = 0; k < 3; ++k) {
        EXPECT_EQ(mix[static_cast<std::size_t>(k)].iteration, k + 1);
        EXPECT_EQ(mix[static_cast<std::size_t>(k)].version, k + 1);
    }
    EXPECT_EQ(mix[0].notes, std::vector<std::string>{"v1: too hot on the master"});
    EXPECT_EQ(mix[1].ears, "worse");
    EXPECT_EQ(mix[0].verdict, "first");
    EXPECT_NE(mix[1].verdict, "first");  // judged again: now compared with v1
    EXPECT_EQ(store.previous_export(2), 1);
    EXPECT_EQ(store.previous_export(4), 2);
    // References move with the song; ref.wav stored for both old songs is kept once.
    const auto refs = store.references("mix");
    ASSERT_EQ(refs.size(), 2u);
    EXPECT_NE(refs[0].content_hash, refs[1].content_hash);
    for (const auto& r : refs) EXPECT_EQ(r.song, "mix");
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM reference_tracks"), "2");
    // Night Drive is untouched.
    const auto night = store.history("Night Drive");
    ASSERT_EQ(night.size(), 1u);
    EXPECT_EQ(night[0].notes, std::vector<std::string>{"first try"});
    // The next checkpoint continues the song; opening again changes nothing.
    const auto v4 = store.record_export(write_file(dir / "mix_v4_stereo_width.wav", "4"), make_analysis(), {});
    EXPECT_EQ(v4.song, "mix");
    EXPECT_EQ(v4.iteration, 4);
    Store::open(dir.path());
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM songs"), "2");
}

// Ears through a real database file: stored with the export (the last vote counts), read back
// by a second connection and by raw SQL, shown in history; ears worse on an export whose
// numbers said better puts the undo-or-halve advice into the next comparison.
TEST(Store, EarsAreStoredWithTheExportAndTurnTheNextVerdict) {
    TempDir dir;
    EXPECT_TRUE(contains(message_of([&] { Store::open(dir.path()).set_ears(review::Ears::worse); }), "no export yet"));
    auto store = Store::open(dir.path());
    auto a1 = make_analysis();
    const auto r1 = store.record_export(write_file(dir / "song_v1.wav", "1"), a1, some_issues());
    auto issues2 = some_issues();
    issues2.erase(issues2.begin());  // clipping fixed: the numbers say much better
    const auto r2 = store.record_export(write_file(dir / "song_v2.wav", "2"), make_analysis(), issues2);
    // The verdicts are the review's (history/pipeline.hpp); the store keeps what it is given.
    store.set_verdict(r1.export_id, review::Verdict::first, std::nullopt);
    store.set_verdict(r2.export_id, review::Verdict::significant_improvement, 6.0);
    EXPECT_EQ(store.set_ears(review::Ears::better, r1.export_id), r1.export_id);
    EXPECT_EQ(store.set_ears(review::Ears::same), r2.export_id);   // the latest
    EXPECT_EQ(store.set_ears(review::Ears::worse), r2.export_id);  // replaces "same"
    EXPECT_THROW(store.set_ears(review::Ears::worse, 9999), StoreError);
    {
        RawDb raw(history::database_path(dir.path()));
        EXPECT_EQ(raw.scalar("SELECT group_concat(export_id || ':' || vote, ' ') FROM (SELECT * FROM ears ORDER BY export_id)"),
                  std::to_string(r1.export_id) + ":better " + std::to_string(r2.export_id) + ":worse");
        EXPECT_THROW(raw.exec("INSERT INTO ears VALUES (" + std::to_string(r1.export_id) + ", 'loud', 'x')"), std::runtime_error);
    }
    auto other = Store::open(dir.path());
    const auto h = other.history("song");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].ears, "better");
    EXPECT_EQ(h[1].ears, "worse");
    EXPECT_EQ(h[1].verdict, "significant_improvement");
    EXPECT_EQ(other.load_export(r2.export_id).item.ears, "worse");
    const auto cfg = config::Config::defaults();
    EXPECT_EQ(history::review_export(other, r2.export_id, cfg).comparison.ears_advice, "") << "r1's ears said better";

    // Iteration 3, the same as 2: the verdict carries the advice about iteration 2.
    const auto r3 = other.record_export(write_file(dir / "song_v3.wav", "3"), make_analysis(), issues2);
    const auto c3 = history::review_export(other, r3.export_id, cfg).comparison;
    EXPECT_EQ(c3.verdict, review::Verdict::no_real_change);
    EXPECT_EQ(c3.ears_advice, "ears said #2 was worse, numbers better: undo or halve that change");
    EXPECT_TRUE(c3.summary.starts_with("No real change: ears said #2 was worse")) << c3.summary;
    EXPECT_EQ(other.history("song")[2].ears, "");
}

TEST(Store, NotesGoToTheLatestOrTheNamedExport) {
    TempDir dir;
    auto store = Store::open(dir.path());
    EXPECT_TRUE(contains(message_of([&] { store.add_note("too early"); }), "no export yet"));
    const auto a = make_analysis();
    const auto r1 = store.record_export(write_file(dir / "s_v1.wav", "1"), a, {});
    const auto r2 = store.record_export(write_file(dir / "s_v2.wav", "2"), a, {});
    EXPECT_EQ(store.add_note("kick louder"), r2.export_id);
    EXPECT_EQ(store.add_note("first try", r1.export_id), r1.export_id);
    EXPECT_EQ(store.add_note("vocal up"), r2.export_id);
    const auto h = store.history("s");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].notes, (std::vector<std::string>{"first try"}));
    EXPECT_EQ(h[1].notes, (std::vector<std::string>{"kick louder", "vocal up"}));
    EXPECT_TRUE(contains(message_of([&] { store.add_note("x", 12345); }), "no export with id 12345"));
    EXPECT_THROW(store.add_note("   "), InputError);
}

TEST(Store, ReferencesPerSongAndForAll) {
    TempDir dir;
    auto store = Store::open(dir.path());
    auto ra = make_analysis("ref_a.wav");
    ra.loudness.integrated_lufs = -8.5;
    const auto id1 = store.add_reference(write_file(dir / "ref_a.wav", "A"), ra, "Night Drive");
    EXPECT_EQ(store.add_reference(dir / "ref_a.wav", ra, "night_drive"), id1);  // same file, same song
    store.add_reference(write_file(dir / "ref_b.wav", "B"), make_analysis("ref_b.wav"));  // all songs
    const auto all = store.references();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].integrated_lufs, -8.5);
    EXPECT_EQ(all[1].song, "");
    EXPECT_EQ(store.references("Night Drive").size(), 1u);
    ASSERT_EQ(store.reference_analyses("Night Drive").size(), 1u);
    EXPECT_EQ(store.reference_analyses("Night Drive")[0].loudness.integrated_lufs, -8.5);
    // A song without its own references is compared with the references for all songs.
    ASSERT_EQ(store.reference_analyses("Other").size(), 1u);
    EXPECT_EQ(store.reference_analyses("Other")[0].path, "ref_b.wav");
}

// The schema of version 1, written here as raw SQL (as an older mixscout left it).
static const char* schema_v1 = R"sql(
    CREATE TABLE schema_version (version INTEGER NOT NULL);
    INSERT INTO schema_version (version) VALUES (1);
    CREATE TABLE songs (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE exports (id INTEGER PRIMARY KEY, song_id INTEGER NOT NULL REFERENCES songs(id), path TEXT NOT NULL,
        content_hash TEXT NOT NULL, created_at TEXT NOT NULL, iteration INTEGER NOT NULL, analysis_json TEXT NOT NULL,
        UNIQUE (song_id, iteration));
    CREATE INDEX exports_by_hash ON exports (content_hash);
    CREATE INDEX exports_by_path ON exports (path);
    CREATE TABLE issues (id INTEGER PRIMARY KEY, export_id INTEGER NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
        position INTEGER NOT NULL, rule TEXT NOT NULL, category TEXT NOT NULL, severity TEXT NOT NULL,
        title TEXT NOT NULL, detail TEXT NOT NULL, fix TEXT NOT NULL, times_json TEXT NOT NULL,
        score REAL NOT NULL, value REAL NOT NULL, target REAL NOT NULL, unit TEXT NOT NULL);
    CREATE INDEX issues_by_export ON issues (export_id);
    CREATE TABLE notes (id INTEGER PRIMARY KEY, export_id INTEGER NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL, text TEXT NOT NULL);
)sql";

TEST(Store, MigratesAVersion1Database) {
    TempDir dir;
    const auto file = history::database_path(dir.path());
    {
        RawDb raw(file);
        raw.exec(schema_v1);
        const std::string json = analysis::to_json(make_analysis()).dump();
        raw.exec("INSERT INTO songs VALUES (1, 'old song', 'Old Song', '2025-01-01T10:00:00Z')");
        raw.exec("INSERT INTO exports VALUES (1, 1, '/x/Old Song_v1.wav', 'fnv1a64:1', '2025-01-01T10:00:00Z', 1, '" +
                 json + "')");
        raw.exec("INSERT INTO exports VALUES (2, 1, '/x/Old Song_v2.wav', 'fnv1a64:2', '2025-01-02T10:00:00Z', 2, '" +
                 json + "')");
        // Iteration 1 had a critical clipping issue that iteration 2 fixed.
        raw.exec("INSERT INTO issues VALUES (1, 1, 0, 'clipping', 'clipping', 'critical', 'Clipping', 'd', 'f', "
                 "'[1.5]', 4, 3, 0, 'events')");
        raw.exec("INSERT INTO notes VALUES (1, 2, '2025-01-02T10:05:00Z', 'limiter off')");
    }
    auto store = Store::open(dir.path());
    RawDb raw(file);
    EXPECT_EQ(raw.scalar("SELECT version FROM schema_version"), std::to_string(history::schema_version));
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM schema_version"), "1");
    EXPECT_EQ(raw.scalar("SELECT kind FROM exports WHERE id = 1"), "export");
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM reference_tracks"), "0");
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM ears"), "0");  // step 2 -> 3
    EXPECT_EQ(raw.scalar("PRAGMA journal_mode"), "wal");
    const auto h = store.history("Old Song");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].verdict, "first");                    // backfilled from the stored analyses
    EXPECT_EQ(h[1].verdict, "significant_improvement");  // a critical fixed
    EXPECT_EQ(h[1].notes, (std::vector<std::string>{"limiter off"}));
    const auto old = store.load_export(1);
    ASSERT_EQ(old.issues.size(), 1u);
    EXPECT_EQ(old.issues[0].times_s, (std::vector<double>{1.5}));
    // New exports continue the song.
    const auto rec = store.record_export(write_file(dir / "Old Song_v3.wav", "3"), make_analysis(), {});
    EXPECT_EQ(rec.song, "Old Song");
    EXPECT_EQ(rec.iteration, 3);
    // Opening again does not migrate again.
    Store::open(dir.path());
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM exports"), "3");
}

TEST(Store, RefusesANewerSchemaAndForeignDatabases) {
    TempDir dir;
    std::filesystem::create_directories(dir / "newer");
    std::filesystem::create_directories(dir / "foreign");
    {
        RawDb raw(history::database_path(dir / "newer"));
        raw.exec("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (99);");
    }
    const auto m1 = message_of([&] { Store::open(dir / "newer"); });
    EXPECT_TRUE(contains(m1, "newer mixscout (schema 99")) << m1;
    {
        RawDb raw(history::database_path(dir / "foreign"));
        raw.exec("CREATE TABLE photos (id INTEGER)");
    }
    const auto m2 = message_of([&] { Store::open(dir / "foreign"); });
    EXPECT_TRUE(contains(m2, "not a mixscout history")) << m2;
}

TEST(Store, CorruptFileIsAClearStoreError) {
    TempDir dir;
    std::string garbage(16384, '\0');
    std::mt19937 rng(7);
    for (auto& c : garbage) c = static_cast<char>(rng());
    write_file(history::database_path(dir.path()), garbage);
    const auto m = message_of([&] { Store::open(dir.path()); });
    EXPECT_TRUE(contains(m, "history database " + history::database_path(dir.path()).string())) << m;
    EXPECT_TRUE(contains(m, "not a database")) << m;
    EXPECT_TRUE(contains(m, "move it away")) << m;
}

TEST(Store, UnwritableFolderIsAClearStoreError) {
    TempDir dir;
    write_file(dir / "file", "x");  // a file where the folder should be
    const auto m = message_of([&] { Store::open(dir / "file" / "sub"); });
    EXPECT_TRUE(contains(m, "cannot create")) << m;
}

TEST(Store, LockedDatabaseIsAClearStoreErrorAndNothingIsHalfWritten) {
    TempDir dir;
    { Store::open(dir.path()); }
    RawDb holder(history::database_path(dir.path()));
    holder.exec("BEGIN EXCLUSIVE");  // another process writing, holding the lock
    history::StoreOptions o;
    o.busy_timeout_ms = 50;
    auto store = Store::open(dir.path(), o);  // reading still works under WAL
    const auto m = message_of(
        [&] { store.record_export(write_file(dir / "s.wav", "s"), make_analysis(), some_issues()); });
    EXPECT_TRUE(contains(m, "database is locked")) << m;
    EXPECT_TRUE(contains(m, "holds a lock")) << m;
    holder.exec("ROLLBACK");
    // Once the lock is gone the same store works.
    EXPECT_EQ(store.record_export(dir / "s.wav", make_analysis(), some_issues()).iteration, 1);
}

TEST(Store, LockedBeforeCreationIsAClearStoreError) {
    TempDir dir;
    // A rollback-journal database held exclusively: even reading the schema is refused.
    RawDb holder(history::database_path(dir.path()));
    holder.exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; CREATE TABLE t (x);");
    history::StoreOptions o;
    o.busy_timeout_ms = 50;
    const auto m = message_of([&] { Store::open(dir.path(), o); });
    EXPECT_TRUE(contains(m, "locked")) << m;
    holder.exec("ROLLBACK");
}

// kill -9 in the middle of writing: a child records exports in a loop and reports each committed
// export id through a pipe; the parent kills it after it has seen enough, then checks the file.
TEST(Store, KillDashNineLosesNothingCommitted) {
#ifdef _WIN32
    GTEST_SKIP() << "the writer is a fork()ed child (POSIX only)";
#else
    TempDir dir;
    { Store::open(dir.path()); }  // create the schema first, so the child only writes exports
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        try {
            auto store = Store::open(dir.path());
            const auto a = make_analysis();
            const auto issues = some_issues();
            for (int i = 0;; ++i) {
                const auto rec = store.record_export_hashed(dir / "Crash Song_v1.wav", "hash-" + std::to_string(i), a,
                                                            issues);
                const std::int64_t id = rec.export_id;
                if (write(fds[1], &id, sizeof id) != sizeof id) _exit(4);
            }
        } catch (...) {
            _exit(3);
        }
    }
    close(fds[1]);
    std::set<std::int64_t> committed;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (committed.size() < 25 && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fds[0], POLLIN, 0};
        if (poll(&p, 1, 1000) <= 0) continue;
        std::int64_t id = 0;
        if (read(fds[0], &id, sizeof id) != sizeof id) break;
        committed.insert(id);
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own, status " << status;
    // Ids reported after the count was reached but before the kill are committed too.
    for (std::int64_t id = 0; read(fds[0], &id, sizeof id) == sizeof id;) committed.insert(id);
    close(fds[0]);
    ASSERT_GE(committed.size(), 25u);

    RawDb raw(history::database_path(dir.path()));
    EXPECT_EQ(raw.scalar("PRAGMA integrity_check"), "ok");
    auto store = Store::open(dir.path());
    for (auto id : committed) {
        const auto e = store.load_export(id);  // throws if missing
        EXPECT_EQ(e.issues.size(), 3u) << id;  // whole exports only
    }
    // No half-written export: every stored export has its three issues. (Its verdict is the
    // review's, stored after it, and judged again whenever shown.)
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM exports e WHERE (SELECT count(*) FROM issues i WHERE "
                         "i.export_id = e.id) != 3"),
              "0");
    // Iterations 1..N without a gap.
    const auto h = store.history("Crash Song");
    for (std::size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h[i].iteration, static_cast<int>(i) + 1);
    EXPECT_GE(h.size(), committed.size());
    // And the store is writable again.
    EXPECT_TRUE(store.record_export_hashed(dir / "Crash Song_v1.wav", "after", make_analysis(), {}).is_new);
#endif
}
