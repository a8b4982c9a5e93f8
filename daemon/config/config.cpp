// mixscout config: the public API (config.hpp) over the schema (schema.cpp), the validation
// (validate.cpp) and the typed build (build.cpp).
#include "config/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "config/schema.hpp"
#include "config/shipped_yaml.hpp"

namespace mixscout::config {

// ---- Problem / ConfigError ------------------------------------------------------------------

std::string Problem::to_string() const {
    std::string s = file;
    if (line > 0) {
        s += ':';
        s += std::to_string(line);
        s += ':';
        s += std::to_string(column);
    }
    s += ": ";
    s += message;
    return s;
}

namespace {
std::string first_line(const std::vector<Problem>& problems) {
    if (problems.empty()) return "config error";
    std::string s = problems.front().to_string();
    if (problems.size() > 1) s += " (and " + std::to_string(problems.size() - 1) + " more)";
    return s;
}
}  // namespace

ConfigError::ConfigError(std::vector<Problem> problems) : InputError(first_line(problems)), problems_(std::move(problems)) {}

// ---- Config ---------------------------------------------------------------------------------

std::string_view shipped_yaml() { return generated::shipped_yaml; }

Config Config::defaults() {
    static const Config shipped_defaults = [] {
        Config c;
        c.tree_ = std::make_shared<const Tree>(Tree{YAML::Clone(detail::shipped().root)});
        if (const auto unread = detail::unread_keys(c.tree_->root); !unread.empty())
            throw std::logic_error("config: config/settings.hpp does not read " + unread.front() + " (of config/mixscout.yaml)");
        c.settings_ = std::make_shared<const Settings>(detail::build_settings(c.tree_->root));
        return c;
    }();
    return shipped_defaults;
}

Config Config::parse(std::string_view yaml_text, std::string_view name) {
    std::vector<Problem> problems;
    YAML::Node user;
    try {
        user = YAML::Load(std::string(yaml_text));
    } catch (const YAML::ParserException& e) {
        problems.push_back(detail::problem_at(std::string(name), e.mark, "YAML syntax error: " + e.msg));
        throw ConfigError(std::move(problems));
    }
    auto merged = detail::overlay(user, std::string(name), problems);
    if (!merged) throw ConfigError(std::move(problems));
    Config c;
    c.tree_ = std::make_shared<const Tree>(Tree{*merged});
    c.settings_ = std::make_shared<const Settings>(detail::build_settings(c.tree_->root));
    return c;
}

namespace {
std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        Problem p;
        p.file = path.string();
        p.message = std::string("cannot read config file: ") + std::strerror(errno);
        throw ConfigError({p});
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

Config Config::load(const std::filesystem::path& user_file) {
    if (std::filesystem::is_directory(user_file)) {
        Problem p;
        p.file = user_file.string();
        p.message = "cannot read config file: it is a directory";
        throw ConfigError({p});
    }
    Config c = parse(read_file(user_file), user_file.string());
    c.source_ = user_file;
    return c;
}

std::vector<Problem> Config::check(const std::filesystem::path& user_file) {
    try {
        (void)load(user_file);
    } catch (const ConfigError& e) {
        return e.problems();
    }
    return {};
}

std::string Config::to_yaml() const {
    YAML::Emitter out;
    out << tree_->root;
    return std::string(out.c_str()) + "\n";
}

// ---- Live ------------------------------------------------------------------------------------

Live::Live(std::filesystem::path path) : path_(std::move(path)) {
    current_ = std::make_shared<const Config>(path_.empty() ? Config::defaults() : Config::load(path_));
}

std::shared_ptr<const Config> Live::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

std::vector<Problem> Live::reload() {
    if (path_.empty()) return {};
    try {
        auto next = std::make_shared<const Config>(Config::load(path_));
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
        return {};
    } catch (const ConfigError& e) {
        return e.problems();
    }
}

// ---- edit distance ---------------------------------------------------------------------------

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

}  // namespace mixscout::config
