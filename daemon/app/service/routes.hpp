// mixscout app/service: OSC dispatch as a table, like MPD's command table.
//
// Every inbound address the process answers is one Route: the address, its argument type tags
// and who may send it (anyone, or only a device proven by the token in its hello: osc/auth.hpp).
// The table is checked against protocol/osc.json before the socket opens: a route the protocol
// does not list, a device_to_daemon message without a route, or type tags that differ are one
// start-up error naming each mismatch, so the code and the protocol file cannot drift apart.
// Dispatch is a lookup, on the receiving io_context's thread.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "osc/endpoint.hpp"
#include "osc/protocol.hpp"

namespace mixscout::app::service {

enum class Access {
    anyone,  ///< /mixscout/hello: how a device proves itself
    proven,  ///< everything that reads or writes the user's files, or stops the process
};

struct Route {
    std::string address;
    std::string types;  ///< OSC type tags without the comma, e.g. "is"; "" for no arguments
    Access access = Access::proven;
    std::function<void(const osc::Message& message, const osc::Endpoint& from)> handler;
};

/// Every mismatch between `routes` and the device_to_daemon messages of `table`, one line each;
/// empty when they agree.
std::vector<std::string> route_problems(const std::vector<Route>& routes, const osc::Protocol& table);

class Router {
public:
    /// Throws InputError("osc routes do not match protocol/osc.json: ...") listing every problem.
    explicit Router(std::vector<Route> routes, const osc::Protocol& table = osc::protocol());

    /// nullptr when no route has this address (the receiver already dropped unknown ones).
    const Route* find(std::string_view address) const;
    /// route_problems() of this table against another protocol table (a test reads osc.json).
    std::vector<std::string> problems(const osc::Protocol& table) const;

private:
    std::map<std::string, Route, std::less<>> routes_;
};

}  // namespace mixscout::app::service
