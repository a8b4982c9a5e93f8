#include "stems/naming.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <regex>

namespace mixscout::stems {
namespace {

// "<n>-<rest>" with optional spaces around the dash; rest must start with a visible character.
const std::regex& numbered() {
    static const std::regex re(R"(^(\d+)\s*-\s*(\S.*)$)");
    return re;
}

std::string trim(std::string s) {
    const auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

/// Positions p where stem[p..] is "<n>-<rest>" and p starts a word.
std::vector<std::size_t> number_positions(const std::string& stem) {
    std::vector<std::size_t> out;
    for (std::size_t p = 0; p < stem.size(); ++p) {
        if (p > 0 && stem[p - 1] != ' ') continue;
        if (!std::isdigit(static_cast<unsigned char>(stem[p]))) continue;
        if (std::regex_match(stem.substr(p), numbered())) out.push_back(p);
    }
    return out;
}

std::string after_number(const std::string& stem, std::size_t p) {
    std::smatch m;
    const std::string rest = stem.substr(p);
    std::regex_match(rest, m, numbered());
    return trim(m[2].str());
}

}  // namespace

std::string track_name(const std::filesystem::path& file) {
    const std::string stem = file.stem().string();
    const std::vector<std::size_t> at = number_positions(stem);
    if (at.empty()) return trim(stem).empty() ? stem : trim(stem);
    // "<n>-..." at the start, else the first " <n>-" (a set name may hold digits, but not "<n>-").
    return after_number(stem, at.front());
}

std::vector<std::string> track_names(const std::vector<std::filesystem::path>& files) {
    std::vector<std::string> names;
    std::vector<std::string> stems;
    for (const auto& f : files) stems.push_back(f.stem().string());

    // The set name: the longest prefix that every file has right before a track number.
    std::optional<std::string> set_prefix;
    if (files.size() >= 2) {
        std::map<std::string, std::size_t> seen;  // prefix -> files having it
        for (const std::string& s : stems) {
            std::vector<std::string> mine;
            for (std::size_t p : number_positions(s)) mine.push_back(s.substr(0, p));
            std::sort(mine.begin(), mine.end());
            mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
            for (const std::string& p : mine) ++seen[p];
        }
        for (const auto& [prefix, count] : seen)
            if (count == files.size() && (!set_prefix || prefix.size() > set_prefix->size())) set_prefix = prefix;
    }
    for (std::size_t i = 0; i < files.size(); ++i)
        names.push_back(set_prefix ? after_number(stems[i], set_prefix->size()) : track_name(files[i]));

    // Unique names: rule ids and the report refer to stems by name.
    std::map<std::string, int> count;
    for (std::string& n : names) {
        const int k = ++count[n];
        if (k > 1) n += " (" + std::to_string(k) + ")";
    }
    return names;
}

bool is_mix_name(std::string_view name) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower == "master" || lower == "main";
}

bool is_mix_file(const std::filesystem::path& file) {
    const std::string stem = file.stem().string();
    if (is_mix_name(track_name(file))) return true;
    if (!number_positions(stem).empty()) return false;
    const std::size_t space = stem.find_last_of(' ');
    return space != std::string::npos && is_mix_name(std::string_view(stem).substr(space + 1));
}

std::string slug(std::string_view name) {
    std::string out;
    for (char c : name) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (std::isalnum(u)) out += static_cast<char>(std::tolower(u));
        else if (!out.empty() && out.back() != '_') out += '_';
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out.empty() ? "stem" : out;
}

}  // namespace mixscout::stems
