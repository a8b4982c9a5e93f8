// mixscout osc: UDP endpoints. Boost.Asio owns the sockets; oscpack (through message.hpp) owns
// the bytes.
//
// Sender: sends protocol messages to one or more destinations. A send never blocks: the socket
// is non-blocking and a datagram the kernel cannot take right now is dropped and counted (OSC
// over UDP is lossy by nature; the device re-asks with /mixscout/hello). Thread-safe: the live
// monitor sends /mixscout/meter from its thread while the daemon's workers send results.
//
// Receiver: listens on host:port (127.0.0.1 by default) on the caller's io_context and hands
// every valid device_to_daemon message to a handler, on the io_context's thread. Packets from
// hosts that are neither loopback nor in the allowlist, malformed, truncated, oversized,
// unknown or wrong-typed packets are counted, logged and dropped; none of them is fatal.
// Each sender (address and port) may send at most rate_per_s packets a second on average, in
// bursts of at most burst_packets (a token bucket): a flood from one local process is dropped
// before it is decoded and never delays another sender's packets. At most max_senders are
// tracked; senders beyond that share one bucket. A device sends a few packets a second.
#pragma once
#include <atomic>
#include <chrono>
#include <map>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "osc/message.hpp"

namespace mixscout::osc {

using Endpoint = boost::asio::ip::udp::endpoint;

/// "HOST:PORT" -> (host, port). Throws InputError("--send: ...") style messages naming `what`.
std::pair<std::string, int> parse_host_port(std::string_view text, std::string_view what = "address");

/// Host name or numeric address + port -> endpoint ("localhost" resolves to 127.0.0.1).
/// Throws InputError when the host cannot be resolved or the port is out of range.
Endpoint resolve_endpoint(const std::string& host, int port);

std::string to_string(const Endpoint& endpoint);

class Sender {
public:
    Sender();
    /// A sender with one destination. Throws InputError when host:port is not usable.
    Sender(const std::string& host, int port);
    ~Sender();
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;

    /// Adds a destination; false if it was there already.
    bool add_destination(const Endpoint& destination);
    bool add_destination(const std::string& host, int port) { return add_destination(resolve_endpoint(host, port)); }
    /// Removes a destination; false if it was not there.
    bool remove_destination(const Endpoint& destination);
    /// Destinations beyond `max` are refused (a misbehaving peer cannot grow the list forever).
    void set_max_destinations(std::size_t max);
    std::vector<Endpoint> destinations() const;

    /// Encodes once and sends to every destination. False if the message does not match the
    /// protocol (logged) or nothing could be sent. Never blocks for long.
    bool send(const Message& message);
    /// Sends to one endpoint only (a reply), whether or not it is a destination.
    bool send_to(const Message& message, const Endpoint& to);
    /// Sends the messages back to back: no other thread's message comes between them on the wire
    /// (an export's fixes from the work thread and a hello reply repeating them from the I/O thread
    /// must not interleave, or the device pairs a fix with the wrong times). A message that cannot
    /// be encoded is left out (logged). False if nothing could be sent.
    bool send_all(const std::vector<Message>& messages);
    /// The same to one endpoint only (a reply).
    bool send_all_to(const std::vector<Message>& messages, const Endpoint& to);
    template <class... Ts>
    bool send(std::string address, Ts&&... values) {
        return send(make_message(std::move(address), std::forward<Ts>(values)...));
    }

    std::uint64_t packets_sent() const { return sent_.load(); }
    std::uint64_t packets_dropped() const { return dropped_.load(); }

private:
    bool send_bytes(const std::vector<char>& bytes, const Endpoint& to);
    boost::asio::io_context io_;  // the socket needs one; nothing runs on it (sends are synchronous, non-blocking)
    boost::asio::ip::udp::socket socket_;
    mutable std::mutex mutex_;
    std::vector<Endpoint> destinations_;
    std::size_t max_destinations_ = 16;
    std::atomic<std::uint64_t> sent_{0}, dropped_{0};
};

struct ReceiverOptions {
    std::string host = "127.0.0.1";  ///< address to bind; 0.0.0.0 to accept other hosts (allowlist applies)
    int port = 9001;                 ///< 0 = any free port (see Receiver::port)
    std::vector<std::string> allow;  ///< numeric addresses besides loopback allowed to send to us
    double rate_per_s = 100.0;       ///< per sender, on average; <= 0: no limit
    double burst_packets = 200.0;    ///< per sender, at once
    std::size_t max_senders = 64;    ///< senders with their own bucket
};

struct ReceiverStats {
    std::atomic<std::uint64_t> received{0}, accepted{0}, malformed{0}, oversized{0}, unknown_address{0},
        wrong_types{0}, bad_value{0}, not_allowed{0}, wrong_direction{0}, rate_limited{0};
    std::uint64_t dropped() const {
        return malformed + oversized + unknown_address + wrong_types + bad_value + not_allowed + wrong_direction +
               rate_limited;
    }
};

class Receiver {
public:
    using Handler = std::function<void(const Message& message, const Endpoint& from)>;
    /// Binds and starts receiving on `io`. Throws InputError("cannot listen on HOST:PORT: why").
    Receiver(boost::asio::io_context& io, ReceiverOptions options, Handler handler);
    ~Receiver();
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;

    int port() const { return port_; }
    const ReceiverStats& stats() const { return *stats_; }
    /// Replaces the allowlist (config reload). Call on the io_context's thread.
    void set_allowlist(std::vector<std::string> allow);
    void close();

private:
    void receive();
    bool allowed(const Endpoint& from) const;
    /// Takes one packet from the sender's bucket; false when it is empty (drop the packet).
    bool within_rate(const Endpoint& from);
    struct Bucket {
        double tokens = 0.0;
        std::chrono::steady_clock::time_point refilled;
        std::chrono::steady_clock::time_point last_warned;
        std::uint64_t dropped = 0;
    };
    ReceiverOptions options_;
    std::map<Endpoint, Bucket> buckets_;
    Bucket shared_bucket_;  // senders beyond max_senders
    boost::asio::ip::udp::socket socket_;
    Handler handler_;
    std::vector<boost::asio::ip::address> allow_;
    std::vector<char> buffer_;
    Endpoint from_;
    int port_ = 0;
    std::shared_ptr<ReceiverStats> stats_;
    std::shared_ptr<bool> alive_;  // guards completion handlers that run after destruction
};

}  // namespace mixscout::osc
