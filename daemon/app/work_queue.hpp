// mixscout app (daemon): a bounded multi-producer multi-consumer queue for the worker threads.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace mixscout::app {

template <class T>
class WorkQueue {
public:
    explicit WorkQueue(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

    /// Moves `item` in if there is room; otherwise leaves it untouched and returns false.
    /// Never blocks (the I/O thread's way in).
    bool try_push(T& item) {
        {
            std::lock_guard lock(mutex_);
            if (closed_ || items_.size() >= capacity_) return false;
            items_.push_back(std::move(item));
        }
        not_empty_.notify_one();
        return true;
    }
    /// Waits for room (shutdown's way in). False if the queue was closed.
    bool push(T item) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
        if (closed_) return false;
        items_.push_back(std::move(item));
        lock.unlock();
        not_empty_.notify_one();
        return true;
    }
    /// The next item; waits. nullopt once the queue is closed AND empty (queued work finishes).
    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        lock.unlock();
        not_full_.notify_one();
        return item;
    }
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        not_empty_.notify_all();
        not_full_.notify_all();
    }
    /// Removes the items `pred` selects (a stop abandoning what can wait); returns how many.
    template <class Pred>
    std::size_t remove_if(Pred pred) {
        std::size_t n = 0;
        {
            std::lock_guard lock(mutex_);
            const auto before = items_.size();
            std::erase_if(items_, pred);
            n = before - items_.size();
        }
        if (n) not_full_.notify_all();
        return n;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return items_.size();
    }
    std::size_t capacity() const { return capacity_; }

private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable not_empty_, not_full_;
    std::deque<T> items_;
    bool closed_ = false;
};

}  // namespace mixscout::app
