// OSC: the protocol table, packing checked by liblo's oscdump, parsing of packets liblo's
// oscsend wrote, and the receiver's handling of bad packets (counted, dropped, never fatal).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <atomic>
#include <map>
#include <thread>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "core/error.hpp"
#include "osc/endpoint.hpp"
#include "osc/message.hpp"
#include "osc/outcome.hpp"
#include "osc/protocol.hpp"
#include "support/process.hpp"
#include "support/signals.hpp"

using namespace mixscout;
using namespace std::chrono_literals;

namespace {

using test::liblo_packet;

}  // namespace

TEST(OscProtocol, EmbeddedTableIsTheCommittedJson) {
    std::ifstream in(std::string(MIXSCOUT_SOURCE_DIR) + "/protocol/osc.json");
    const auto j = nlohmann::json::parse(in);
    const auto& p = osc::protocol();
    ASSERT_EQ(p.messages.size(), j["messages"].size());
    for (const auto& m : j["messages"]) {
        const auto* spec = p.find(m["address"].get<std::string>());
        ASSERT_NE(spec, nullptr) << m["address"];
        std::string types;
        for (const auto& a : m["args"]) types += a["type"].get<std::string>();
        EXPECT_EQ(spec->type_tags(), types) << spec->address;
    }
    EXPECT_EQ(p.max_packet_bytes, j["defaults"]["max_packet_bytes"].get<std::size_t>());
    EXPECT_EQ(p.daemon_listen_port, j["defaults"]["daemon_listen_port"].get<int>());
}

TEST(OscProtocol, RefusesTypesOtherThanIfs) {
    EXPECT_THROW(osc::Protocol::parse(R"({"version":1,"defaults":{"host":"127.0.0.1","daemon_listen_port":1,
        "device_listen_port":2,"max_packet_bytes":1024,"max_string_bytes":200,"heartbeat_s":2},
        "messages":[{"address":"/x","direction":"daemon_to_device","args":[{"name":"b","type":"b"}]}]})"),
                 InputError);
}

TEST(OscText, AsciiSafeTransliteratesAndTruncates) {
    EXPECT_EQ(osc::ascii_safe("\xE2\x88\x92" "3 dB \xE2\x80\x93 4 kHz \xE2\x80\x94 ok", 200), "-3 dB - 4 kHz - ok");
    EXPECT_EQ(osc::ascii_safe("\xE2\x80\x9Cwide\xE2\x80\x9D \xE2\x80\x98mono\xE2\x80\x99\xE2\x80\xA6", 200), "\"wide\" 'mono'...");
    EXPECT_EQ(osc::ascii_safe("Caf\xC3\xA9 Bj\xC3\xB6rk 5 \xC2\xB5s", 200), "Cafe Bjork 5 us");
    EXPECT_EQ(osc::ascii_safe("tab\there\xFF", 200), "tab here?");  // control -> space, invalid byte -> ?
    const std::string long_text(500, 'a');
    const std::string cut = osc::ascii_safe(long_text, 200);
    EXPECT_EQ(cut.size(), 200u);
    EXPECT_EQ(cut.substr(197), "...");
}

TEST(OscEncode, RefusesWhatTheProtocolDoesNotSay) {
    EXPECT_THROW(osc::encode(osc::make_message("/mixscout/nope", 1)), osc::PacketError);
    EXPECT_THROW(osc::encode(osc::make_message("/mixscout/export", "p", "s", "not an int")), osc::PacketError);
    EXPECT_THROW(osc::encode(osc::make_message("/mixscout/fix", 1, "urgent", "t", "f")), osc::PacketError);  // enum
}

