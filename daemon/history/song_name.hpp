// mixscout history: which song an export belongs to, from its file name.
//
// Users and Live name iterations of one song in many ways; all of these are the song "Song":
//   "Song_v1", "Song v2", "Song-V3", "Song 2", "Song_final", "Song (master)", "Song - Master",
//   "Song 2024-05-01", "Song_20240501_1432", "Song [mix 3]", "Song_final_final2", "song".
// The rule: strip, repeatedly from the end of the file stem, version tags (v1, ver 2, take 3,
// mix 4, rev 5), bare numbers, dates and times, bracketed/parenthesised suffixes, and words like
// final/master/mix/mixdown/bounce/export/draft/new/old/wip/edit/demo/rough/premaster, together
// with the separators (space _ - . ,) before them. What remains is the song name, compared
// case-insensitively (the key is lower-case, inner separators collapsed to one space).
// If everything would be stripped ("mix_v1"), the stripped words are kept: the song is "mix".
//
// Config: songs.rename is a list of {pattern, song}: the first regex that matches anywhere in the
// file stem (RE2 syntax, case-insensitive, linear time: config/pattern.hpp) names the song, before
// the rule above.
//
// Pure functions; thread-safe. Cost: microseconds per name.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/pattern.hpp"

namespace mixscout::history {

struct RenameRule {
    std::string pattern;  ///< RE2 regex searched in the file stem, case-insensitive
    std::string song;     ///< the song name to use when it matches
};

struct SongName {
    std::string display;  ///< as written in the first export's name, e.g. "My Song"
    std::string key;      ///< case-folded, separators collapsed: "my song" (the identity)
};

/// The song name recognised from a file stem (no folder, no extension) by the rule above.
SongName song_from_stem(std::string_view stem);

/// Applies the rename rules, then song_from_stem, to the stem of `path`.
class SongNamer {
public:
    /// Throws InputError("songs.rename[i].pattern: <regex error>") on a bad pattern.
    explicit SongNamer(std::vector<RenameRule> rules = {});
    SongName operator()(const std::filesystem::path& path) const;

private:
    std::vector<RenameRule> rules_;
    std::vector<config::Pattern> compiled_;
};

/// Normalises a user-given song name ("--song 'My Song'") to its key.
std::string song_key(std::string_view name);

}  // namespace mixscout::history
