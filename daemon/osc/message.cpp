#include "osc/message.hpp"

#include <osc/OscOutboundPacketStream.h>
#include <osc/OscReceivedElements.h>

#include <cstring>
#include <utility>

#include <algorithm>
#include <cstdint>

namespace mixscout::osc {

std::string Message::type_tags() const {
    std::string tags;
    for (const auto& a : args) tags.push_back(a.index() == 0 ? 'i' : a.index() == 1 ? 'f' : 's');
    return tags;
}

namespace {

/// Transliteration of the code points a title or a path is likely to carry.
const char* transliterate(char32_t cp) {
    switch (cp) {
        case 0x00A0: case 0x2002: case 0x2003: case 0x2009: case 0x202F: return " ";
        case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2015: case 0x2212: return "-";
        case 0x2018: case 0x2019: case 0x201A: case 0x2032: case 0x00B4: return "'";
        case 0x201C: case 0x201D: case 0x201E: case 0x2033: case 0x00AB: case 0x00BB: return "\"";
        case 0x2026: return "...";
        case 0x2022: case 0x00B7: return "*";
        case 0x00D7: return "x";
        case 0x00F7: return "/";
        case 0x00B0: return " deg";
        case 0x00B1: return "+/-";
        case 0x00B5: case 0x03BC: return "u";
        case 0x2264: return "<=";
        case 0x2265: return ">=";
        case 0x2248: return "~";
        case 0x2192: return "->";
        case 0x2190: return "<-";
        case 0x266F: return "#";
        case 0x266D: return "b";
        case 0x00DF: return "ss";
        case 0x00C6: return "AE";
        case 0x00E6: return "ae";
        case 0x0152: return "OE";
        case 0x0153: return "oe";
        default: break;
    }
    // Latin-1 letters with accents -> the base letter.
    static const char* const latin1_upper = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTs";  // U+00C0..U+00DF
    static const char* const latin1_lower = "aaaaaaaceeeeiiiidnooooo/ouuuuyty";  // U+00E0..U+00FF
    static thread_local char one[2] = {0, 0};
    if (cp >= 0xC0 && cp <= 0xDF) { one[0] = latin1_upper[cp - 0xC0]; return one; }
    if (cp >= 0xE0 && cp <= 0xFF) { one[0] = latin1_lower[cp - 0xE0]; return one; }
    return "?";
}

/// Next code point of a UTF-8 string; invalid bytes decode as U+FFFD one byte at a time.
char32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int extra = b0 < 0x80 ? 0 : (b0 >> 5) == 0x6 ? 1 : (b0 >> 4) == 0xE ? 2 : (b0 >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size()) {
        ++i;
        return 0xFFFD;
    }
    char32_t cp = extra == 0 ? b0 : extra == 1 ? (b0 & 0x1F) : extra == 2 ? (b0 & 0x0F) : (b0 & 0x07);
    for (int k = 1; k <= extra; ++k) {
        const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((b & 0xC0) != 0x80) { ++i; return 0xFFFD; }
        cp = (cp << 6) | (b & 0x3F);
    }
    i += static_cast<std::size_t>(extra) + 1;
    return cp;
}

std::size_t padded4(std::size_t n) { return (n + 4) & ~std::size_t{3}; }  // string + NUL, 4-aligned

std::size_t packet_size(const Message& m) {
    std::size_t n = padded4(m.address.size()) + padded4(m.args.size() + 1);
    for (const auto& a : m.args) n += a.index() == 2 ? padded4(std::get<std::string>(a).size()) : 4;
    return n;
}

}  // namespace

std::string ascii_safe(std::string_view utf8, std::size_t max_bytes) {
    std::string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size();) {
        const char32_t cp = next_code_point(utf8, i);
        if (cp >= 0x20 && cp < 0x7F) out.push_back(static_cast<char>(cp));
        else if (cp < 0x20 || cp == 0x7F) out.push_back(' ');
        else out += transliterate(cp);
    }
    if (out.size() > max_bytes) {
        if (max_bytes >= 3) {
            out.resize(max_bytes - 3);
            out += "...";
        } else {
            out.resize(max_bytes);
        }
    }
    return out;
}