TEST(OscEncode, PacketsOscdumpReadsBack) {
    test::OscDump dump;
    osc::Sender sender("127.0.0.1", dump.port());
    ASSERT_TRUE(sender.send("/mixscout/export", "/music/My Song \xE2\x80\x93 v2.wav", "My Song", 3));
    ASSERT_TRUE(sender.send("/mixscout/fix", 1, "critical", "Clipping at 0:45", "Utility on the master: \xE2\x88\x92" "3 dB"));
    ASSERT_TRUE(sender.send("/mixscout/meter", -14.25f, -13.5, -0.75, 0.5));
    ASSERT_TRUE(sender.send("/mixscout/error", std::string(3000, 'x')));  // far past both limits
    ASSERT_TRUE(dump.wait_for("/mixscout/error", 1, 5s)) << "oscdump saw nothing";
    const auto e = dump.with_address("/mixscout/export");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].types, "ssi");
    EXPECT_EQ(e[0].args, (std::vector<std::string>{"/music/My Song - v2.wav", "My Song", "3"}));
    const auto f = dump.with_address("/mixscout/fix");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].types, "isss");
    EXPECT_EQ(f[0].args[3], "Utility on the master: -3 dB");
    const auto m = dump.with_address("/mixscout/meter");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].types, "ffff");
    EXPECT_DOUBLE_EQ(std::stod(m[0].args[0]), -14.25);
    EXPECT_DOUBLE_EQ(std::stod(m[0].args[3]), 0.5);
    const auto err = dump.with_address("/mixscout/error");
    EXPECT_EQ(err[0].args[0].size(), osc::protocol().max_string_bytes);
    EXPECT_EQ(err[0].args[0].substr(err[0].args[0].size() - 3), "...");
}

TEST(OscEncode, LongArgumentsStillFitOnePacket) {
    const std::string s(400, 'y');
    const auto bytes = osc::encode(osc::make_message("/mixscout/history_item", 1, 2, s, "first", s, s, "worse"));
    EXPECT_LE(bytes.size(), osc::protocol().max_packet_bytes);
    const auto back = osc::decode(bytes.data(), bytes.size());
    EXPECT_EQ(back.args.size(), 7u);
}

// Each /mixscout/fix is followed by its /mixscout/fix_times on the wire, as oscdump (liblo) reads
// them off a real UDP socket: seconds with one decimal, comma-separated; empty without times.
TEST(OscOutcome, EachFixIsFollowedByItsTimesOnTheWire) {
    auto issue = [](rules::Severity sev, std::string title, std::vector<double> times) {
        rules::Issue i;
        i.severity = sev;
        i.title = std::move(title);
        i.fix = "fix it";
        i.times_s = std::move(times);
        return i;
    };
    osc::ExportOutcome o;
    o.path = "/exports/Song v3.wav", o.song = "Song", o.iteration = 3;
    o.fixes = osc::top_fixes({issue(rules::Severity::critical, "Clipping at 0:45, 1:23", {45.23, 83.0}),
                              issue(rules::Severity::important, "Too dark", {}),
                              issue(rules::Severity::polish, "Silence at the start", {0.0}),
                              issue(rules::Severity::polish, "not in the top three", {9.0})});
    test::OscDump dump;
    osc::Sender sender("127.0.0.1", dump.port());
    for (const auto& m : osc::export_messages(o)) ASSERT_TRUE(sender.send(m));
    ASSERT_TRUE(dump.wait_for("/mixscout/fixes_end", 1, 5s)) << "oscdump saw nothing";
    std::vector<std::string> order;
    for (const auto& m : dump.messages()) order.push_back(m.address + (m.args.empty() ? "" : " " + m.args[0]));
    EXPECT_EQ(order, (std::vector<std::string>{"/mixscout/export /exports/Song v3.wav", "/mixscout/fix 1",
                                               "/mixscout/fix_times 1", "/mixscout/fix 2", "/mixscout/fix_times 2",
                                               "/mixscout/fix 3", "/mixscout/fix_times 3", "/mixscout/fixes_end 3"}));
    const auto t = dump.with_address("/mixscout/fix_times");
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t[0].types, "is");
    EXPECT_EQ(t[0].args, (std::vector<std::string>{"1", "45.2,83.0"}));
    EXPECT_EQ(t[1].args, (std::vector<std::string>{"2", ""}));
    EXPECT_EQ(t[2].args, (std::vector<std::string>{"3", "0.0"}));
}

