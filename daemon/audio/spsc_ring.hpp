// mixscout audio: a lock-free single-producer single-consumer ring of samples, for live capture.
//
// The audio callback (producer) and the analysis thread (consumer) share it without locks:
//   producer:  auto w = ring.prepare_write(n);  copy into w.first / w.second;  ring.commit_write(n);
//   consumer:  auto r = ring.prepare_read(max); use r.first / r.second;       ring.commit_read(r.size());
// prepare_* return at most two contiguous spans (the second when the data wraps around the end).
//
// Real-time contract (producer side): prepare_write, commit_write, write and free_space do no
// allocation, take no lock, make no system call and never wait: two atomic loads/stores and
// index arithmetic. All memory is allocated in the constructor. The capacity is rounded up to a
// power of two so indices wrap with a mask.
//
// Threading: exactly one producer thread and one consumer thread (they may be the same thread).
// Indices are 64-bit counters that never wrap in practice (at 384 kHz x 8 channels: 190 000 years).
// Acquire/release ordering: a commit publishes the copied samples to the other side.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace mixscout::audio {

template <class T>
class SpscRing {
public:
    /// Two spans; size() = first.size() + second.size().
    struct Spans {
        std::span<T> first, second;
        std::size_t size() const { return first.size() + second.size(); }
    };

    /// Holds at least `min_capacity` elements (rounded up to a power of two, minimum 2).
    explicit SpscRing(std::size_t min_capacity) : buffer_(round_up(min_capacity)), mask_(buffer_.size() - 1) {}
    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    std::size_t capacity() const { return buffer_.size(); }

    // ---- producer ---------------------------------------------------------------------------
    std::size_t free_space() const {
        return capacity() - static_cast<std::size_t>(head_.load(std::memory_order_relaxed) -
                                                     tail_.load(std::memory_order_acquire));
    }
    /// Room for up to n elements (fewer if the ring is fuller). Write into it, then commit_write.
    Spans prepare_write(std::size_t n) {
        const std::uint64_t head = head_.load(std::memory_order_relaxed);
        const std::size_t room = capacity() - static_cast<std::size_t>(head - tail_.load(std::memory_order_acquire));
        return spans_at(head, n < room ? n : room);
    }
    /// Publishes n elements written into the spans of the last prepare_write (n <= their size).
    void commit_write(std::size_t n) { head_.store(head_.load(std::memory_order_relaxed) + n, std::memory_order_release); }
    /// All n elements or nothing (-> false): keeps multi-channel frames whole.
    bool write(const T* data, std::size_t n) {
        Spans w = prepare_write(n);
        if (w.size() < n) return false;
        std::memcpy(w.first.data(), data, w.first.size() * sizeof(T));
        std::memcpy(w.second.data(), data + w.first.size(), w.second.size() * sizeof(T));
        commit_write(n);
        return true;
    }

    // ---- consumer ---------------------------------------------------------------------------
    std::size_t available() const {
        return static_cast<std::size_t>(head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_relaxed));
    }
    /// Up to max elements ready to read; commit_read(k) releases the first k of them.
    Spans prepare_read(std::size_t max) {
        const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
        const std::size_t ready = static_cast<std::size_t>(head_.load(std::memory_order_acquire) - tail);
        return spans_at(tail, max < ready ? max : ready);
    }
    void commit_read(std::size_t n) { tail_.store(tail_.load(std::memory_order_relaxed) + n, std::memory_order_release); }
    /// Copies up to max elements into out; returns how many.
    std::size_t read(T* out, std::size_t max) {
        Spans r = prepare_read(max);
        std::memcpy(out, r.first.data(), r.first.size() * sizeof(T));
        std::memcpy(out + r.first.size(), r.second.data(), r.second.size() * sizeof(T));
        commit_read(r.size());
        return r.size();
    }

    /// Empties the ring. Only while the producer is not running (e.g. between streams).
    void reset() {
        head_.store(0, std::memory_order_relaxed);
        tail_.store(0, std::memory_order_relaxed);
    }

private:
    static std::size_t round_up(std::size_t n) {
        std::size_t c = 2;
        while (c < n) c <<= 1;
        return c;
    }
    Spans spans_at(std::uint64_t index, std::size_t n) {
        const std::size_t start = static_cast<std::size_t>(index) & mask_;
        const std::size_t first = n < capacity() - start ? n : capacity() - start;
        return {std::span<T>(buffer_.data() + start, first), std::span<T>(buffer_.data(), n - first)};
    }

    std::vector<T> buffer_;
    std::size_t mask_;
    // On separate cache lines: the producer writes head_, the consumer tail_.
    alignas(64) std::atomic<std::uint64_t> head_{0};
    alignas(64) std::atomic<std::uint64_t> tail_{0};
};

}  // namespace mixscout::audio