std::vector<char> encode(const Message& message, const Protocol& table) {
    const MessageSpec* spec = table.find(message.address);
    if (!spec) throw PacketError(DropReason::unknown_address, "osc: unknown address " + message.address);
    if (message.type_tags() != spec->type_tags())
        throw PacketError(DropReason::wrong_types, "osc: " + message.address + " takes '" + spec->type_tags() +
                                                       "', got '" + message.type_tags() + "'");
    Message safe{message.address, {}};
    safe.args.reserve(message.args.size());
    for (std::size_t i = 0; i < message.args.size(); ++i) {
        const auto& a = message.args[i];
        if (a.index() != 2) {
            safe.args.push_back(a);
            continue;
        }
        const auto& text = std::get<std::string>(a);
        const auto& allowed = spec->args[i].enum_values;
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), text) == allowed.end())
            throw PacketError(DropReason::bad_value,
                              "osc: " + message.address + " " + spec->args[i].name + " '" + text + "' is not allowed");
        safe.args.emplace_back(ascii_safe(text, table.max_string_bytes));
    }
    // Fit the packet: shorten the longest string until it does (titles and paths can be long).
    for (std::size_t size = packet_size(safe); size > table.max_packet_bytes; size = packet_size(safe)) {
        std::string* longest = nullptr;
        for (auto& a : safe.args)
            if (auto* s = std::get_if<std::string>(&a); s && (!longest || s->size() > longest->size())) longest = s;
        if (!longest || longest->size() <= 3)
            throw PacketError(DropReason::oversized, "osc: " + message.address + " does not fit " +
                                                         std::to_string(table.max_packet_bytes) + " bytes");
        const std::size_t excess = size - table.max_packet_bytes;
        const std::size_t keep = longest->size() > excess + 3 ? longest->size() - excess - 3 : 0;
        *longest = longest->substr(0, keep) + "...";
    }
    std::vector<char> buffer(packet_size(safe) + 16);
    ::osc::OutboundPacketStream out(buffer.data(), buffer.size());
    out << ::osc::BeginMessage(safe.address.c_str());
    for (const auto& a : safe.args) {
        if (const auto* i = std::get_if<std::int32_t>(&a)) out << static_cast<::osc::int32>(*i);
        else if (const auto* f = std::get_if<float>(&a)) out << *f;
        else out << std::get<std::string>(a).c_str();
    }
    out << ::osc::EndMessage;
    buffer.resize(out.Size());
    return buffer;
}

namespace {

// Debian's liboscpack (1.1.0) trusts an argument's own size fields: a blob tag whose size word is
// huge moves its read pointer past the end and wraps around (a SEGV found by tests/fuzz/osc_decode),
// and a bundle element's size is not checked for being negative. So the packet's layout is
// checked here first, byte by byte, and oscpack only ever parses a message whose every field is
// known to lie inside the packet. Only i, f and s are ever valid (protocol/osc.json).

std::uint32_t big_endian_u32(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) | std::uint32_t{u[3]};
}

/// The end of the 4-byte-padded, NUL-terminated string starting at `at`, or npos when its NUL is
/// not inside [at, size).
[[noreturn]] void malformed(const std::string& why) { throw PacketError(DropReason::malformed, "osc: malformed packet: " + why); }

/// Where the padded string starting at `at` ends, npos when it has no terminator. The padding
/// must be NUL bytes, as OSC says: oscpack finds a string's end by testing only every fourth
/// byte, so a string padded with anything else would end elsewhere for oscpack than here, and
/// oscpack would then read arguments past the packet (fuzz_osc_decode: a SEGV in its Init).
std::size_t padded_string_end(const char* data, std::size_t at, std::size_t size) {
    for (std::size_t i = at; i < size; ++i)
        if (data[i] == '\0') {
            const std::size_t end = std::min(size, (i + 4) & ~std::size_t{3});
            for (std::size_t p = i + 1; p < end; ++p)
                if (data[p] != '\0') malformed("a string is padded with non-zero bytes");
            return end;
        }
    return std::string::npos;
}

