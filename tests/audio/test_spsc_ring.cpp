// The SPSC ring between the audio callback and the analysis thread: two real threads, a counting
// sequence that must arrive complete and in order, whole-or-nothing writes, and no allocation on
// the producer side (counting global operator new of this test binary).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <thread>
#include <vector>

#include "audio/spsc_ring.hpp"
#include "support/allocation_count.hpp"


using mixscout::audio::SpscRing;
using mixscout::test::t_allocations;

TEST(SpscRing, CapacityIsAPowerOfTwoAtLeastAsked) {
    EXPECT_EQ(SpscRing<float>(1000).capacity(), 1024u);
    EXPECT_EQ(SpscRing<float>(1024).capacity(), 1024u);
    EXPECT_EQ(SpscRing<float>(1).capacity(), 2u);
}

TEST(SpscRing, WriteIsWholeOrNothingAndWrapsAround) {
    SpscRing<float> ring(8);
    const float a[6] = {1, 2, 3, 4, 5, 6};
    EXPECT_TRUE(ring.write(a, 6));
    EXPECT_FALSE(ring.write(a, 3));  // 2 free: nothing written
    EXPECT_EQ(ring.available(), 6u);
    float out[8] = {};
    EXPECT_EQ(ring.read(out, 4), 4u);
    EXPECT_EQ(out[0], 1.0f);
    EXPECT_EQ(out[3], 4.0f);
    EXPECT_TRUE(ring.write(a, 6));  // wraps: 2 at the end, 4 at the start
    EXPECT_EQ(ring.available(), 8u);
    EXPECT_EQ(ring.free_space(), 0u);
    EXPECT_EQ(ring.read(out, 8), 8u);
    const float expect[8] = {5, 6, 1, 2, 3, 4, 5, 6};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], expect[i]) << i;
}

// A producer thread writes 0, 1, 2, ... in chunks of random size (like audio periods), a consumer
// thread reads in chunks of other random sizes. Every value must arrive once, in order; periods
// that do not fit are dropped whole and counted, and then the sequence resumes after a gap that
// is exactly the dropped period.
TEST(SpscRing, TwoThreadsDeliverEverythingInOrderAndCountDrops) {
    constexpr std::uint32_t total = 3'000'000;
    SpscRing<std::uint32_t> ring(4096);
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> dropped_values{0}, drops{0};
    std::vector<std::pair<std::uint32_t, std::uint32_t>> dropped_ranges;  // producer-only until join
    dropped_ranges.reserve(total);
    long producer_allocs = 0;

    std::thread producer([&] {
        std::mt19937 rng(1);
        std::uniform_int_distribution<std::uint32_t> len(1, 700);
        std::uint32_t next = 0;
        std::vector<std::uint32_t> period(700);
        const long before = t_allocations;
        while (next < total) {
            const std::uint32_t n = std::min(len(rng), total - next);
            for (std::uint32_t i = 0; i < n; ++i) period[i] = next + i;
            auto w = ring.prepare_write(n);
            if (w.size() < n) {
                drops.fetch_add(1);
                dropped_values.fetch_add(n);
                dropped_ranges.emplace_back(next, n);
            } else {
                for (std::size_t i = 0; i < w.first.size(); ++i) w.first[i] = period[i];
                for (std::size_t i = 0; i < w.second.size(); ++i) w.second[i] = period[w.first.size() + i];
                ring.commit_write(n);
            }
            next += n;
        }
        producer_allocs = t_allocations - before;
        done = true;
    });

    std::vector<std::uint32_t> received;
    received.reserve(total);
    std::thread consumer([&] {
        std::mt19937 rng(2);
        std::uniform_int_distribution<std::size_t> len(1, 1500);
        std::vector<std::uint32_t> buf(1500);
        while (true) {
            const bool finished = done.load();
            const std::size_t n = ring.read(buf.data(), len(rng));
            received.insert(received.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
            if (n == 0 && finished && ring.available() == 0) break;
            if (n == 0) std::this_thread::yield();
        }
    });
    producer.join();
    consumer.join();

    EXPECT_EQ(producer_allocs, 0) << "the producer side must not allocate";
    EXPECT_EQ(received.size() + dropped_values.load(), total);
    // Rebuild the expected sequence: everything minus the dropped periods.
    std::size_t k = 0, d = 0;
    std::uint32_t v = 0;
    bool ok = true;
    while (v < total && ok) {
        if (d < dropped_ranges.size() && dropped_ranges[d].first == v) {
            v += dropped_ranges[d].second;
            ++d;
            continue;
        }
        ok = k < received.size() && received[k] == v;
        ++k;
        ++v;
    }
    EXPECT_TRUE(ok) << "value " << v - 1 << " arrived out of order or was lost";
    EXPECT_EQ(k, received.size());
}