// A group of messages reaches the peer back to back while other threads send too. The daemon sends
// an export's fixes from its work thread while a hello reply repeats them from the I/O thread; sent
// one by one, the two interleaved and the device paired a fix with the wrong times (seen in CI).
// Each thread sends numbered groups; on the wire every group must form one unbroken run (UDP may
// drop a packet under load, which shortens a run but never splits one).
TEST(OscSender, AGroupArrivesBackToBackWhileOtherThreadsSend) {
    namespace ip = boost::asio::ip;
    boost::asio::io_context io;
    ip::udp::socket peer(io, ip::udp::endpoint(ip::make_address("127.0.0.1"), 0));
    peer.set_option(boost::asio::socket_base::receive_buffer_size(8 << 20));
    constexpr int senders = 3, groups = 150, per_group = 8;
    std::vector<std::pair<std::int32_t, std::string>> wire;  // (sending thread, group) per packet
    std::vector<char> buffer(65536);
    ip::udp::endpoint from;
    std::function<void(boost::system::error_code, std::size_t)> on_packet = [&](boost::system::error_code ec, std::size_t n) {
        if (ec) return;
        const osc::Message m = osc::decode(buffer.data(), n);
        wire.emplace_back(m.int_arg(0), m.string_arg(2));
        if (wire.size() == std::size_t{senders} * groups * per_group) return io.stop();
        peer.async_receive_from(boost::asio::buffer(buffer), from, on_packet);
    };
    peer.async_receive_from(boost::asio::buffer(buffer), from, on_packet);

    osc::Sender sender("127.0.0.1", peer.local_endpoint().port());
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (std::int32_t t = 0; t < senders; ++t)
        threads.emplace_back([&, t] {
            ++ready;
            while (ready < senders) std::this_thread::yield();  // start together: most overlap
            for (int g = 0; g < groups; ++g) {
                std::vector<osc::Message> group;
                for (int i = 0; i < per_group; ++i)
                    group.push_back(osc::make_message("/mixscout/fix", t, "critical", std::to_string(g), "fix"));
                sender.send_all(group);
            }
        });
    io.run_for(20s);  // returns early when every packet is in; a drop leaves it to the deadline
    for (auto& th : threads) th.join();

    ASSERT_GT(wire.size(), std::size_t{per_group} * groups) << "too few packets arrived to judge";
    std::map<std::pair<std::int32_t, std::string>, int> runs;
    for (std::size_t i = 0; i < wire.size(); ++i)
        if (i == 0 || wire[i] != wire[i - 1]) ++runs[wire[i]];
    for (const auto& [group, count] : runs)
        EXPECT_EQ(count, 1) << "group " << group.second << " of thread " << group.first << " was split by another's packets";
    EXPECT_EQ(sender.packets_dropped(), 0u);
}

// Many times never end in a cut number: whole times only, within max_string_bytes.
TEST(OscOutcome, TimesTextKeepsWholeNumbersWithinTheStringLimit) {
    std::vector<double> times;
    for (int i = 0; i < 100; ++i) times.push_back(1000.0 + i * 10.25);
    const std::string text = osc::times_text(times);
    EXPECT_LE(text.size(), osc::protocol().max_string_bytes);
    EXPECT_TRUE(text.starts_with("1000.0,1010.2,1020.5,")) << text;  // %.1f rounds half to even here: 1010.25 -> 1010.2
    EXPECT_EQ(text.size() % 7, 6u) << "whole \"dddd.d\" entries joined by commas: " << text;
    EXPECT_EQ(osc::times_text({-1.0, 2.0}), "2.0");  // before the start: not a place to go
    EXPECT_EQ(osc::times_text({}), "");
}

