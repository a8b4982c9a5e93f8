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
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace mixscout
