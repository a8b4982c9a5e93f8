#include "history/store.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "analysis/analysis_json.hpp"
#include "core/clock.hpp"
#include "core/content_hash.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "core/user_dirs.hpp"
#include "history/rows.hpp"
#include "history/schema.hpp"
#include "history/sqlite.hpp"

namespace mixscout::history {

using rows::absolute_path;
using rows::export_or_latest;
using rows::find_export;
using rows::load_issues;
using rows::parse_analysis;
using rows::parse_json;

std::filesystem::path default_data_dir() { return user_dir(UserDir::data); }

std::filesystem::path database_path(const std::filesystem::path& data_dir) { return data_dir / "history.sqlite"; }

namespace {
/// Hashes the file; with stop_after_prefix, returns early (nullopt) when its first prefix_bytes
/// bytes do not hash to stop_after_prefix->second.
std::optional<std::string> hash_file(const std::filesystem::path& file,
                                     const std::pair<std::uint64_t, std::string>* stop_after_prefix) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError(file.string() + ": cannot read the file to hash it");
    ContentHash h;
    std::vector<char> buf(64 * 1024);
    while (in) {
        std::size_t want = buf.size();
        if (stop_after_prefix && h.bytes() < stop_after_prefix->first)
            want = static_cast<std::size_t>(std::min<std::uint64_t>(want, stop_after_prefix->first - h.bytes()));
        in.read(buf.data(), static_cast<std::streamsize>(want));
        h.update(std::span<const char>(buf.data(), static_cast<std::size_t>(in.gcount())));
        if (stop_after_prefix && h.bytes() == stop_after_prefix->first && h.text() != stop_after_prefix->second)
            return std::nullopt;
    }
    if (in.bad()) throw InputError(file.string() + ": read error while hashing");
    if (stop_after_prefix && h.bytes() < stop_after_prefix->first) return std::nullopt;  // shorter now
    return h.text();
}
}  // namespace

std::string content_hash(const std::filesystem::path& file) { return *hash_file(file, nullptr); }

std::string_view to_string(ExportKind kind) { return kind == ExportKind::live_take ? "live_take" : "export"; }

struct Store::Impl {
    sql::Db db;
    StoreOptions options;
    SongNamer namer;
    Impl(const std::filesystem::path& file, StoreOptions o)
        : db(file, o.busy_timeout_ms), options(std::move(o)), namer(options.rename) {}
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Store Store::open(const std::filesystem::path& data_dir, StoreOptions options) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec)
        throw StoreError("history folder " + data_dir.string() + ": cannot create it (" + ec.message() +
                         "); choose another with --data-dir");
    return open_file(database_path(data_dir), std::move(options));
}

Store Store::open_file(const std::filesystem::path& db_file, StoreOptions options) {
    auto impl = std::make_unique<Impl>(db_file, std::move(options));
    sql::Db& db = impl->db;
    {
        // WAL: readers never block the writer, and a killed writer leaves committed
        // transactions intact. FULL: each commit is also on disk before COMMIT returns.
        sql::Stmt q(db, "PRAGMA journal_mode = WAL");
        q.step();
    }
    db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
    const int version = schema::read_version(db);
    if (version > schema_version)
        db.fail(26, "written by a newer mixscout (schema " + std::to_string(version) + ", this one knows " +
                        std::to_string(schema_version) + ")");
    if (version < schema_version) {
        sql::Transaction t(db);
        // migrate() re-reads the version under the write lock: another process may have migrated meanwhile.
        schema::migrate(db, impl->options.compare, impl->namer);
        t.commit();
    }
    return Store(std::move(impl));
}

const std::filesystem::path& Store::file() const { return impl_->db.file(); }
const StoreOptions& Store::options() const { return impl_->options; }

void Store::set_options(StoreOptions options) {
    impl_->namer = SongNamer(options.rename);
    impl_->options = std::move(options);
}

std::string Store::song_for(const std::filesystem::path& file) {
    sql::Stmt q(impl_->db,
                "SELECT s.name FROM exports e JOIN songs s ON s.id = e.song_id WHERE e.path = ? "
                "ORDER BY e.id DESC LIMIT 1");
    q.bind(1, absolute_path(file));
    if (q.step()) return q.text(0);
    return impl_->namer(file).display;
}

