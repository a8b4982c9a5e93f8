// Test support: counts C++ allocations per thread, by replacing the global operator new of the
// test binary. Include it in exactly one file per test binary (it defines the replacement).
//
//   const long before = mixscout::test::t_allocations;  ... code under test, this thread ...
//   EXPECT_EQ(mixscout::test::t_allocations - before, 0);
//
// Per thread, because other threads (a consumer's start-up, libjack's notification thread) may
// allocate while the thread under test must not.
#pragma once
#include <cstdlib>
#include <new>

namespace mixscout::test {
inline thread_local long t_allocations = 0;
}  // namespace mixscout::test

// GCC 12 at -O1 takes the free() below for a mismatch with this malloc-based operator new
// (-Wmismatched-new-delete); the pair is matched by construction.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
    ++mixscout::test::t_allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