TEST(OscDecode, ReadsWhatOscsendWrites) {
    const auto bytes = liblo_packet("/mixscout/note", "s", {"kick too loud \xE2\x80\x94 fixed"});
    const osc::Message m = osc::decode(bytes.data(), bytes.size());
    EXPECT_EQ(m.address, "/mixscout/note");
    EXPECT_EQ(m.string_arg(0), "kick too loud \xE2\x80\x94 fixed");  // paths and notes keep their UTF-8
    const auto hello = liblo_packet("/mixscout/hello", "is", {"9002", "0123abcd"});
    EXPECT_EQ(osc::decode(hello.data(), hello.size()).int_arg(0), 9002);
    EXPECT_EQ(osc::decode(hello.data(), hello.size()).string_arg(1), "0123abcd");
}

namespace {
/// Why decode() dropped the packet (-1: it did not).
int drop_reason(const std::vector<char>& b) {
    try {
        osc::decode(b.data(), b.size());
    } catch (const osc::PacketError& e) {
        return static_cast<int>(e.reason);
    }
    return -1;
}
}  // namespace

TEST(OscDecode, RefusesBadPacketsWithAReason) {
    const auto good = liblo_packet("/mixscout/hello", "is", {"9002", "0123abcd"});
    EXPECT_EQ(drop_reason(std::vector<char>(good.begin(), good.end() - 4)), static_cast<int>(osc::DropReason::malformed));
    EXPECT_EQ(drop_reason(std::vector<char>(good.begin(), good.begin() + 6)), static_cast<int>(osc::DropReason::malformed));
    EXPECT_EQ(drop_reason(liblo_packet("/mixscout/hello", "s", {"9002"})), static_cast<int>(osc::DropReason::wrong_types));
    EXPECT_EQ(drop_reason(liblo_packet("/mixscout/hello", "ii", {"1", "2"})), static_cast<int>(osc::DropReason::wrong_types));
    EXPECT_EQ(drop_reason(liblo_packet("/somebody/else", "i", {"1"})), static_cast<int>(osc::DropReason::unknown_address));
    EXPECT_EQ(drop_reason(liblo_packet("/mixscout/fix", "isss", {"1", "urgent", "t", "f"})), static_cast<int>(osc::DropReason::bad_value));
    EXPECT_EQ(drop_reason(std::vector<char>(4096, 0)), static_cast<int>(osc::DropReason::oversized));
}

