// mixscout osc: one OSC message, its binary form (oscpack), and text made safe for the device.
//
// Only i (int32), f (float32) and s (string) arguments exist in the protocol. encode() checks a
// message against the protocol table (address known, argument types, enum values), makes its
// strings ASCII-safe, truncates them with "..." past max_string_bytes and guarantees the packet
// fits max_packet_bytes. decode() is the receiving side's gate: anything malformed, truncated,
// oversized, unknown or wrong-typed throws InputError with a one-line reason. Pure functions,
// thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "osc/protocol.hpp"

namespace mixscout::osc {

using Arg = std::variant<std::int32_t, float, std::string>;

struct Message {
    std::string address;
    std::vector<Arg> args;

    std::int32_t int_arg(std::size_t i) const { return std::get<std::int32_t>(args.at(i)); }
    float float_arg(std::size_t i) const { return std::get<float>(args.at(i)); }
    const std::string& string_arg(std::size_t i) const { return std::get<std::string>(args.at(i)); }
    /// "isf"-style type tags of the arguments as they are.
    std::string type_tags() const;
};

/// Builds a Message from C++ values: integers -> i, floating point -> f, text -> s.
template <class... Ts>
Message make_message(std::string address, Ts&&... values);

/// UTF-8 -> printable ASCII: common typography is transliterated ("−", "–", "—" -> "-", curly
/// quotes -> straight, "…" -> "...", Latin-1 letters lose their accents, "µ" -> "u"), control
/// characters become spaces, anything else becomes "?". Then truncated to max_bytes with "...".
std::string ascii_safe(std::string_view utf8, std::size_t max_bytes);

/// Message -> one OSC packet. Throws InputError if the message does not match `table`.
std::vector<char> encode(const Message& message, const Protocol& table = protocol());

/// Why a packet was refused, for the receiver's counters.
enum class DropReason { malformed, oversized, unknown_address, wrong_types, bad_value };

/// InputError that also says which kind of bad packet it was.
struct PacketError;

/// One OSC packet -> Message. A bundle is accepted if it holds exactly one message (what liblo
/// and Max send); nested bundles are refused. Throws PacketError (an InputError).
Message decode(const char* data, std::size_t size, const Protocol& table = protocol());

// ---- details ----------------------------------------------------------------------------------

}  // namespace mixscout::osc

#include "core/error.hpp"

namespace mixscout::osc {

struct PacketError : InputError {
    PacketError(DropReason r, const std::string& what) : InputError(what), reason(r) {}
    DropReason reason;
};

namespace detail {
template <class T>
Arg to_arg(T&& v) {
    using U = std::decay_t<T>;
    if constexpr (std::is_same_v<U, bool>) return Arg{static_cast<std::int32_t>(v ? 1 : 0)};
    else if constexpr (std::is_integral_v<U>) return Arg{static_cast<std::int32_t>(v)};
    else if constexpr (std::is_floating_point_v<U>) return Arg{static_cast<float>(v)};
    else return Arg{std::string(std::forward<T>(v))};
}
}  // namespace detail

template <class... Ts>
Message make_message(std::string address, Ts&&... values) {
    Message m{std::move(address), {}};
    m.args.reserve(sizeof...(Ts));
    (m.args.push_back(detail::to_arg(std::forward<Ts>(values))), ...);
    return m;
}

}  // namespace mixscout::osc
