#include "osc/protocol.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "protocol/osc_json.hpp"

namespace mixscout::osc {

std::string MessageSpec::type_tags() const {
    std::string tags;
    for (const auto& a : args) tags.push_back(a.type);
    return tags;
}

const MessageSpec* Protocol::find(std::string_view address) const {
    for (const auto& m : messages)
        if (m.address == address) return &m;
    return nullptr;
}

Protocol Protocol::parse(std::string_view json_text) {
    Protocol p;
    try {
        const auto j = nlohmann::json::parse(json_text);
        p.version = j.at("version").get<int>();
        const auto& d = j.at("defaults");
        p.host = d.at("host").get<std::string>();
        p.daemon_listen_port = d.at("daemon_listen_port").get<int>();
        p.device_listen_port = d.at("device_listen_port").get<int>();
        p.max_packet_bytes = d.at("max_packet_bytes").get<std::size_t>();
        p.max_string_bytes = d.at("max_string_bytes").get<std::size_t>();
        p.heartbeat_s = d.at("heartbeat_s").get<double>();
        for (const auto& m : j.at("messages")) {
            MessageSpec spec;
            spec.address = m.at("address").get<std::string>();
            const auto dir = m.at("direction").get<std::string>();
            if (dir == "daemon_to_device") spec.direction = Direction::daemon_to_device;
            else if (dir == "device_to_daemon") spec.direction = Direction::device_to_daemon;
            else throw InputError("protocol: " + spec.address + ": unknown direction '" + dir + "'");
            for (const auto& a : m.at("args")) {
                ArgSpec arg;
                arg.name = a.at("name").get<std::string>();
                const auto type = a.at("type").get<std::string>();
                if (type != "i" && type != "f" && type != "s")
                    throw InputError("protocol: " + spec.address + ": argument '" + arg.name + "' has type '" + type +
                                     "' (only i, f, s)");
                arg.type = type[0];
                if (a.contains("enum")) arg.enum_values = a.at("enum").get<std::vector<std::string>>();
                spec.args.push_back(std::move(arg));
            }
            spec.meaning = m.value("meaning", "");
            if (p.find(spec.address)) throw InputError("protocol: " + spec.address + " is listed twice");
            p.messages.push_back(std::move(spec));
        }
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("protocol: ") + e.what());
    }
    return p;
}

const Protocol& protocol() {
    static const Protocol table = Protocol::parse(protocol::osc_json);
    return table;
}

}  // namespace mixscout::osc
