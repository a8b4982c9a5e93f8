// mixscout app (daemon): which jobs are running, one entry per job.
//
// Each worker holds a RunningJobs::Ticket for the job it runs; the ticket leaves when the job
// ends, however it ends (result, error, exception). The heartbeat's state is read from the
// tickets, so two master jobs at once stay "mastering" until the second one finishes (a single
// shared flag was cleared by whichever finished first). Thread-safe.
#pragma once
#include <array>
#include <cstddef>
#include <mutex>

#include "app/daemon.hpp"

namespace mixscout::app {

class RunningJobs {
public:
    class Ticket {
    public:
        Ticket(RunningJobs& jobs, Job::Kind kind) : jobs_(&jobs), kind_(kind) { jobs_->add(kind_, +1); }
        ~Ticket() {
            if (jobs_) jobs_->add(kind_, -1);
        }
        Ticket(Ticket&& other) noexcept : jobs_(other.jobs_), kind_(other.kind_) { other.jobs_ = nullptr; }
        Ticket(const Ticket&) = delete;
        Ticket& operator=(const Ticket&) = delete;
        Ticket& operator=(Ticket&&) = delete;

    private:
        RunningJobs* jobs_;
        Job::Kind kind_;
    };

    /// Registers a running job until the ticket is destroyed.
    Ticket begin(Job::Kind kind) { return Ticket(*this, kind); }
    /// How many jobs of `kind` run now.
    std::size_t running(Job::Kind kind) const {
        std::lock_guard lock(mutex_);
        return counts_[static_cast<std::size_t>(kind)];
    }
    /// How many jobs of any kind run now.
    std::size_t running() const {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (const auto c : counts_) n += c;
        return n;
    }

private:
    void add(Job::Kind kind, int delta) {
        std::lock_guard lock(mutex_);
        auto& c = counts_[static_cast<std::size_t>(kind)];
        c = static_cast<std::size_t>(static_cast<long long>(c) + delta);
    }
    static constexpr std::size_t kKinds = static_cast<std::size_t>(Job::Kind::master) + 1;
    mutable std::mutex mutex_;
    std::array<std::size_t, kKinds> counts_{};
};

}  // namespace mixscout::app
