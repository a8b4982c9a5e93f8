// Fuzz target: one UDP datagram into the OSC decoder (the receiver's gate, osc/message.hpp).
// Anything but a Message or a PacketError is a finding; a decoded message must re-encode.
#include <cstddef>
#include <cstdint>

#include "osc/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mixscout;
    try {
        const osc::Message m = osc::decode(reinterpret_cast<const char*>(data), size);
        (void)m.type_tags();
    } catch (const InputError&) {
    }
    return 0;
}
