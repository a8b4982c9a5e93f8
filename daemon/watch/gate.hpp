// mixscout watch (internal): the stability gate both backends feed. See watcher.hpp.
#pragma once
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "watch/watcher.hpp"

namespace mixscout::watch::detail {

class StabilityGate {
public:
    StabilityGate(boost::asio::io_context& io, const Options& options, Watcher::OnReady on_ready)
        : io_(io), give_up_s_(options.give_up_s), unsized_quiet_s_(options.unsized_quiet_s), on_ready_(std::move(on_ready)), on_give_up_(options.on_give_up) {}
    ~StabilityGate() { stop(); }
    StabilityGate(const StabilityGate&) = delete;
    StabilityGate& operator=(const StabilityGate&) = delete;
    /// The file changed (or may have): it must now stay unchanged for delay_s and then have a
    /// complete header before it is reported.
    void touch(const std::filesystem::path& path, double delay_s);
    /// Restarts the quiet period of a file already waiting (a write seen); no-op otherwise.
    void touch_if_pending(const std::filesystem::path& path);
    std::size_t pending() const { return pending_.size(); }
    void stop();

private:
    struct Pending {
        explicit Pending(boost::asio::io_context& io) : timer(io) {}
        FileState last;
        std::chrono::steady_clock::time_point last_change;
        double delay_s = 0.0;
        std::uint64_t generation = 0;
        boost::asio::steady_timer timer;
    };
    void arm(const std::filesystem::path& path, Pending& p);
    void fire(const std::filesystem::path& path, std::uint64_t generation);

    boost::asio::io_context& io_;
    double give_up_s_;
    double unsized_quiet_s_;
    Watcher::OnReady on_ready_;
    std::function<void(const std::filesystem::path&, const std::string&)> on_give_up_;
    std::map<std::filesystem::path, std::unique_ptr<Pending>> pending_;
    std::uint64_t next_generation_ = 1;
    bool stopped_ = false;
    // Completion handlers already queued when the gate goes away must not touch it.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mixscout::watch::detail
