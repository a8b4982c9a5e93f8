// mixscout osc: the OSC address space, as a table built from protocol/osc.json.
//
// protocol/osc.json is the one source (the device's tests and protocol/OSC.md read it too); it is
// embedded in the binary (generated/protocol/osc_json.hpp) and parsed once, on first use.
// Thread-safe after construction (read-only).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mixscout::osc {

enum class Direction { daemon_to_device, device_to_daemon };

struct ArgSpec {
    std::string name;
    char type = 's';                       ///< 'i' int32, 'f' float32, 's' string: nothing else
    std::vector<std::string> enum_values;  ///< allowed values of a string argument; empty = any
};

struct MessageSpec {
    std::string address;
    Direction direction = Direction::daemon_to_device;
    std::vector<ArgSpec> args;
    std::string meaning;
    /// The OSC type tags without the comma, e.g. "ssi".
    std::string type_tags() const;
};

struct Protocol {
    int version = 0;
    std::string host = "127.0.0.1";
    int daemon_listen_port = 9001;
    int device_listen_port = 9002;
    std::size_t max_packet_bytes = 1024;  ///< whole UDP payload (Max's udpreceive is happy below this)
    std::size_t max_string_bytes = 200;   ///< per string argument, ellipsis included
    double heartbeat_s = 2.0;
    std::vector<MessageSpec> messages;

    /// nullptr when the address is not in the table.
    const MessageSpec* find(std::string_view address) const;

    /// Parses the JSON text of protocol/osc.json; throws InputError naming what is wrong.
    static Protocol parse(std::string_view json_text);
};

/// The table of the protocol embedded in this binary.
const Protocol& protocol();

}  // namespace mixscout::osc
