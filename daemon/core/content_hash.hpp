// mixscout core: the content hash that identifies an export's bytes in the history
// ("fnv1a64:<16 hex>", FNV-1a 64-bit), computed incrementally so a reader can hash what it reads.
#pragma once
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

namespace mixscout {

class ContentHash {
public:
    void update(std::span<const char> bytes) {
        for (const char c : bytes) {
            state_ ^= static_cast<unsigned char>(c);
            state_ *= 0x100000001b3ULL;  // FNV-1a 64 prime
        }
        bytes_ += bytes.size();
    }
    std::uint64_t bytes() const { return bytes_; }
    /// "fnv1a64:<16 hex>" of everything given so far.
    std::string text() const {
        char out[32];
        std::snprintf(out, sizeof out, "fnv1a64:%016llx", static_cast<unsigned long long>(state_));
        return out;
    }

private:
    std::uint64_t state_ = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
    std::uint64_t bytes_ = 0;
};

}  // namespace mixscout
