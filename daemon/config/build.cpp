// mixscout config: the typed Settings (settings.hpp) from a validated, merged tree. Each struct's
// fields() names its keys; this file only knows how to read each C++ type. The tree has passed
// the schema, so a missing key or a wrong type here is a mismatch between settings.hpp and the
// shipped file: std::logic_error naming the key (the config tests build the defaults).
#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "config/schema.hpp"

namespace mixscout::config::detail {
namespace {

template <class T>
concept HasFields = requires(T& t) { t.fields([](const char*, auto&) {}); };

[[noreturn]] void mismatch(const std::string& path, const std::string& why) {
    throw std::logic_error("config: " + path + ": " + why + " (config/settings.hpp and config/mixscout.yaml disagree)");
}

template <class T>
void read(const YAML::Node& n, const std::string& path, T& out);

/// Paths read by the current build_settings() call (thread-local: builds may run in parallel).
thread_local std::vector<std::string>* t_read_paths = nullptr;

template <class T>
T scalar(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) mismatch(path, "not a scalar");
    try {
        return n.as<T>();
    } catch (const YAML::Exception& e) {
        mismatch(path, e.what());
    }
}

void read_severity(const YAML::Node& n, const std::string& path, Severity& out) {
    const std::string s = scalar<std::string>(n, path);
    if (s == "critical") out = Severity::critical;
    else if (s == "important") out = Severity::important;
    else if (s == "polish") out = Severity::polish;
    else mismatch(path, "'" + s + "' is not a severity");
}

template <class T>
void read_ordered(const YAML::Node& n, const std::string& path, Ordered<T>& out) {
    if (!n.IsMap()) mismatch(path, "not a map");
    for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string key = it->first.Scalar();
        T value{};
        read(it->second, path + "." + key, value);
        out.entries.emplace_back(key, std::move(value));
    }
}

template <class T>
void read_struct(const YAML::Node& n, const std::string& path, T& out) {
    if (!n.IsMap()) mismatch(path, "not a map");
    out.fields([&](const char* key, auto& field) {
        const std::string child = path.empty() ? std::string(key) : path + "." + key;
        const YAML::Node c = n[key];
        using F = std::remove_cvref_t<decltype(field)>;
        if constexpr (std::is_same_v<F, std::optional<double>>) {
            // Absent (acoustic_threshold_db of most tonal regions) or null (master.target_lufs).
            if (t_read_paths && c.IsDefined()) t_read_paths->push_back(child);
            if (c.IsDefined() && !c.IsNull()) field = scalar<double>(c, child);
            else field.reset();
        } else if constexpr (std::is_same_v<F, std::optional<Severity>>) {
            // Absent in most tonal regions (acoustic_severity: dark only).
            if (t_read_paths && c.IsDefined()) t_read_paths->push_back(child);
            if (c.IsDefined() && !c.IsNull()) {
                Severity sev{};
                read_severity(c, child, sev);
                field = sev;
            } else {
                field.reset();
            }
        } else {
            if (!c.IsDefined()) mismatch(child, "missing");
            read(c, child, field);
        }
    });
}

template <class T>
void read(const YAML::Node& n, const std::string& path, T& out) {
    if (t_read_paths) t_read_paths->push_back(path);
    if constexpr (std::is_same_v<T, Severity>) {
        read_severity(n, path, out);
    } else if constexpr (std::is_same_v<T, ProfileKind>) {
        const std::string s = scalar<std::string>(n, path);
        if (s == "premaster") out = ProfileKind::premaster;
        else if (s == "master") out = ProfileKind::master;
        else mismatch(path, "'" + s + "' is not a profile kind");
    } else if constexpr (std::is_same_v<T, CurveChoice>) {
        const std::string s = scalar<std::string>(n, path);
        if (s == "auto") out = CurveChoice::automatic;
        else if (s == "fixed") out = CurveChoice::fixed;
        else mismatch(path, "'" + s + "' is not auto or fixed");
    } else if constexpr (HasFields<T>) {
        read_struct(n, path, out);
    } else if constexpr (requires { out.entries; }) {
        read_ordered(n, path, out);
    } else if constexpr (std::is_same_v<T, std::string>) {
        out = n.IsNull() ? std::string() : scalar<std::string>(n, path);
    } else if constexpr (requires { out.push_back(out.front()); }) {
        if (!n.IsSequence()) mismatch(path, "not a list");
        out.clear();
        for (std::size_t i = 0; i < n.size(); ++i) {
            typename T::value_type v{};
            read(n[i], path + "[" + std::to_string(i) + "]", v);
            out.push_back(std::move(v));
        }
    } else {
        out = scalar<T>(n, path);
    }
}

}  // namespace

Settings build_settings(const YAML::Node& root) {
    Settings s;
    read_struct(root, "", s);
    return s;
}

namespace {
void map_paths(const YAML::Node& n, const std::string& path, std::vector<std::string>& out) {
    if (!n.IsMap()) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string child = path.empty() ? it->first.Scalar() : path + "." + it->first.Scalar();
        out.push_back(child);
        map_paths(it->second, child, out);
    }
}
}  // namespace

std::vector<std::string> unread_keys(const YAML::Node& root) {
    std::vector<std::string> read_paths;
    t_read_paths = &read_paths;
    try {
        (void)build_settings(root);
    } catch (...) {
        t_read_paths = nullptr;
        throw;
    }
    t_read_paths = nullptr;
    std::vector<std::string> all, unread;
    map_paths(root, "", all);
    for (const auto& p : all)
        if (std::find(read_paths.begin(), read_paths.end(), p) == read_paths.end()) unread.push_back(p);
    return unread;
}

}  // namespace mixscout::config::detail