namespace {

/// The stems run stored beside an export (NULL: exported without stems).
std::optional<std::string> stems_text(const ExportMeta& meta) {
    review::Measurements stems_part;
    stems_part.stems = meta.stems;
    stems_part.stem_issues = meta.stem_issues;
    const nlohmann::json stems_json = review::stems_to_json(stems_part);
    return stems_json.is_null() ? std::optional<std::string>() : std::optional(json_text(stems_json));
}

void insert_issues(sql::Db& db, std::int64_t export_id, const std::vector<rules::Issue>& issues_in) {
    std::vector<rules::Issue> issues = issues_in;
    rules::rank(issues);
    sql::Stmt ins(db,
                  "INSERT INTO issues (export_id, position, rule, category, severity, title, detail, fix, times_json, "
                  "score, value, target, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (std::size_t k = 0; k < issues.size(); ++k) {
        const auto& i = issues[k];
        ins.reset();
        ins.bind(1, export_id)
            .bind(2, static_cast<std::int64_t>(k))
            .bind(3, i.rule)
            .bind(4, i.category)
            .bind(5, rules::to_string(i.severity))
            .bind(6, i.title)
            .bind(7, i.detail)
            .bind(8, i.fix)
            .bind(9, json_text(nlohmann::json(i.times_s)))
            .bind(10, i.score)
            .bind(11, i.value)
            .bind(12, i.target)
            .bind(13, i.unit)
            .run();
    }
}

/// The export this file is a grown version of, if any: the latest record of the same path, still
/// the newest of its song and role, recorded smaller, whose bytes are exactly the start of this
/// file (this file = that file + more bytes appended). The file must still hash to `hash` (what
/// was analysed); a file that changed since throws InputError, so the caller analyses it again.
std::optional<std::int64_t> grown_export(sql::Db& db, const std::filesystem::path& file, const std::string& hash,
                                         ExportKind kind, const ExportMeta& meta) {
    if (kind != ExportKind::export_file || !meta.size_bytes) return std::nullopt;
    sql::Stmt q(db,
                "SELECT e.id, e.size_bytes, e.content_hash FROM exports e WHERE e.path = ? AND e.kind = 'export' "
                "AND e.size_bytes IS NOT NULL AND e.size_bytes < ? AND NOT EXISTS (SELECT 1 FROM exports o WHERE "
                "o.song_id = e.song_id AND o.role = e.role AND o.iteration > e.iteration) ORDER BY e.id DESC LIMIT 1");
    q.bind(1, absolute_path(file)).bind(2, static_cast<std::int64_t>(*meta.size_bytes));
    if (!q.step()) return std::nullopt;
    const std::int64_t id = q.int64(0);
    const auto earlier_bytes = static_cast<std::uint64_t>(q.int64(1));
    const std::string earlier_hash = q.text(2);
    // Usually the first bytes differ (a re-export rewrites the file) and this stops there.
    const std::pair<std::uint64_t, std::string> earlier{earlier_bytes, earlier_hash};
    const auto now = hash_file(file, &earlier);
    if (!now) return std::nullopt;
    if (*now != hash)  // the file is no longer the bytes that were analysed
        throw InputError(file.string() + ": changed while it was being analysed; analysed again once it settles");
    return id;
}

}  // namespace

ExportRecord Store::record_export(const std::filesystem::path& file, const analysis::Analysis& analysis,
                                  const std::vector<rules::Issue>& issues, ExportKind kind, const std::string& song,
                                  const ExportMeta& meta) {
    ExportMeta with_size = meta;
    std::error_code ec;
    if (!with_size.size_bytes) {
        const auto size = std::filesystem::file_size(file, ec);
        if (!ec) with_size.size_bytes = size;
    }
    return record_export_hashed(file, content_hash(file), analysis, issues, kind, song, with_size);
}