// What tests/fuzz/osc_decode found in Debian's liboscpack: argument and bundle sizes taken from the
// packet itself walk the parser out of it. decode() checks the layout first, so each is a clean
// drop (under ASan a read outside the packet would abort this test).
TEST(OscDecode, SizesInsideThePacketCannotWalkTheParserOut) {
    auto word = [](std::vector<char>& b, std::uint32_t v) {
        for (int shift : {24, 16, 8, 0}) b.push_back(static_cast<char>((v >> shift) & 0xff));
    };
    auto text = [](std::vector<char>& b, const std::string& t) {
        b.insert(b.end(), t.begin(), t.end());
        do b.push_back('\0'); while (b.size() % 4 != 0);
    };
    // The fuzzer's own finding: 101 blob tags ('b') over 20 bytes of arguments (a SEGV before).
    std::vector<char> found;
    text(found, "/mixscout/fix");
    text(found, "," + std::string(101, 'b') + "Sssi");
    const unsigned char rest[] = {0x00, 0x00, 0xfc, 0x76, 0x4e, 0xb7, 0x60, 0x00, 0x01, 0x00,
                                  0x00, 0x00, 0x2f, 0x6d, 0x63, 0x00, 0x42, 0x00, 0x00, 0x00};
    found.insert(found.end(), std::begin(rest), std::end(rest));
    ASSERT_EQ(found.size() % 4, 0u);
    EXPECT_EQ(drop_reason(found), static_cast<int>(osc::DropReason::wrong_types));
    // The fuzzer's second finding (CI smoke, 2026-11-30): the address padded with '-' instead of
    // NUL. oscpack tests only every fourth byte for a string's end, so for it the address ran on
    // into the type tags, and it read blob sizes past the packet (a SEGV before).
    const unsigned char padded[] = {0x2f, 0x6d, 0x69, 0x78, 0x73, 0x63, 0x6f, 0x75, 0x74, 0x2f, 0x66, 0x69, 0x78, 0x00,
                                    0x00, 0x2d, 0x2c, 0x69, 0x69, 0x69, 0x00, 0x00, 0x00, 0x69, 0x21, 0x00, 0x00, 0x00,
                                    0x2c, 0x62, 0x62, 0x62, 0x62, 0x48, 0x00, 0x00, 0x00, 0x62, 0x5e, 0x6f};
    EXPECT_EQ(drop_reason(std::vector<char>(std::begin(padded), std::end(padded))), static_cast<int>(osc::DropReason::malformed));
    // The same in a string argument: refused too, whatever oscpack would make of it.
    std::vector<char> bad_pad;
    text(bad_pad, "/mixscout/note");
    text(bad_pad, ",s");
    bad_pad.insert(bad_pad.end(), {'h', 'i', '\0', 'x'});
    EXPECT_EQ(drop_reason(bad_pad), static_cast<int>(osc::DropReason::malformed));
    // One blob whose size word says 4 GiB - 4.
    std::vector<char> blob;
    text(blob, "/mixscout/note");
    text(blob, ",b");
    word(blob, 0xfffffffcu);
    word(blob, 0);
    EXPECT_EQ(drop_reason(blob), static_cast<int>(osc::DropReason::wrong_types));
    // A string argument with no NUL before the end, and an int with no room.
    std::vector<char> open_string;
    text(open_string, "/mixscout/note");
    text(open_string, ",s");
    open_string.insert(open_string.end(), {'a', 'b', 'c', 'd'});
    EXPECT_EQ(drop_reason(open_string), static_cast<int>(osc::DropReason::malformed));
    std::vector<char> short_int;
    text(short_int, "/mixscout/hello");
    text(short_int, ",is");
    EXPECT_EQ(drop_reason(short_int), static_cast<int>(osc::DropReason::malformed));
    // Bundles whose element size is negative, past the end, or leaves a second element.
    const auto message = liblo_packet("/mixscout/note", "s", {"hi"});
    for (std::uint32_t element : {0xfffffff0u, static_cast<std::uint32_t>(message.size() + 4), 4u}) {
        std::vector<char> bundle;
        text(bundle, "#bundle");
        word(bundle, 0);
        word(bundle, 1);
        word(bundle, element);
        bundle.insert(bundle.end(), message.begin(), message.end());
        EXPECT_EQ(drop_reason(bundle), static_cast<int>(osc::DropReason::malformed)) << element;
    }
    // The same bundle with the right size still decodes.
    std::vector<char> bundle;
    text(bundle, "#bundle");
    word(bundle, 0);
    word(bundle, 1);
    word(bundle, static_cast<std::uint32_t>(message.size()));
    bundle.insert(bundle.end(), message.begin(), message.end());
    EXPECT_EQ(osc::decode(bundle.data(), bundle.size()).string_arg(0), "hi");
}