/// The one message inside `data` (a message, or a bundle of exactly one message): its bytes.
std::pair<const char*, std::size_t> single_message(const char* data, std::size_t size) {
    static constexpr char bundle_tag[8] = {'#', 'b', 'u', 'n', 'd', 'l', 'e', '\0'};
    if (size < 8 || std::memcmp(data, bundle_tag, 8) != 0) return {data, size};
    if (size < 20) malformed("bundle without an element");
    const std::uint32_t element = big_endian_u32(data + 16);
    if (element == 0 || element % 4 != 0 || element > size - 20)
        malformed("bundle element of " + std::to_string(element) + " bytes in a " + std::to_string(size) + "-byte packet");
    if (20 + element != size) throw PacketError(DropReason::malformed, "osc: bundle of more than one element (one message per packet)");
    if (element >= 8 && std::memcmp(data + 20, bundle_tag, 8) == 0) throw PacketError(DropReason::malformed, "osc: nested bundle");
    return {data + 20, element};
}

/// Throws unless the message's address, type tags and i/f/s arguments all lie inside it.
void check_message_layout(const char* data, std::size_t size) {
    if (size == 0 || data[0] != '/') throw PacketError(DropReason::malformed, "osc: not an OSC message");
    std::size_t at = padded_string_end(data, 0, size);
    if (at == std::string::npos) malformed("address not terminated");
    if (at == size) return;  // no type tags: oscpack reads no arguments
    if (data[at] != ',') malformed("type tags do not start with ','");
    const std::size_t tags_begin = at + 1;
    const std::size_t args = padded_string_end(data, at, size);
    if (args == std::string::npos) malformed("type tags not terminated");
    at = args;
    for (std::size_t t = tags_begin; data[t] != '\0'; ++t) {
        switch (data[t]) {
            case 'i':
            case 'f':
                if (size - at < 4) malformed("arguments exceed the packet");
                at += 4;
                break;
            case 's':
                at = padded_string_end(data, at, size);
                if (at == std::string::npos) malformed("string argument not terminated");
                break;
            default:
                throw PacketError(DropReason::wrong_types,
                                  std::string("osc: type tag '") + ascii_safe(std::string(1, data[t]), 4) + "' is not used by the protocol (i, f, s)");
        }
    }
}

}  // namespace

Message decode(const char* data, std::size_t size, const Protocol& table) {
    if (size > table.max_packet_bytes)
        throw PacketError(DropReason::oversized, "osc: packet of " + std::to_string(size) + " bytes (limit " +
                                                     std::to_string(table.max_packet_bytes) + ")");
    if (size == 0 || size % 4 != 0)
        throw PacketError(DropReason::malformed, "osc: packet of " + std::to_string(size) +
                                                     " bytes is not a whole number of 4-byte words");
    Message m;
    try {
        const auto [msg_data, msg_size] = single_message(data, size);
        check_message_layout(msg_data, msg_size);
        ::osc::ReceivedMessage message(::osc::ReceivedPacket(msg_data, static_cast<::osc::osc_bundle_element_size_t>(msg_size)));
        m.address = message.AddressPattern();
        const MessageSpec* spec = table.find(m.address);
        if (!spec) throw PacketError(DropReason::unknown_address, "osc: unknown address " + ascii_safe(m.address, 80));
        std::string tags;
        for (auto it = message.ArgumentsBegin(); it != message.ArgumentsEnd(); ++it) {
            const char t = it->TypeTag();
            tags.push_back(t);
            if (t == 'i') m.args.emplace_back(static_cast<std::int32_t>(it->AsInt32Unchecked()));
            else if (t == 'f') m.args.emplace_back(it->AsFloatUnchecked());
            else if (t == 's') m.args.emplace_back(std::string(it->AsStringUnchecked()));
        }
        if (tags != spec->type_tags())
            throw PacketError(DropReason::wrong_types, "osc: " + m.address + " takes '" + spec->type_tags() +
                                                           "', got '" + ascii_safe(tags, 40) + "'");
        for (std::size_t i = 0; i < m.args.size(); ++i) {
            const auto& allowed = spec->args[i].enum_values;
            if (allowed.empty()) continue;
            const auto& text = std::get<std::string>(m.args[i]);
            if (std::find(allowed.begin(), allowed.end(), text) == allowed.end())
                throw PacketError(DropReason::bad_value, "osc: " + m.address + " " + spec->args[i].name + " '" +
                                                             ascii_safe(text, 40) + "' is not allowed");
        }
    } catch (const ::osc::Exception& e) {
        throw PacketError(DropReason::malformed, std::string("osc: malformed packet: ") + e.what());
    }
    return m;
}

}  // namespace mixscout::osc