ExportRecord Store::record_export_hashed(const std::filesystem::path& file, const std::string& hash,
                                         const analysis::Analysis& analysis, const std::vector<rules::Issue>& issues_in,
                                         ExportKind kind, const std::string& song, const ExportMeta& meta) {
    sql::Db& db = impl_->db;
    sql::Transaction t(db);
    {
        // The same bytes again (a re-analysis, a copy): not a new iteration.
        sql::Stmt q(db, "SELECT e.id FROM exports e WHERE e.content_hash = ? ORDER BY e.id LIMIT 1");
        q.bind(1, hash);
        if (q.step()) {
            const auto row = find_export(db, q.int64(0));
            return ExportRecord{row->id, row->song, row->ordinal, false};
        }
    }
    if (const auto grown = grown_export(db, file, hash, kind, meta)) {
        // The same export, recorded while it was still being written: its record becomes the
        // complete file's, same iteration (see store.hpp, "Exports that grow").
        sql::Stmt upd(db, "UPDATE exports SET content_hash = ?, size_bytes = ?, created_at = ?, analysis_json = ?, "
                      "profile = ?, stems_json = ?, stems_measured = ?, verdict = NULL, change_db = NULL WHERE id = ?");
        upd.bind(1, hash)
            .bind(2, static_cast<std::int64_t>(*meta.size_bytes))
            .bind(3, utc_now_iso8601())
            .bind(4, json_text(analysis::to_json(analysis)))
            .bind(5, meta.profile)
            .bind(6, stems_text(meta))
            .bind(8, *grown);
        if (meta.stems && meta.stems_measured)
            upd.bind_blob(7, stems::to_bytes(*meta.stems_measured));
        else
            upd.bind_null(7);
        upd.run();
        sql::Stmt(db, "DELETE FROM issues WHERE export_id = ?").bind(1, *grown).run();
        insert_issues(db, *grown, issues_in);
        t.commit();
        const auto row = find_export(db, *grown);
        ExportRecord rec{row->id, row->song, row->ordinal, true};
        rec.replaced = true;
        return rec;
    }
    const review::ExportName classified = impl_->namer.classify(file);
    const review::Role role = meta.role.value_or(classified.role == review::Role::master ? review::Role::master
                                                                                          : review::Role::mix);
    const std::string path = absolute_path(file);
    SongName name;
    if (!song.empty()) {
        name = SongName{song, song_key(song)};
    } else {
        sql::Stmt q(db,
                    "SELECT s.name, s.key FROM exports e JOIN songs s ON s.id = e.song_id WHERE e.path = ? "
                    "ORDER BY e.id DESC LIMIT 1");
        q.bind(1, path);
        name = q.step() ? SongName{q.text(0), q.text(1)} : impl_->namer(file);
    }
    const std::string now = utc_now_iso8601();
    const auto [song_id, display] = rows::ensure_song(db, name, now);
    int iteration = 1;
    {
        sql::Stmt q(db, "SELECT COALESCE(MAX(iteration), 0) + 1 FROM exports WHERE song_id = ?");
        q.bind(1, song_id);
        q.step();
        iteration = q.int32(0);
    }
    sql::Stmt ins_export(db,
                         "INSERT INTO exports (song_id, path, content_hash, created_at, iteration, analysis_json, kind, "
                         "role, version, profile, stems_json, stems_measured, size_bytes) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins_export.bind(1, song_id)
        .bind(2, path)
        .bind(3, hash)
        .bind(4, now)
        .bind(5, iteration)
        .bind(6, json_text(analysis::to_json(analysis)))
        .bind(7, to_string(kind))
        .bind(8, std::string(review::to_string(role)))
        .bind(10, meta.profile)
        .bind(11, stems_text(meta));
    if (meta.stems && meta.stems_measured)
        ins_export.bind_blob(12, stems::to_bytes(*meta.stems_measured));
    else
        ins_export.bind_null(12);
    if (meta.size_bytes) ins_export.bind(13, static_cast<std::int64_t>(*meta.size_bytes));
    else ins_export.bind_null(13);
    if (classified.version && kind == ExportKind::export_file)
        ins_export.bind(9, static_cast<std::int64_t>(*classified.version));
    else
        ins_export.bind_null(9);
    ins_export.run();
    const std::int64_t export_id = db.last_insert_id();
    insert_issues(db, export_id, issues_in);
    t.commit();
    return ExportRecord{export_id, display, find_export(db, export_id)->ordinal, true};
}

std::optional<std::int64_t> Store::previous_export(std::int64_t export_id) {
    sql::Db& db = impl_->db;
    const auto row = find_export(db, export_id);
    if (!row) throw StoreError("history: no export with id " + std::to_string(export_id));
    const auto prev = rows::previous_row(db, *row);
    return prev ? std::optional(prev->id) : std::nullopt;
}

void Store::set_verdict(std::int64_t export_id, Verdict verdict, std::optional<double> change_db) {
    sql::Stmt upd(impl_->db, "UPDATE exports SET verdict = ?, change_db = ? WHERE id = ?");
    upd.bind(1, review::to_string(verdict));
    if (change_db)
        upd.bind(2, *change_db);
    else
        upd.bind_null(2);
    upd.bind(3, export_id).run();
}

std::optional<std::int64_t> Store::latest_export_id() {
    sql::Stmt q(impl_->db, "SELECT MAX(id) FROM exports");
    if (q.step() && !q.is_null(0)) return q.int64(0);
    return std::nullopt;
}

std::optional<std::string> Store::current_song() {
    sql::Stmt q(impl_->db, "SELECT s.name FROM exports e JOIN songs s ON s.id = e.song_id ORDER BY e.id DESC LIMIT 1");
    if (q.step()) return q.text(0);
    return std::nullopt;
}

std::int64_t Store::add_note(const std::string& text, std::optional<std::int64_t> export_id) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) throw InputError("note: the text is empty");
    sql::Db& db = impl_->db;
    sql::Transaction t(db);
    const std::int64_t id = export_or_latest(db, export_id, "add a note to");
    sql::Stmt(db, "INSERT INTO notes (export_id, created_at, text) VALUES (?, ?, ?)")
        .bind(1, id)
        .bind(2, utc_now_iso8601())
        .bind(3, text)
        .run();
    t.commit();
    return id;
}