TEST(OscReceiver, CountsAndDropsBadPacketsAndKeepsServing) {
    boost::asio::io_context io;
    std::vector<osc::Message> got;
    osc::Receiver receiver(io, {"127.0.0.1", 0, {}}, [&](const osc::Message& m, const osc::Endpoint&) { got.push_back(m); });
    ASSERT_GT(receiver.port(), 0);
    std::mt19937 rng(7);
    std::vector<char> noise(333);
    for (auto& c : noise) c = static_cast<char>(rng());
    const auto good = liblo_packet("/mixscout/hello", "is", {"9002", "0123abcd"});
    test::send_udp(receiver.port(), noise);                                                // random bytes
    test::send_udp(receiver.port(), std::vector<char>(good.begin(), good.end() - 4));     // truncated
    test::send_udp(receiver.port(), liblo_packet("/mixscout/hello", "f", {"1.5"}));        // wrong type
    test::send_udp(receiver.port(), liblo_packet("/mixscout/export", "ssi", {"a", "b", "1"}));  // our own direction
    test::send_udp(receiver.port(), std::vector<char>(2048, 'z'));                         // oversized
    ASSERT_TRUE(test::oscsend(receiver.port(), "/mixscout/note", "s", {"still listening"}));
    const bool arrived = test::wait_until([&] {
        io.poll();
        return !got.empty();
    }, 5000ms);
    ASSERT_TRUE(arrived);
    io.poll();
    EXPECT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].string_arg(0), "still listening");
    const auto& s = receiver.stats();
    EXPECT_EQ(s.received.load(), 6u);
    EXPECT_EQ(s.accepted.load(), 1u);
    EXPECT_EQ(s.malformed.load(), 2u);
    EXPECT_EQ(s.wrong_types.load(), 1u);
    EXPECT_EQ(s.wrong_direction.load(), 1u);
    EXPECT_EQ(s.oversized.load(), 1u);
}

TEST(OscEndpoint, ParsesHostPort) {
    EXPECT_EQ(osc::parse_host_port("127.0.0.1:9002"), std::make_pair(std::string("127.0.0.1"), 9002));
    EXPECT_EQ(osc::parse_host_port("localhost:1"), std::make_pair(std::string("localhost"), 1));
    EXPECT_THROW(osc::parse_host_port("localhost"), InputError);
    EXPECT_THROW(osc::parse_host_port("localhost:99999"), InputError);
    EXPECT_THROW(osc::parse_host_port(":9002"), InputError);
    EXPECT_EQ(osc::resolve_endpoint("localhost", 9002).address().to_string(), "127.0.0.1");
}

TEST(OscProtocol, CommittedDocumentIsWhatTheGeneratorWrites) {
    MIXSCOUT_NEEDS_PROGRAM("python3");  // the generator is a Python script
    std::string output;
    const int code = test::run_command(test::find_program("python3"),
                                       {std::string(MIXSCOUT_SOURCE_DIR) + "/scripts/gen-protocol-doc", "--check"}, &output);
    EXPECT_EQ(code, 0) << output;
}

// Issue 20 item 7: a flood from one sender is cut to its rate (before decoding), and another
// sender is still heard at once. Real UDP sockets; the io_context runs on this thread.
TEST(OscReceiver, FloodFromOneSenderIsRateLimitedOthersAreStillHeard) {
    boost::asio::io_context io;
    std::size_t from_flooder = 0, from_device = 0;
    test::UdpClient flooder, device;
    osc::ReceiverOptions options{"127.0.0.1", 0, {}};
    options.rate_per_s = 50.0;
    options.burst_packets = 20.0;
    osc::Receiver receiver(io, options, [&](const osc::Message&, const osc::Endpoint& from) {
        (from.port() == flooder.port() ? from_flooder : from_device)++;
    });
    const auto note = liblo_packet("/mixscout/note", "s", {"flood"});
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t sent = 0;
    // In batches the socket buffer holds, each read before the next, so none is lost on the way.
    for (int batch = 0; batch < 10; ++batch) {
        for (int k = 0; k < 50; ++k) flooder.send(receiver.port(), note);
        sent += 50;
        ASSERT_TRUE(test::wait_until([&] {
            io.poll();
            return receiver.stats().received.load() == sent;
        }, 5000ms));
    }
    const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // The bucket: burst + rate x time, at most; and it did hand out its burst.
    EXPECT_GE(from_flooder, 20u);
    EXPECT_LE(static_cast<double>(from_flooder), 20.0 + 50.0 * elapsed_s + 1.0) << elapsed_s;
    EXPECT_EQ(receiver.stats().rate_limited.load(), sent - from_flooder);
    device.send(receiver.port(), "/mixscout/note", "s", {"from the device"});
    ASSERT_TRUE(test::wait_until([&] {
        io.poll();
        return from_device == 1;
    }, 5000ms));
}
