#include "app/service/routes.hpp"

#include <set>

#include "core/error.hpp"

namespace mixscout::app::service {

std::vector<std::string> route_problems(const std::vector<Route>& routes, const osc::Protocol& table) {
    std::vector<std::string> problems;
    std::set<std::string, std::less<>> routed;
    for (const auto& r : routes) {
        if (!routed.insert(r.address).second) {
            problems.push_back(r.address + ": routed twice");
            continue;
        }
        const osc::MessageSpec* spec = table.find(r.address);
        if (!spec) {
            problems.push_back(r.address + ": routed, but not in the protocol");
            continue;
        }
        if (spec->direction != osc::Direction::device_to_daemon) {
            problems.push_back(r.address + ": routed, but the protocol sends it to the device");
            continue;
        }
        if (spec->type_tags() != r.types)
            problems.push_back(r.address + ": routed with types '" + r.types + "', the protocol says '" + spec->type_tags() + "'");
    }
    for (const auto& m : table.messages)
        if (m.direction == osc::Direction::device_to_daemon && !routed.contains(m.address))
            problems.push_back(m.address + ": in the protocol, but no route handles it");
    return problems;
}

Router::Router(std::vector<Route> routes, const osc::Protocol& table) {
    const auto problems = route_problems(routes, table);
    if (!problems.empty()) {
        std::string text;
        for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
        throw InputError("osc routes do not match protocol/osc.json: " + text);
    }
    for (auto& r : routes) {
        std::string address = r.address;
        routes_.emplace(std::move(address), std::move(r));
    }
}

std::vector<std::string> Router::problems(const osc::Protocol& table) const {
    std::vector<Route> routes;
    for (const auto& [address, r] : routes_) routes.push_back(r);
    return route_problems(routes, table);
}

const Route* Router::find(std::string_view address) const {
    const auto it = routes_.find(address);
    return it == routes_.end() ? nullptr : &it->second;
}

}  // namespace mixscout::app::service