std::int64_t Store::set_ears(Ears vote, std::optional<std::int64_t> export_id) {
    sql::Db& db = impl_->db;
    sql::Transaction t(db);
    const std::int64_t id = export_or_latest(db, export_id, "vote on");
    sql::Stmt(db, "INSERT OR REPLACE INTO ears (export_id, vote, created_at) VALUES (?, ?, ?)")
        .bind(1, id)
        .bind(2, std::string(to_string(vote)))
        .bind(3, utc_now_iso8601())
        .run();
    t.commit();
    return id;
}

std::optional<Ears> Store::ears(std::int64_t export_id) {
    sql::Stmt q(impl_->db, "SELECT vote FROM ears WHERE export_id = ?");
    q.bind(1, export_id);
    if (!q.step()) return std::nullopt;
    return parse_ears(q.text(0));
}

StoredExport Store::load_export(std::int64_t export_id) {
    sql::Db& db = impl_->db;
    const auto row = find_export(db, export_id);
    if (!row) throw StoreError("history: no export with id " + std::to_string(export_id));
    StoredExport out;
    out.analysis = parse_analysis(row->analysis_json, db);
    out.issues = load_issues(db, export_id);
    out.measurements.analysis = out.analysis;
    out.measurements.profile = row->profile;
    if (!row->stems_json.empty()) {
        try {
            review::stems_from_json(parse_json(row->stems_json, db, "stored stems"), out.measurements);
        } catch (const InputError& e) {
            db.fail(11 /* SQLITE_CORRUPT */, std::string("stored stems unreadable: ") + e.what());
        }
        sql::Stmt q(db, "SELECT stems_measured FROM exports WHERE id = ? AND stems_measured IS NOT NULL");
        q.bind(1, export_id);
        if (q.step()) {
            try {
                out.measurements.stems_measured = std::make_shared<const stems::StemsMeasured>(stems::measured_from_bytes(q.blob(0)));
            } catch (const InputError& e) {
                db.fail(11 /* SQLITE_CORRUPT */, e.what());
            }
        }
    }
    auto& it = out.item;
    it.export_id = row->id;
    it.song = row->song;
    it.iteration = row->ordinal;
    it.role = row->role;
    it.version = row->version;
    it.path = row->path;
    it.kind = row->kind;
    it.created_at = row->created_at;
    it.content_hash = row->hash;
    it.verdict = row->verdict;
    it.change_db = row->change_db;
    for (const auto& i : out.issues) {
        if (i.severity == rules::Severity::critical) ++it.critical;
        else if (i.severity == rules::Severity::important) ++it.important;
        else ++it.polish;
    }
    sql::Stmt q(db, "SELECT text FROM notes WHERE export_id = ? ORDER BY id");
    q.bind(1, export_id);
    while (q.step()) it.notes.push_back(q.text(0));
    if (auto e = ears(export_id)) it.ears = std::string(to_string(*e));
    return out;
}

