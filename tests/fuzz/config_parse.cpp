// Fuzz target: a user config file (YAML + the shipped schema, config/config.hpp). A ConfigError
// is the expected answer to garbage; anything else escaping, or a crash, is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mixscout;
    try {
        const auto cfg = config::Config::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
        (void)cfg.to_yaml();
    } catch (const InputError&) {
    }
    return 0;
}
