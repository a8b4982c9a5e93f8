// mixscout config: the YAML configuration — shipped defaults, user overlay, validation.
//
// The shipped config/mixscout.yaml is embedded into the binary at build time and is also the
// schema: every key a user may set exists in it, and its default value fixes its type
// (bool / integer / number / string / list of ...). Value ranges, enumerations and open maps are
// declared by annotations in the shipped file's trailing comments (documented at its top):
//
//     quiet_period_s: 2.0      # @range(0.1, 60)   why this value...
//     kind: premaster          # @oneof(premaster|master)
//     profiles:                # @open   (users may add keys; new entries follow the first entry's shape)
//     folders: []              # @items(string)
//     curve: modern            # @keyof(tonal.curves)   (must name an entry of that map)
//   and every key named `severity` or `*_severity` must be critical|important|polish.
//
// A user file overlays only what it changes: maps merge key by key, scalars and lists replace.
// Errors name the file, line and column (1-based, from yaml-cpp marks):
//     "my.yaml:12:5: unknown key 'treshold_db' in rules.tonal.muddy (did you mean 'threshold_db'?)"
//     "my.yaml:3:14: rules.clipping.enabled: expected a boolean (true/false), got 'maybe'"
//     "my.yaml:8:20: rules.headroom.peak_max_dbfs: 5 is out of range -60..0"
//     "my.yaml:4:1: YAML syntax error: illegal map value"
//
// Consumers read the typed config::Settings (config/settings.hpp), built once per load from the
// validated tree: cfg.settings().rules.clipping.enabled. No key is looked up by name at run time.
// yaml-cpp stays inside daemon/config/ (schema.hpp); the JSON form is in config/config_json.hpp.
//
// Threading: a Config is an immutable value (copies share the immutable parts), so any thread
// may read it; for a config shared and replaced at run time use config::Live.
#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "core/error.hpp"

namespace mixscout::config {

/// One problem found in a config file. line/column are 1-based; 0 when unknown.
struct Problem {
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;         ///< without the location prefix
    std::string to_string() const;  ///< "file:line:col: message"
};

/// A broken config: its what() is the first problem as one line "file:line:col: message";
/// problems() holds them all (`config check` prints each on its own line).
class ConfigError : public InputError {
public:
    explicit ConfigError(std::vector<Problem> problems);
    const std::vector<Problem>& problems() const { return problems_; }

private:
    std::vector<Problem> problems_;
};

struct Tree;  // the merged YAML tree (config/schema.hpp; private to config/)

class Config {
public:
    /// The shipped defaults (parsed once, then shared). Never throws in a correct build.
    static Config defaults();
    /// Defaults overlaid with user_file. Throws ConfigError (missing/unreadable file, YAML syntax,
    /// unknown key, wrong type, out of range) — nothing of a broken file is applied.
    static Config load(const std::filesystem::path& user_file);
    /// Same for YAML text held in memory; `name` is used as the file name in errors.
    static Config parse(std::string_view yaml_text, std::string_view name = "<config>");
    /// Validates user_file against the schema without throwing; empty = fine.
    static std::vector<Problem> check(const std::filesystem::path& user_file);

    /// The typed values (config/settings.hpp).
    const Settings& settings() const { return *settings_; }

    /// The user file this config was overlaid with; empty for defaults().
    const std::filesystem::path& source() const { return source_; }

    std::string to_yaml() const;  ///< the effective config as YAML (`config show`)
    /// The merged tree, for config/'s own output functions (config_json.hpp).
    const Tree& tree() const { return *tree_; }

private:
    Config() = default;
    std::shared_ptr<const Settings> settings_;
    std::shared_ptr<const Tree> tree_;
    std::filesystem::path source_;
};

/// A config shared between threads and replaced at run time (the daemon's hot reload).
/// reload() keeps the last good config when the file is broken and returns the problems.
class Live {
public:
    /// Loads path (or the defaults when path is empty). Throws ConfigError if the file is broken
    /// at start-up — the daemon refuses to start on a broken config it was explicitly given.
    explicit Live(std::filesystem::path path);
    /// The config in force: an immutable snapshot, cheap (shared_ptr copy), safe from any thread.
    std::shared_ptr<const Config> current() const;
    /// Re-reads the file. On success swaps it in and returns an empty vector; on failure keeps
    /// the last good config and returns the problems (log them / send them over OSC).
    std::vector<Problem> reload();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    mutable std::mutex mutex_;
    std::shared_ptr<const Config> current_;
};

/// The embedded shipped config/mixscout.yaml, verbatim (comments included).
std::string_view shipped_yaml();

/// Levenshtein distance (for "did you mean").
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace mixscout::config
