#include "osc/endpoint.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/error.hpp"
#include "core/log.hpp"

namespace mixscout::osc {

namespace asio = boost::asio;
using asio::ip::udp;

std::pair<std::string, int> parse_host_port(std::string_view text, std::string_view what) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
        throw InputError(std::string(what) + ": '" + std::string(text) + "' is not HOST:PORT");
    int port = 0;
    const auto digits = text.substr(colon + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535)
        throw InputError(std::string(what) + ": port '" + std::string(digits) + "' is not 1..65535");
    return {std::string(text.substr(0, colon)), port};
}

Endpoint resolve_endpoint(const std::string& host, int port) {
    if (port < 0 || port > 65535) throw InputError("port " + std::to_string(port) + " is not 0..65535");
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (!ec) return Endpoint(address, static_cast<unsigned short>(port));
    asio::io_context io;
    udp::resolver resolver(io);
    const auto results = resolver.resolve(udp::v4(), host, std::to_string(port), ec);
    if (ec || results.empty()) throw InputError("cannot resolve host '" + host + "': " + ec.message());
    return results.begin()->endpoint();
}

std::string to_string(const Endpoint& e) { return e.address().to_string() + ":" + std::to_string(e.port()); }

// ---- Sender -----------------------------------------------------------------------------------

Sender::Sender() : socket_(io_) {
    socket_.open(udp::v4());
    socket_.non_blocking(true);
}

Sender::Sender(const std::string& host, int port) : Sender() { add_destination(host, port); }

Sender::~Sender() {
    boost::system::error_code ec;
    socket_.close(ec);
}

bool Sender::add_destination(const Endpoint& destination) {
    std::lock_guard lock(mutex_);
    if (std::find(destinations_.begin(), destinations_.end(), destination) != destinations_.end()) return false;
    if (destinations_.size() >= max_destinations_) {
        log::warn("osc: destination " + to_string(destination) + " refused: already " +
                  std::to_string(max_destinations_) + " destinations");
        return false;
    }
    destinations_.push_back(destination);
    return true;
}

bool Sender::remove_destination(const Endpoint& destination) {
    std::lock_guard lock(mutex_);
    auto it = std::find(destinations_.begin(), destinations_.end(), destination);
    if (it == destinations_.end()) return false;
    destinations_.erase(it);
    return true;
}

void Sender::set_max_destinations(std::size_t max) {
    std::lock_guard lock(mutex_);
    max_destinations_ = max;
}

std::vector<Endpoint> Sender::destinations() const {
    std::lock_guard lock(mutex_);
    return destinations_;
}

bool Sender::send_bytes(const std::vector<char>& bytes, const Endpoint& to) {
    boost::system::error_code ec;
    socket_.send_to(asio::buffer(bytes), to, 0, ec);
    if (ec) {
        // would_block: the kernel buffer is full; connection_refused: an earlier datagram met a
        // closed port (nobody listening yet). Either way UDP moves on.
        ++dropped_;
        log::debug("osc: send to " + to_string(to) + " failed: " + ec.message());
        return false;
    }
    ++sent_;
    return true;
}

namespace {
/// The packet, or nothing (logged) when the message cannot be encoded.
std::optional<std::vector<char>> encode_or_log(const Message& message) {
    try {
        return encode(message);
    } catch (const InputError& e) {
        log::error(e.what());
        return std::nullopt;
    }
}
}  // namespace

bool Sender::send(const Message& message) {
    const std::optional<std::vector<char>> bytes = encode_or_log(message);
    if (!bytes) return false;
    std::lock_guard lock(mutex_);
    bool any = false;
    for (const auto& d : destinations_) any = send_bytes(*bytes, d) || any;
    return any;
}

bool Sender::send_to(const Message& message, const Endpoint& to) {
    const std::optional<std::vector<char>> bytes = encode_or_log(message);
    if (!bytes) return false;
    std::lock_guard lock(mutex_);
    return send_bytes(*bytes, to);
}

namespace {
std::vector<std::vector<char>> encode_all_or_log(const std::vector<Message>& messages) {
    std::vector<std::vector<char>> packets;
    packets.reserve(messages.size());
    for (const auto& m : messages)
        if (auto bytes = encode_or_log(m)) packets.push_back(std::move(*bytes));
    return packets;
}
}  // namespace

bool Sender::send_all(const std::vector<Message>& messages) {
    const auto packets = encode_all_or_log(messages);
    std::lock_guard lock(mutex_);  // held for the whole group: that is what keeps it together
    bool any = false;
    for (const auto& d : destinations_)
        for (const auto& p : packets) any = send_bytes(p, d) || any;
    return any;
}

bool Sender::send_all_to(const std::vector<Message>& messages, const Endpoint& to) {
    const auto packets = encode_all_or_log(messages);
    std::lock_guard lock(mutex_);
    bool any = false;
    for (const auto& p : packets) any = send_bytes(p, to) || any;
    return any;
}

// ---- Receiver ---------------------------------------------------------------------------------

