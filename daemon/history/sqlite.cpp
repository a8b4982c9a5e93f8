#include "history/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

#include "core/error.hpp"

namespace mixscout::history::sql {

namespace {

std::string hint_for(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return "another mixscout (or program) holds a lock on it; try again when it is done";
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
            return "the file is damaged or not a mixscout history; move it away to start a new history";
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_CANTOPEN:
            return "check that the folder exists and is writable, or choose another with --data-dir";
        case SQLITE_FULL:
            return "the disk is full";
        default:
            return {};
    }
}

StoreError::Kind kind_of(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return StoreError::Kind::locked;
        case SQLITE_FULL: return StoreError::Kind::full;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_CANTOPEN: return StoreError::Kind::read_only;
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT: return StoreError::Kind::damaged;
        default: return StoreError::Kind::other;
    }
}

}  // namespace

Db::Db(const std::filesystem::path& file, int busy_timeout_ms) : file_(file) {
    const int rc = sqlite3_open_v2(file.string().c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) fail(rc, "cannot open");
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, busy_timeout_ms);
}

Db::~Db() {
    // sqlite3_close_v2 defers the close until every statement is finalised; ours are RAII, so
    // by now there are none.
    if (db_) sqlite3_close_v2(db_);
}

Db::Db(Db&& other) noexcept : db_(std::exchange(other.db_, nullptr)), file_(std::move(other.file_)) {}

void Db::exec(std::string_view sql_text) {
    const std::string s(sql_text);
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    if (err) sqlite3_free(err);
    if (rc != SQLITE_OK) fail(rc, "cannot run '" + s.substr(0, 40) + "'");
}

std::int64_t Db::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

void Db::fail(int rc, std::string_view what) const {
    std::string msg = "history database " + file_.string() + ": " + std::string(what) + ": ";
    msg += (db_ && sqlite3_errcode(db_) == rc) ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    if (auto h = hint_for(rc); !h.empty()) msg += "; " + h;
    throw StoreError(msg, kind_of(rc));
}

Stmt::Stmt(Db& db, std::string_view sql_text) : db_(db) {
    const int rc = sqlite3_prepare_v2(db.handle(), sql_text.data(), static_cast<int>(sql_text.size()), &stmt_,
                                      nullptr);
    if (rc != SQLITE_OK) db.fail(rc, "cannot prepare '" + std::string(sql_text.substr(0, 40)) + "'");
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int index, std::int64_t value) {
    if (int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) db_.fail(rc, "bind");
    return *this;
}
Stmt& Stmt::bind(int index, double value) {
    if (int rc = sqlite3_bind_double(stmt_, index, value); rc != SQLITE_OK) db_.fail(rc, "bind");
    return *this;
}
Stmt& Stmt::bind(int index, std::string_view text) {
    if (int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
        rc != SQLITE_OK)
        db_.fail(rc, "bind");
    return *this;
}
Stmt& Stmt::bind_blob(int index, const std::vector<std::uint8_t>& bytes) {
    // A zero-length blob still binds as a blob (not NULL): sqlite3 takes a non-null pointer for it.
    static const std::uint8_t none = 0;
    if (int rc = sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &none : bytes.data(), bytes.size(), SQLITE_TRANSIENT);
        rc != SQLITE_OK)
        db_.fail(rc, "bind");
    return *this;
}
Stmt& Stmt::bind_null(int index) {
    if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) db_.fail(rc, "bind");
    return *this;
}

bool Stmt::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    db_.fail(rc, "query failed");
}

void Stmt::run() {
    while (step()) {
    }
}

void Stmt::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Stmt::real(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Stmt::text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

std::vector<std::uint8_t> Stmt::blob(int col) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    const int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>();
}

Transaction::Transaction(Db& db) : db_(db) {
    if (int rc = sqlite3_exec(db_.handle(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr); rc != SQLITE_OK)
        db_.fail(rc, "cannot start writing");
}

Transaction::~Transaction() {
    if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    if (int rc = sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr); rc != SQLITE_OK)
        db_.fail(rc, "cannot commit");
    done_ = true;
}

}  // namespace mixscout::history::sql
