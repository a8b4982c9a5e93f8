// mixscout review: Live's export naming — which song an export belongs to, which version it is,
// and whether it is a mix, a master or a stem. The one place these names are interpreted (the
// store, the daemon's watcher batching and `mixscout stems` ask here or in stems/naming.hpp).
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
// Checkpoint names: a description after a version tag is the checkpoint's, not the song's:
//   "mix_v2_clipping_fixed" -> "mix" (version 2), "Song v3 - lowend" -> "Song" (3),
//   "Song 2024-05-01 take 3 (wider)" -> "Song" (3). Tags: v, ver, version, take, rev, revision,
//   iteration, mix (followed by a number).
// Version: the number of the first version tag, else a trailing bare number of 1-3 digits that
// is not part of a date ("Song 3" -> 3); none otherwise. History orders a song's iterations by it.
// Role: a master when the stripped words include master/mastered ("Song master", "Song
// (mastered)", "Song - Master") — except Live's "<Set> Master.wav" written beside a stems run,
// which the daemon files as the mix — and "premaster" is a mix; a stem when named like Live's
// "All Individual Tracks" ("<Set> <n>-<Track>", "<n>-<Track>") and not Live's own mix file.
//
// Config: songs.rename is a list of {pattern, song}: the first regex that matches anywhere in the
// file stem (RE2 syntax, case-insensitive, linear time: config/pattern.hpp) names the song, before
// the rule above.
//
// Pure functions; thread-safe. Cost: microseconds per name.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/pattern.hpp"

namespace mixscout::review {

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

enum class Role { mix, master, stem };
std::string_view to_string(Role role);   ///< "mix" | "master" | "stem"

/// Everything a file name says about an export.
struct ExportName {
    SongName song;
    std::optional<int> version;   ///< see "Version" above
    Role role = Role::mix;
};

/// The rule above applied to a file stem.
ExportName classify_stem(std::string_view stem);

/// Live's individual-track names ("<set> <n>-<track>", "<n>-<track>"), not Live's mix file.
bool looks_like_stem(const std::filesystem::path& file);

/// Applies the rename rules, then song_from_stem, to the stem of `path`.
class SongNamer {
public:
    /// Throws InputError("songs.rename[i].pattern: <regex error>") on a bad pattern.
    explicit SongNamer(std::vector<RenameRule> rules = {});
    SongName operator()(const std::filesystem::path& path) const;
    /// The whole classification, with the rename rules deciding the song.
    ExportName classify(const std::filesystem::path& path) const;

private:
    std::vector<RenameRule> rules_;
    std::vector<config::Pattern> compiled_;
};

/// Normalises a user-given song name ("--song 'My Song'") to its key.
std::string song_key(std::string_view name);

}  // namespace mixscout::review
