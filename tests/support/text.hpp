// Test support: the small text and file helpers many tests share.
#pragma once
#include <filesystem>
#include <fstream>
#include <string>

namespace mixscout::test {

/// Writes `text` to `p` as is (binary: no newline translation), replacing the file.
inline void write_text(const std::filesystem::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

/// Whether `part` occurs in `s`.
inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace mixscout::test
