#include "history/rows.hpp"

#include <nlohmann/json.hpp>

#include "analysis/analysis_json.hpp"
#include "core/error.hpp"

namespace mixscout::history::rows {

std::string absolute_path(const std::filesystem::path& p) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(p, ec);
    return (ec ? p : abs).lexically_normal().string();
}

nlohmann::json parse_json(const std::string& text, const sql::Db& db, std::string_view what) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        db.fail(11 /* SQLITE_CORRUPT */, std::string(what) + " is not valid JSON (" + e.what() + ")");
    }
}

analysis::Analysis parse_analysis(const std::string& text, const sql::Db& db) {
    try {
        return analysis::analysis_from_json(parse_json(text, db, "stored analysis"));
    } catch (const InputError& e) {
        db.fail(11 /* SQLITE_CORRUPT */, std::string("stored analysis unreadable: ") + e.what());
    }
}

std::vector<rules::Issue> load_issues(sql::Db& db, std::int64_t export_id) {
    sql::Stmt q(db,
                "SELECT rule, category, severity, title, detail, fix, times_json, score, value, target, unit "
                "FROM issues WHERE export_id = ? ORDER BY position");
    q.bind(1, export_id);
    std::vector<rules::Issue> out;
    while (q.step()) {
        rules::Issue i;
        i.rule = q.text(0);
        i.category = q.text(1);
        i.severity = rules::parse_severity(q.text(2)).value_or(rules::Severity::polish);
        i.title = q.text(3);
        i.detail = q.text(4);
        i.fix = q.text(5);
        const auto times = parse_json(q.text(6), db, "issue times");
        if (times.is_array())
            for (const auto& t : times)
                if (t.is_number()) i.times_s.push_back(t.get<double>());
        i.score = q.real(7);
        i.value = q.real(8);
        i.target = q.real(9);
        i.unit = q.text(10);
        out.push_back(std::move(i));
    }
    return out;
}

namespace {

constexpr const char* export_columns =
    "e.id, e.song_id, e.iteration, s.name, e.path, e.kind, e.created_at, e.content_hash, e.analysis_json, "
    "e.verdict, e.change_db, e.role, e.version, e.profile, e.stems_json "
    "FROM exports e JOIN songs s ON s.id = e.song_id ";

ExportRow read_export_row(const sql::Stmt& q) {
    ExportRow r;
    r.id = q.int64(0);
    r.song_id = q.int64(1);
    r.iteration = q.int64(2);
    r.song = q.text(3);
    r.path = q.text(4);
    r.kind = q.text(5);
    r.created_at = q.text(6);
    r.hash = q.text(7);
    r.analysis_json = q.text(8);
    r.verdict = q.is_null(9) ? std::string() : q.text(9);
    r.has_change = !q.is_null(10);
    r.change_db = q.real(10);
    r.role = q.text(11);
    if (!q.is_null(12)) r.version = q.int32(12);
    r.profile = q.text(13);
    r.stems_json = q.is_null(14) ? std::string() : q.text(14);
    return r;
}

}  // namespace

std::vector<review::Arrival> song_order(sql::Db& db, std::int64_t song_id, std::string_view role) {
    sql::Stmt q(db, "SELECT id, iteration, version FROM exports WHERE song_id = ? AND role = ?");
    q.bind(1, song_id).bind(2, role);
    std::vector<review::Arrival> out;
    while (q.step())
        out.push_back(review::Arrival{q.int64(0), q.int64(1), q.is_null(2) ? std::nullopt : std::optional(q.int32(2))});
    return review::iteration_order(std::move(out));
}

std::optional<ExportRow> find_export(sql::Db& db, std::int64_t id) {
    sql::Stmt q(db, std::string("SELECT ") + export_columns + "WHERE e.id = ?");
    q.bind(1, id);
    if (!q.step()) return std::nullopt;
    ExportRow r = read_export_row(q);
    r.ordinal = review::iteration_of(song_order(db, r.song_id, r.role), r.id);
    return r;
}

std::pair<std::int64_t, std::string> ensure_song(sql::Db& db, const review::SongName& name, const std::string& created_at) {
    sql::Stmt(db, "INSERT OR IGNORE INTO songs (key, name, created_at) VALUES (?, ?, ?)")
        .bind(1, name.key)
        .bind(2, name.display)
        .bind(3, created_at)
        .run();
    sql::Stmt q(db, "SELECT id, name FROM songs WHERE key = ?");
    q.bind(1, name.key);
    if (!q.step()) db.fail(11 /* SQLITE_CORRUPT */, "song row vanished");
    return {q.int64(0), q.text(1)};
}

std::int64_t export_or_latest(sql::Db& db, std::optional<std::int64_t> export_id, std::string_view what) {
    if (export_id) {
        if (!find_export(db, *export_id))
            throw StoreError("history: no export with id " + std::to_string(*export_id) +
                             " (see `mixscout history` for the ids)");
        return *export_id;
    }
    sql::Stmt q(db, "SELECT MAX(id) FROM exports");
    if (!q.step() || q.is_null(0)) throw StoreError("history: no export yet to " + std::string(what));
    return q.int64(0);
}

std::optional<ExportRow> previous_row(sql::Db& db, const ExportRow& row) {
    const auto order = song_order(db, row.song_id, row.role);
    const int at = review::iteration_of(order, row.id);
    if (at <= 1) return std::nullopt;
    return find_export(db, order[static_cast<std::size_t>(at - 2)].id);
}

}  // namespace mixscout::history::rows
