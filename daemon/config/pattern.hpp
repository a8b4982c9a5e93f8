// mixscout config: the regular expressions users write in the config (songs.rename). RE2 syntax,
// case-insensitive, matched in time linear in the text: RE2 does not backtrack, so a pattern such
// as "(a|aa)+$" cannot hang the daemon on a long file name (std::regex took over a minute). The
// schema checks every pattern with error_of() (`@regexkeys`), so start-up, `config check` and the
// daemon's hot reload refuse the same patterns.
#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace mixscout::config {

class Pattern {
public:
    /// Throws InputError("'<pattern>' is not a valid regular expression (<why>)").
    explicit Pattern(const std::string& pattern);
    /// Whether the pattern matches anywhere in text.
    bool search(std::string_view text) const;
    /// "" when pattern compiles, else why not (one line).
    static std::string error_of(const std::string& pattern);

private:
    std::shared_ptr<const re2::RE2> re_;
};

}  // namespace mixscout::config
