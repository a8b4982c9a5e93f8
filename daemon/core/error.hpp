// mixscout core: errors that reach the user.
//
// Every failure a user can cause (bad file, bad config, bad packet) is an InputError with one
// line naming the thing and what is wrong; the CLI prints it and exits 2, the daemon logs it,
// reports it over OSC and keeps running.
#pragma once
#include <stdexcept>
#include <string>

namespace mixscout {

/// A problem with something the user gave us: a file, a config, a packet. Exit code 2.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The history database could not be used (locked, corrupt, unwritable). Analysis goes on.
/// kind() says which, so callers decide without reading the message.
class StoreError : public std::runtime_error {
public:
    enum class Kind { other, locked, full, read_only, damaged };
    explicit StoreError(const std::string& what, Kind kind = Kind::other) : std::runtime_error(what), kind_(kind) {}
    Kind kind() const { return kind_; }
    /// A short clause for the device ("the disk is full"); the message has the details.
    static const char* describe(Kind kind) {
        switch (kind) {
            case Kind::locked: return "the database is locked by another program";
            case Kind::full: return "the disk is full";
            case Kind::read_only: return "the database cannot be written (read-only)";
            case Kind::damaged: return "the database is damaged";
            case Kind::other: break;
        }
        return "the database failed";
    }

private:
    Kind kind_;
};

}  // namespace mixscout
