// mixscout config internals (private to daemon/config/: the only place yaml-cpp is included).
//
// The schema is built once from the shipped config/mixscout.yaml (schema.cpp); a user file is
// validated and overlaid on the defaults against it (validate.cpp), giving the merged Tree; the
// typed Settings are built from that tree (build.cpp). config.cpp holds the public API.
#pragma once
#include <yaml-cpp/yaml.h>

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace mixscout::config {

/// The effective configuration as YAML: the shipped defaults with the user file overlaid.
struct Tree {
    YAML::Node root;
};

namespace detail {

enum class Type { null_value, boolean, integer, number, string, map, list };

std::string_view type_name(Type t);

struct Schema {
    Type type = Type::string;
    bool nullable = false;          // default was ~ with @type(...)
    std::optional<double> min, max;
    std::vector<std::string> oneof;
    std::string keyof;               // @keyof(path): the value must be a key of the map at path
    bool is_severity = false;
    bool open = false;
    bool regex_keys = false;         // @regexkeys: an open map whose keys are patterns (config/pattern.hpp)
    std::vector<std::pair<std::string, std::unique_ptr<Schema>>> children;  // maps, file order
    std::unique_ptr<Schema> item;    // lists: element schema; open maps: schema of new entries
    YAML::Node item_default;         // default value of a new list element / open-map entry

    const Schema* child(std::string_view key) const {
        for (const auto& [k, s] : children)
            if (k == key) return s.get();
        return nullptr;
    }
};

/// The shipped file, parsed once, and its schema.
struct Shipped {
    YAML::Node root;
    std::unique_ptr<Schema> schema;
};
const Shipped& shipped();

bool is_plain(const YAML::Node& n);  ///< false for a quoted scalar
const std::regex& int_re();
const std::regex& num_re();
std::optional<bool> parse_bool(const std::string& s);

/// Validates `user` against the schema and overlays it on the shipped defaults. Problems are
/// appended to `problems` (file name `file`); nullopt when there is any.
std::optional<YAML::Node> overlay(const YAML::Node& user, const std::string& file, std::vector<Problem>& problems);

/// A Problem at a yaml-cpp mark (0-based) in `file`.
Problem problem_at(const std::string& file, const YAML::Mark& mark, std::string message);

/// The typed settings of a merged tree (validated: a failure here is a programming error,
/// std::logic_error naming the key).
Settings build_settings(const YAML::Node& root);

/// Keys of root (dotted paths) that build_settings() does not read: settings.hpp lacks them.
/// Config::defaults() refuses to start with any (a key added to the shipped file only).
std::vector<std::string> unread_keys(const YAML::Node& root);

}  // namespace detail
}  // namespace mixscout::config