Receiver::Receiver(asio::io_context& io, ReceiverOptions options, Handler handler)
    : options_(options), socket_(io), handler_(std::move(handler)), buffer_(65536), stats_(std::make_shared<ReceiverStats>()),
      alive_(std::make_shared<bool>(true)) {
    const std::string where = options.host + ":" + std::to_string(options.port);
    try {
        const Endpoint local = resolve_endpoint(options.host, options.port);
        socket_.open(local.protocol());
        socket_.bind(local);
        port_ = socket_.local_endpoint().port();
    } catch (const boost::system::system_error& e) {
        throw InputError("cannot listen on " + where + ": " + e.code().message());
    } catch (const InputError& e) {
        throw InputError("cannot listen on " + where + ": " + e.what());
    }
    set_allowlist(std::move(options.allow));
    receive();
}

Receiver::~Receiver() {
    *alive_ = false;
    close();
}

void Receiver::close() {
    boost::system::error_code ec;
    socket_.close(ec);
}

void Receiver::set_allowlist(std::vector<std::string> allow) {
    allow_.clear();
    for (const auto& a : allow) {
        boost::system::error_code ec;
        const auto address = asio::ip::make_address(a, ec);
        if (ec) log::warn("osc: allowlist entry '" + a + "' is not a numeric address; ignored");
        else allow_.push_back(address);
    }
}

bool Receiver::allowed(const Endpoint& from) const {
    const auto a = from.address();
    if (a.is_loopback()) return true;
    if (a.is_v6() && a.to_v6().is_v4_mapped() && a.to_v6().to_v4().is_loopback()) return true;
    return std::find(allow_.begin(), allow_.end(), a) != allow_.end();
}

bool Receiver::within_rate(const Endpoint& from) {
    if (options_.rate_per_s <= 0.0) return true;
    const auto now = std::chrono::steady_clock::now();
    auto it = buckets_.find(from);
    if (it == buckets_.end() && buckets_.size() >= options_.max_senders) {
        // Forget senders whose bucket has refilled (quiet for a while): they lose nothing.
        const double full_after_s = options_.burst_packets / options_.rate_per_s;
        std::erase_if(buckets_, [&](const auto& kv) {
            return std::chrono::duration<double>(now - kv.second.refilled).count() >= full_after_s;
        });
    }
    Bucket* b = nullptr;
    if (it != buckets_.end()) {
        b = &it->second;
    } else if (buckets_.size() < options_.max_senders) {
        b = &buckets_.emplace(from, Bucket{options_.burst_packets, now, {}, 0}).first->second;
    } else {
        b = &shared_bucket_;
    }
    const double elapsed_s = std::chrono::duration<double>(now - b->refilled).count();
    b->tokens = std::min(options_.burst_packets, b->tokens + elapsed_s * options_.rate_per_s);
    b->refilled = now;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return true;
    }
    ++b->dropped;
    if (now - b->last_warned >= std::chrono::seconds(10)) {  // one line per sender per 10 s, not one per packet
        b->last_warned = now;
        log::warn("osc: " + to_string(from) + " sends more than " + std::to_string(static_cast<int>(options_.rate_per_s)) +
                  " packets/s; dropping its excess (" + std::to_string(b->dropped) + " so far)");
    }
    return false;
}

void Receiver::receive() {
    socket_.async_receive_from(
        asio::buffer(buffer_), from_, [this, alive = alive_](const boost::system::error_code& ec, std::size_t n) {
            if (!*alive || ec == asio::error::operation_aborted || !socket_.is_open()) return;
            if (!ec) {
                auto& s = *stats_;
                ++s.received;
                if (!within_rate(from_)) {
                    ++s.rate_limited;
                } else if (!allowed(from_)) {
                    ++s.not_allowed;
                    log::warn("osc: dropped a packet from " + to_string(from_) + ": host not in osc.allow");
                } else {
                    try {
                        Message m = decode(buffer_.data(), n);
                        const auto* spec = protocol().find(m.address);
                        if (spec->direction != Direction::device_to_daemon) {
                            ++s.wrong_direction;
                            log::warn("osc: dropped " + m.address + " from " + to_string(from_) +
                                      ": the daemon sends it, it does not receive it");
                        } else {
                            ++s.accepted;
                            handler_(m, from_);
                        }
                    } catch (const PacketError& e) {
                        switch (e.reason) {
                            case DropReason::malformed: ++s.malformed; break;
                            case DropReason::oversized: ++s.oversized; break;
                            case DropReason::unknown_address: ++s.unknown_address; break;
                            case DropReason::wrong_types: ++s.wrong_types; break;
                            case DropReason::bad_value: ++s.bad_value; break;
                        }
                        log::warn(std::string(e.what()) + " (from " + to_string(from_) + "; dropped)");
                    } catch (const std::exception& e) {
                        // A handler failing on one request must not stop the receiver.
                        log::error("osc: handling a packet from " + to_string(from_) + " failed: " + e.what());
                    }
                }
            } else {
                log::debug("osc: receive: " + ec.message());
            }
            receive();
        });
}

}  // namespace mixscout::osc