std::vector<HistoryItem> Store::history(const std::string& song) {
    sql::Db& db = impl_->db;
    std::vector<HistoryItem> out;
    std::int64_t song_id = 0;
    sql::Stmt q(db,
                "SELECT e.id, s.name, e.song_id, e.path, e.kind, e.created_at, e.content_hash, "
                "COALESCE(e.verdict, ''), COALESCE(e.change_db, 0), "
                "(SELECT count(*) FROM issues i WHERE i.export_id = e.id AND i.severity = 'critical'), "
                "(SELECT count(*) FROM issues i WHERE i.export_id = e.id AND i.severity = 'important'), "
                "(SELECT count(*) FROM issues i WHERE i.export_id = e.id AND i.severity = 'polish'), "
                "COALESCE((SELECT vote FROM ears v WHERE v.export_id = e.id), ''), e.role, e.version "
                "FROM exports e JOIN songs s ON s.id = e.song_id WHERE s.key = ?");
    q.bind(1, song_key(song));
    while (q.step()) {
        HistoryItem it;
        it.export_id = q.int64(0);
        it.song = q.text(1);
        song_id = q.int64(2);
        it.path = q.text(3);
        it.kind = q.text(4);
        it.created_at = q.text(5);
        it.content_hash = q.text(6);
        it.verdict = q.text(7);
        it.change_db = q.real(8);
        it.critical = q.int32(9);
        it.important = q.int32(10);
        it.polish = q.int32(11);
        it.ears = q.text(12);
        it.role = q.text(13);
        if (!q.is_null(14)) it.version = q.int32(14);
        out.push_back(std::move(it));
    }
    // Mixes first, then masters; each in iteration order (by version, else by time).
    for (const char* role : {"mix", "master"}) {
        const auto order = rows::song_order(db, song_id, role);
        for (auto& it : out)
            if (it.role == role) it.iteration = review::iteration_of(order, it.export_id);
    }
    std::stable_sort(out.begin(), out.end(), [](const HistoryItem& a, const HistoryItem& b) {
        return std::make_pair(a.role != "mix", a.iteration) < std::make_pair(b.role != "mix", b.iteration);
    });
    sql::Stmt n(db, "SELECT text FROM notes WHERE export_id = ? ORDER BY id");
    for (auto& it : out) {
        n.reset();
        n.bind(1, it.export_id);
        while (n.step()) it.notes.push_back(n.text(0));
    }
    return out;
}

std::vector<SongSummary> Store::songs() {
    sql::Stmt q(impl_->db,
                "SELECT s.name, count(e.id), COALESCE(MAX(e.created_at), s.created_at) FROM songs s "
                "LEFT JOIN exports e ON e.song_id = s.id GROUP BY s.id ORDER BY MAX(e.id) DESC");
    std::vector<SongSummary> out;
    while (q.step()) out.push_back(SongSummary{q.text(0), q.int32(1), q.text(2)});
    return out;
}

std::int64_t Store::add_reference(const std::filesystem::path& file, const analysis::Analysis& analysis,
                                  const std::string& song) {
    const std::string hash = content_hash(file);
    sql::Db& db = impl_->db;
    sql::Transaction t(db);
    const std::optional<std::string> key = song.empty() ? std::nullopt : std::optional(song_key(song));
    {
        sql::Stmt q(db, "SELECT id FROM reference_tracks WHERE song_key IS ? AND content_hash = ?");
        q.bind(1, key).bind(2, hash);
        if (q.step()) return q.int64(0);
    }
    sql::Stmt(db,
              "INSERT INTO reference_tracks (song_key, path, content_hash, created_at, analysis_json, song_name) "
              "VALUES (?, ?, ?, ?, ?, ?)")
        .bind(1, key)
        .bind(6, song.empty() ? std::optional<std::string>() : std::optional(song))
        .bind(2, absolute_path(file))
        .bind(3, hash)
        .bind(4, utc_now_iso8601())
        .bind(5, json_text(analysis::to_json(analysis)))
        .run();
    const auto id = db.last_insert_id();
    t.commit();
    return id;
}

std::vector<ReferenceItem> Store::references(const std::string& song) {
    sql::Db& db = impl_->db;
    sql::Stmt q(db, song.empty() ? "SELECT id, path, COALESCE(song_name, song_key, ''), created_at, content_hash, "
                                   "analysis_json FROM reference_tracks ORDER BY id"
                                 : "SELECT id, path, COALESCE(song_name, song_key, ''), created_at, content_hash, "
                                   "analysis_json FROM reference_tracks WHERE song_key = ? ORDER BY id");
    if (!song.empty()) q.bind(1, song_key(song));
    std::vector<ReferenceItem> out;
    while (q.step()) {
        ReferenceItem r{q.int64(0), q.text(1), q.text(2), q.text(3), q.text(4), 0.0};
        const auto a = parse_analysis(q.text(5), db);
        r.integrated_lufs = a.loudness.integrated_lufs;
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<analysis::Analysis> Store::reference_analyses(const std::string& song) {
    sql::Db& db = impl_->db;
    std::vector<analysis::Analysis> out;
    auto collect = [&](sql::Stmt& q) {
        while (q.step()) out.push_back(parse_analysis(q.text(0), db));
    };
    if (!song.empty()) {
        sql::Stmt q(db, "SELECT analysis_json FROM reference_tracks WHERE song_key = ? ORDER BY id");
        q.bind(1, song_key(song));
        collect(q);
    }
    if (out.empty()) {
        sql::Stmt q(db, "SELECT analysis_json FROM reference_tracks WHERE song_key IS NULL ORDER BY id");
        collect(q);
    }
    return out;
}

}  // namespace mixscout::history
