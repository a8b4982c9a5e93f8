#include "history/song_name.hpp"

#include <array>
#include <cctype>
#include <regex>

#include "core/error.hpp"

namespace mixscout::history {

namespace {

bool is_separator(char c) { return c == ' ' || c == '_' || c == '-' || c == '.' || c == ',' || c == '\t'; }

std::string trim_separators(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && is_separator(s[b])) ++b;
    while (e > b && is_separator(s[e - 1])) --e;
    return std::string(s.substr(b, e - b));
}

// Each suffix pattern captures, in group 1, what remains when the suffix is stripped. Group 1
// must end in a non-separator, so a whole name is never stripped away ("mix_v1" -> "mix").
const std::array<std::regex, 3>& suffix_patterns() {
    static const std::array<std::regex, 3> patterns = {
        // A bracketed or parenthesised tail: "Song (master)", "Song [mix 3]", "Song {2}".
        std::regex(R"(^(.*[^ _\-.,\t])[ _\-.,\t]*[\(\[\{][^\(\)\[\]\{\}]*[\)\]\}]$)", std::regex::icase),
        // A number, optionally tagged: "Song 2", "Song_v3", "Song take 4", "Song-rev2b",
        // dates and times piece by piece ("Song 2024-05-01" -> "Song 2024-05" -> ...). Lazy, so
        // the tag is taken with the number ("Song take 2" -> "Song", not "Song take").
        std::regex(R"(^(.*?[^ _\-.,\t])[ _\-.,\t]+(?:v|ver|version|take|mix|rev|revision|iteration|bounce|export|draft|no|nr|#)?[ _\-.#]*\d+[a-z]?$)",
                   std::regex::icase),
        // Words that describe the export, not the song: "Song_final", "Song - Master", "final2".
        std::regex(R"(^(.*[^ _\-.,\t])[ _\-.,\t]+(?:final|finale|master|mastered|premaster|mix|mixdown|bounce|bounced|export|exported|draft|wip|edit|demo|rough|version|ver|render|rendered)\d*$)",
                   std::regex::icase),
    };
    return patterns;
}

}  // namespace

std::string song_key(std::string_view name) {
    std::string key;
    bool pending_space = false;
    for (char c : name) {
        if (is_separator(c)) {
            pending_space = !key.empty();
            continue;
        }
        if (pending_space) key += ' ';
        pending_space = false;
        key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return key;
}

SongName song_from_stem(std::string_view stem) {
    std::string name = trim_separators(stem);
    for (bool changed = true; changed;) {
        changed = false;
        for (const auto& re : suffix_patterns()) {
            std::smatch m;
            if (std::regex_match(name, m, re)) {
                std::string rest = trim_separators(m[1].str());
                if (!rest.empty() && rest != name) {
                    name = std::move(rest);
                    changed = true;
                }
            }
        }
    }
    if (name.empty()) name = "untitled";
    return SongName{name, song_key(name)};
}

SongNamer::SongNamer(std::vector<RenameRule> rules) : rules_(std::move(rules)) {
    compiled_.reserve(rules_.size());
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        try {
            compiled_.emplace_back(rules_[i].pattern);
        } catch (const InputError& e) {
            throw InputError("songs.rename[" + std::to_string(i) + "].pattern: " + e.what());
        }
        if (song_key(rules_[i].song).empty())
            throw InputError("songs.rename[" + std::to_string(i) + "].song: empty song name");
    }
}

SongName SongNamer::operator()(const std::filesystem::path& path) const {
    const std::string stem = path.stem().string();
    for (std::size_t i = 0; i < rules_.size(); ++i)
        if (compiled_[i].search(stem))
            return SongName{trim_separators(rules_[i].song), song_key(rules_[i].song)};
    return song_from_stem(stem);
}

}  // namespace mixscout::history
