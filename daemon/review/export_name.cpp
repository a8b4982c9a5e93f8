#include "review/export_name.hpp"

#include <array>
#include <cctype>
#include <regex>

#include "core/error.hpp"
#include "stems/naming.hpp"

namespace mixscout::review {

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

// A version tag with its number, not at the very start: "_v2", " take 3", "-rev4b". Group 1: the
// number. What follows it (a separator, a bracket, or the end) may be a checkpoint description.
const std::regex& version_tag() {
    static const std::regex re(
        R"([ _\-.,\t](?:v|ver|version|take|rev|revision|iteration|mix)[ _\-.#]*(\d+)[a-z]?(?=[ _\-.,\t\(\[\{]|$))",
        std::regex::icase);
    return re;
}

// "Song 3", "Song_12b": a bare trailing number of 1-3 digits (4+ digits are years, dates, times).
const std::regex& bare_version() {
    static const std::regex re(R"(^(.*?)[ _\-.,\t]+(\d{1,3})[a-z]?$)", std::regex::icase);
    return re;
}

const std::regex& date_tail() {
    static const std::regex re(R"(\d{4}[ _\-.]\d{1,2}[ _\-.]\d{1,2}$)");
    return re;
}

const std::regex& master_word() {
    static const std::regex re(R"((^|[^a-z])(master|mastered)([^a-z]|$))", std::regex::icase);
    return re;
}

std::string strip_brackets(std::string name) {
    std::smatch m;
    while (std::regex_match(name, m, suffix_patterns()[0])) {
        std::string rest = trim_separators(m[1].str());
        if (rest.empty() || rest == name) break;
        name = std::move(rest);
    }
    return name;
}

}  // namespace

std::string_view to_string(Role role) {
    switch (role) {
        case Role::mix: return "mix";
        case Role::master: return "master";
        case Role::stem: return "stem";
    }
    return "mix";
}

ExportName classify_stem(std::string_view stem_in) {
    ExportName out;
    const std::string whole = trim_separators(stem_in);
    std::string name = whole;
    std::smatch m;
    if (std::regex_search(name, m, version_tag())) {
        out.version = std::stoi(m[1].str().substr(0, 9));
        name = name.substr(0, static_cast<std::size_t>(m.position(0) + m.length(0)));  // drop the description
    } else {
        const std::string bare = strip_brackets(name);
        if (std::regex_match(bare, m, bare_version()) && !std::regex_search(bare, date_tail()))
            out.version = std::stoi(m[2].str());
    }
    out.song = song_from_stem(name);
    // What the song name leaves over ("v3 - master", "(mastered)") says whether this is a master.
    const std::string tail = whole.size() > out.song.display.size() && whole.compare(0, out.song.display.size(), out.song.display) == 0
                                 ? whole.substr(out.song.display.size())
                                 : whole;
    if (std::regex_search(tail, master_word())) out.role = Role::master;
    return out;
}

bool looks_like_stem(const std::filesystem::path& file) {
    // "<set> <n>-<track>" or "<n>-<track>": Live's "All Individual Tracks" naming (stems/naming.hpp).
    static const std::regex numbered(R"((^|.*\s)\d+-\S.*)");
    return std::regex_match(file.stem().string(), numbered) && !stems::is_mix_file(file);
}

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
    // A checkpoint's description after its version tag is not part of the song's name.
    if (std::smatch m; std::regex_search(name, m, version_tag()))
        name = name.substr(0, static_cast<std::size_t>(m.position(0) + m.length(0)));
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

ExportName SongNamer::classify(const std::filesystem::path& path) const {
    ExportName out = classify_stem(path.stem().string());
    out.song = (*this)(path);
    if (looks_like_stem(path)) out.role = Role::stem;
    return out;
}

SongName SongNamer::operator()(const std::filesystem::path& path) const {
    const std::string stem = path.stem().string();
    for (std::size_t i = 0; i < rules_.size(); ++i)
        if (compiled_[i].search(stem))
            return SongName{trim_separators(rules_[i].song), song_key(rules_[i].song)};
    return song_from_stem(stem);
}

}  // namespace mixscout::review
