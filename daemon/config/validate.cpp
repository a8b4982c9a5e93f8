// mixscout config: validation of a user file against the schema, and its overlay on the shipped
// defaults (maps merge key by key, scalars and lists replace). Every problem is collected, each
// with the file's line and column, so `config check` can print them all.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>

#include "config/pattern.hpp"
#include "config/schema.hpp"

namespace mixscout::config::detail {
namespace {

struct Ctx {
    std::string file;
    std::vector<Problem> problems;
    struct KeyRef {  // a @keyof value, resolved once the whole file is merged
        std::string path, value, map_path;
        YAML::Mark mark;
    };
    std::vector<KeyRef> key_refs;
    void add(const YAML::Mark& m, std::string message) { problems.push_back(problem_at(file, m, std::move(message))); }
};

std::string join_path(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string format_number(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

std::string describe(const YAML::Node& n) {
    if (n.IsMap()) return "a map";
    if (n.IsSequence()) return "a list";
    if (n.IsNull()) return "nothing (null)";
    return "'" + n.Scalar() + "'";
}

std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = std::string::npos;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    return best_d <= limit ? best : std::string{};
}

/// Checks a scalar against its schema; on success returns the node to store (a fresh copy).
std::optional<YAML::Node> check_scalar(const Schema& s, const YAML::Node& u, const std::string& path, Ctx& ctx) {
    const std::string where = path + ": ";
    if (!u.IsScalar() && !u.IsNull()) {
        ctx.add(u.Mark(), where + "expected " + std::string(type_name(s.type)) + ", got " + describe(u));
        return std::nullopt;
    }
    if (u.IsNull()) {
        if (s.nullable) return YAML::Node(YAML::NodeType::Null);
        ctx.add(u.Mark(), where + "expected " + std::string(type_name(s.type)) + ", got nothing (null)");
        return std::nullopt;
    }
    const std::string& text = u.Scalar();
    const bool plain = is_plain(u);
    switch (s.type) {
        case Type::boolean:
            if (!plain || !parse_bool(text)) {
                ctx.add(u.Mark(), where + "expected a boolean (true/false), got " + describe(u));
                return std::nullopt;
            }
            return YAML::Node(*parse_bool(text));
        case Type::integer:
        case Type::number: {
            const bool ok = plain && std::regex_match(text, s.type == Type::integer ? int_re() : num_re());
            if (!ok) {
                ctx.add(u.Mark(), where + "expected " + std::string(type_name(s.type)) + ", got " + describe(u));
                return std::nullopt;
            }
            // strtod, not stod: a number beyond double's range ("1e999") is the user's error, said
            // by position like any other, not an exception. So is one too small to hold exactly
            // ("1e-999"): yaml-cpp's reading of it later differs by standard library (libstdc++
            // gives 0, libc++ refuses it).
            errno = 0;
            const double v = std::strtod(text.c_str(), nullptr);
            if (errno == ERANGE) {
                ctx.add(u.Mark(), where + text + (std::isinf(v) ? " is too large for a number" : " is too small for a number (write 0)"));
                return std::nullopt;
            }
            // Integers are read as C++ int (settings.hpp): a wider one is refused here, by position.
            if (s.type == Type::integer && (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())) {
                ctx.add(u.Mark(), where + text + " is too large for an integer");
                return std::nullopt;
            }
            if ((s.min && v < *s.min) || (s.max && v > *s.max)) {
                std::string range;
                if (s.min && s.max) range = "out of range " + format_number(*s.min) + ".." + format_number(*s.max);
                else if (s.min) range = "below the minimum " + format_number(*s.min);
                else range = "above the maximum " + format_number(*s.max);
                ctx.add(u.Mark(), where + text + " is " + range);
                return std::nullopt;
            }
            return YAML::Clone(u);
        }
        case Type::string:
        default: {
            if (s.is_severity && text != "critical" && text != "important" && text != "polish") {
                const std::string hint = nearest(text, {"critical", "important", "polish"});
                ctx.add(u.Mark(), where + "'" + text + "' is not a severity (critical, important, polish)" +
                                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
                return std::nullopt;
            }
            if (!s.oneof.empty() && std::find(s.oneof.begin(), s.oneof.end(), text) == s.oneof.end()) {
                std::string list;
                for (const auto& o : s.oneof) list += (list.empty() ? "" : ", ") + o;
                const std::string hint = nearest(text, s.oneof);
                ctx.add(u.Mark(), where + "'" + text + "' is not one of " + list +
                                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
                return std::nullopt;
            }
            if (!s.keyof.empty()) ctx.key_refs.push_back({path, text, s.keyof, u.Mark()});
            YAML::Node out(text);
            return out;
        }
    }
}

std::optional<YAML::Node> merge(const Schema& s, const YAML::Node& def, const YAML::Node& u, const std::string& path, Ctx& ctx);

std::optional<YAML::Node> merge_map(const Schema& s, const YAML::Node& def, const YAML::Node& u, const std::string& path, Ctx& ctx) {
    YAML::Node out = def.IsDefined() && def.IsMap() ? YAML::Clone(def) : YAML::Node(YAML::NodeType::Map);
    if (u.IsNull()) return out;  // "watch:" with everything commented out: no change
    if (!u.IsMap()) {
        ctx.add(u.Mark(), (path.empty() ? std::string("the top level") : path) + ": expected a map of keys, got " + describe(u));
        return std::nullopt;
    }
    bool ok = true;
    std::map<std::string, int> seen;  // key -> line (1-based)
    for (auto it = u.begin(); it != u.end(); ++it) {
        const YAML::Node k = it->first;  // a copy: it-> yields a temporary proxy
        if (!k.IsScalar()) {
            ctx.add(k.Mark(), (path.empty() ? std::string("top level") : path) + ": keys must be plain words");
            ok = false;
            continue;
        }
        const std::string key = k.Scalar();
        const std::string child_path = join_path(path, key);
        if (auto [pos, inserted] = seen.emplace(key, k.Mark().line + 1); !inserted) {
            ctx.add(k.Mark(), "duplicate key '" + key + "' (first at line " + std::to_string(pos->second) + ")");
            ok = false;
            continue;
        }
        if (s.regex_keys) {
            if (const std::string why = Pattern::error_of(key); !why.empty()) {
                ctx.add(k.Mark(), child_path + ": '" + key + "' is not a valid regular expression (" + why + ")");
                ok = false;
                continue;
            }
        }
        const Schema* cs = s.child(key);
        YAML::Node cdef;
        if (cs) {
            cdef.reset(static_cast<const YAML::Node&>(def)[key]);
        } else if (s.open && s.item) {
            cs = s.item.get();
            cdef.reset(s.item_default);
        } else {
            std::vector<std::string> names;
            for (const auto& [n, _] : s.children) names.push_back(n);
            const std::string hint = nearest(key, names);
            ctx.add(k.Mark(), "unknown key '" + key + "'" + (path.empty() ? std::string(" at the top level") : " in " + path) +
                                  (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
            ok = false;
            continue;
        }
        auto merged = merge(*cs, cdef, it->second, child_path, ctx);
        if (!merged) {
            ok = false;
            continue;
        }
        out[key] = *merged;
    }
    if (!ok) return std::nullopt;
    return out;
}

std::optional<YAML::Node> merge(const Schema& s, const YAML::Node& def, const YAML::Node& u, const std::string& path, Ctx& ctx) {
    if (s.type == Type::map) return merge_map(s, def, u, path, ctx);
    if (s.type == Type::list) {
        if (!u.IsSequence()) {
            ctx.add(u.Mark(), path + ": expected a list, got " + describe(u));
            return std::nullopt;
        }
        YAML::Node out(YAML::NodeType::Sequence);
        bool ok = true;
        for (std::size_t i = 0; i < u.size(); ++i) {
            auto item = merge(*s.item, s.item_default, u[i], path + "[" + std::to_string(i) + "]", ctx);
            if (item) out.push_back(*item);
            else ok = false;
        }
        if (!ok) return std::nullopt;
        return out;
    }
    return check_scalar(s, u, path, ctx);
}


std::vector<std::string> split_path(std::string_view dotted) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= dotted.size()) {
        const auto dot = dotted.find('.', start);
        parts.emplace_back(dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return parts;
}

/// Handle to the node at dotted_path, or an undefined node.
YAML::Node find(const YAML::Node& root, std::string_view dotted) {
    YAML::Node cur;
    cur.reset(root);
    if (dotted.empty()) return cur;
    for (const auto& part : split_path(dotted)) {
        if (!cur.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
        const YAML::Node& ccur = cur;
        const YAML::Node next = ccur[part];
        if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
        cur.reset(next);
    }
    return cur;
}


}  // namespace

Problem problem_at(const std::string& file, const YAML::Mark& mark, std::string message) {
    Problem p;
    p.file = file;
    if (!mark.is_null()) {
        p.line = mark.line + 1;
        p.column = mark.column + 1;
    }
    p.message = std::move(message);
    return p;
}

std::optional<YAML::Node> overlay(const YAML::Node& user, const std::string& file, std::vector<Problem>& problems) {
    Ctx ctx{file, {}, {}};
    const Shipped& sh = shipped();
    auto merged = merge_map(*sh.schema, sh.root, user, "", ctx);
    if (merged) {
        // @keyof: checked against the merged tree, so a user may name an entry the same file adds.
        for (const auto& ref : ctx.key_refs) {
            const YAML::Node map = find(*merged, ref.map_path);
            std::vector<std::string> names;
            if (map.IsMap())
                for (auto it = map.begin(); it != map.end(); ++it) names.push_back(it->first.Scalar());
            if (std::find(names.begin(), names.end(), ref.value) != names.end()) continue;
            std::string list;
            for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
            const std::string hint = nearest(ref.value, names);
            ctx.add(ref.mark, ref.path + ": '" + ref.value + "' is not one of " + ref.map_path + " (" + list + ")" +
                                  (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        }
    }
    for (auto& p : ctx.problems) problems.push_back(std::move(p));
    if (!merged || !problems.empty()) return std::nullopt;
    return merged;
}

}  // namespace mixscout::config::detail
