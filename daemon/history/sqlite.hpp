// mixscout history: a thin RAII layer over the sqlite3 C API (internal to the history module).
//
// Db owns a connection, Stmt a prepared statement, Transaction a BEGIN IMMEDIATE ... COMMIT
// (rolled back if destroyed uncommitted). Every failure throws StoreError naming the database
// file and SQLite's message, with a hint for the common cases (locked, not a database).
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace mixscout::history::sql {

class Db {
public:
    /// Opens read-write, creating the file. Throws StoreError.
    Db(const std::filesystem::path& file, int busy_timeout_ms);
    ~Db();
    Db(Db&&) noexcept;
    Db& operator=(Db&&) = delete;
    Db(const Db&) = delete;

    sqlite3* handle() const { return db_; }
    const std::filesystem::path& file() const { return file_; }
    /// Runs one or more statements without results.
    void exec(std::string_view sql);
    std::int64_t last_insert_id() const;
    /// Throws StoreError for result code rc (with context `what`).
    [[noreturn]] void fail(int rc, std::string_view what) const;

private:
    sqlite3* db_ = nullptr;
    std::filesystem::path file_;
};

class Stmt {
public:
    Stmt(Db& db, std::string_view sql);
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    // Binding, 1-based like SQLite. Returns *this for chaining.
    Stmt& bind(int index, std::int64_t value);
    Stmt& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Stmt& bind(int index, double value);
    Stmt& bind(int index, std::string_view text);
    Stmt& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Stmt& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
    Stmt& bind_blob(int index, const std::vector<std::uint8_t>& bytes);
    Stmt& bind_null(int index);
    template <class T>
    Stmt& bind(int index, const std::optional<T>& v) { return v ? bind(index, *v) : bind_null(index); }

    /// Steps once: true while a row is available, false when done. Throws StoreError.
    bool step();
    /// Steps to completion (for INSERT/UPDATE/DELETE).
    void run();
    void reset();

    // Columns, 0-based like SQLite.
    bool is_null(int col) const;
    std::int64_t int64(int col) const;
    int int32(int col) const { return static_cast<int>(int64(col)); }
    double real(int col) const;
    std::string text(int col) const;
    std::vector<std::uint8_t> blob(int col) const;

private:
    Db& db_;
    sqlite3_stmt* stmt_ = nullptr;
};

/// BEGIN IMMEDIATE (takes the write lock up front, so a locked database fails here, cleanly).
class Transaction {
public:
    explicit Transaction(Db& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Db& db_;
    bool done_ = false;
};

}  // namespace mixscout::history::sql
