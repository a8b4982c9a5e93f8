#include "config/config.hpp"
#include "config/pattern.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "config/shipped_yaml.hpp"

namespace mixscout::config {
namespace {

// ---- The schema, built once from the shipped file -------------------------------------------

enum class Type { null_value, boolean, integer, number, string, map, list };

std::string_view type_name(Type t) {
    switch (t) {
        case Type::null_value: return "nothing (null)";
        case Type::boolean: return "a boolean (true/false)";
        case Type::integer: return "an integer";
        case Type::number: return "a number";
        case Type::string: return "a string";
        case Type::map: return "a map";
        case Type::list: return "a list";
    }
    return "?";
}

std::optional<Type> parse_type_name(std::string_view s) {
    if (s == "string") return Type::string;
    if (s == "integer") return Type::integer;
    if (s == "number") return Type::number;
    if (s == "boolean") return Type::boolean;
    return std::nullopt;
}

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

bool is_plain(const YAML::Node& n) { return n.Tag() != "!"; }  // "!" = quoted scalar

const std::regex& int_re() {
    static const std::regex re(R"(^[-+]?[0-9]+$)");
    return re;
}
const std::regex& num_re() {
    static const std::regex re(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
    return re;
}
std::optional<bool> parse_bool(const std::string& s) {
    std::string l = s;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (l == "true" || l == "yes" || l == "on") return true;
    if (l == "false" || l == "no" || l == "off") return false;
    return std::nullopt;
}

/// The type a default scalar declares.
Type infer_scalar_type(const YAML::Node& n) {
    if (n.IsNull()) return Type::null_value;
    const std::string& s = n.Scalar();
    if (!is_plain(n)) return Type::string;
    if (s == "true" || s == "false") return Type::boolean;
    if (std::regex_match(s, int_re())) return Type::integer;
    if (std::regex_match(s, num_re())) return Type::number;
    return Type::string;
}

/// Annotations from the trailing comment of one line of the shipped file.
struct Annotations {
    std::optional<double> min, max;
    std::vector<std::string> oneof;
    std::string keyof;
    std::optional<Type> items, type;
    bool open = false;
    bool regex_keys = false;
};

std::string comment_of(std::string_view line) {
    char quote = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
            return std::string(line.substr(i + 1));
        }
    }
    return {};
}

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

Annotations parse_annotations(std::string_view line, int line_no) {
    Annotations a;
    static const std::regex ann(R"(@(\w+)(\(([^)]*)\))?)");
    const std::string comment = comment_of(line);
    for (std::sregex_iterator it(comment.begin(), comment.end(), ann), end; it != end; ++it) {
        const std::string name = (*it)[1];
        const std::string arg = (*it)[3];
        auto bad = [&] {
            return std::logic_error("shipped config line " + std::to_string(line_no) + ": bad annotation @" + name + "(" + arg + ")");
        };
        if (name == "range") {
            const auto comma = arg.find(',');
            if (comma == std::string::npos) throw bad();
            const std::string lo = trim(arg.substr(0, comma)), hi = trim(arg.substr(comma + 1));
            if (!lo.empty()) a.min = std::stod(lo);
            if (!hi.empty()) a.max = std::stod(hi);
        } else if (name == "oneof") {
            std::stringstream ss(arg);
            for (std::string v; std::getline(ss, v, '|');) a.oneof.push_back(trim(v));
        } else if (name == "keyof") {
            a.keyof = trim(arg);
            if (a.keyof.empty()) throw bad();
        } else if (name == "items") {
            a.items = parse_type_name(trim(arg));
            if (!a.items) throw bad();
        } else if (name == "type") {
            a.type = parse_type_name(trim(arg));
            if (!a.type) throw bad();
        } else if (name == "open") {
            a.open = true;
        } else if (name == "regexkeys") {
            a.regex_keys = true;
        }
        // Other @words in prose are ignored.
    }
    return a;
}

void apply_scalar_constraints(Schema& s, const Annotations& a) {
    s.min = a.min;
    s.max = a.max;
    s.oneof = a.oneof;
    s.keyof = a.keyof;
}

std::unique_ptr<Schema> build_schema(const YAML::Node& n, const Annotations& a, std::string_view key,
                                     const std::vector<std::string>& lines);

std::unique_ptr<Schema> build_map_schema(const YAML::Node& n, const Annotations& a, const std::vector<std::string>& lines) {
    auto s = std::make_unique<Schema>();
    s->type = Type::map;
    s->open = a.open;
    s->regex_keys = a.regex_keys;
    for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string key = it->first.Scalar();
        const int line = it->first.Mark().line;
        const Annotations ca = line >= 0 && static_cast<std::size_t>(line) < lines.size()
                                   ? parse_annotations(lines[static_cast<std::size_t>(line)], line + 1)
                                   : Annotations{};
        s->children.emplace_back(key, build_schema(it->second, ca, key, lines));
    }
    if (s->open) {
        if (!s->children.empty()) {
            // New entries take the first entry's shape and defaults.
            const YAML::Node first = n.begin()->second;
            const int line = n.begin()->first.Mark().line;
            s->item = build_schema(first, parse_annotations(lines[static_cast<std::size_t>(line)], line + 1),
                                   n.begin()->first.Scalar(), lines);
            s->item_default = YAML::Clone(first);
        } else {
            s->item = std::make_unique<Schema>();
            s->item->type = a.items.value_or(Type::string);
            apply_scalar_constraints(*s->item, a);
        }
    }
    return s;
}

std::unique_ptr<Schema> build_schema(const YAML::Node& n, const Annotations& a, std::string_view key,
                                     const std::vector<std::string>& lines) {
    if (n.IsMap()) return build_map_schema(n, a, lines);
    auto s = std::make_unique<Schema>();
    if (n.IsSequence()) {
        s->type = Type::list;
        if (n.size() > 0 && n[0].IsMap()) {
            s->item = build_map_schema(n[0], Annotations{}, lines);
            s->item_default = YAML::Clone(n[0]);
        } else {
            s->item = std::make_unique<Schema>();
            s->item->type = n.size() > 0 ? infer_scalar_type(n[0]) : a.items.value_or(Type::string);
            if (s->item->type == Type::integer && a.items == Type::number) s->item->type = Type::number;
            apply_scalar_constraints(*s->item, a);
            s->item->is_severity = key == "severity";
        }
        return s;
    }
    s->type = infer_scalar_type(n);
    if (s->type == Type::null_value) {
        s->nullable = true;
        s->type = a.type.value_or(Type::string);
    }
    apply_scalar_constraints(*s, a);
    s->is_severity = key == "severity";
    return s;
}

struct Shipped {
    YAML::Node root;
    std::unique_ptr<Schema> schema;
};

const Shipped& shipped() {
    static const Shipped s = [] {
        Shipped out;
        const std::string text(generated::shipped_yaml);
        out.root = YAML::Load(text);  // a syntax error here is a build bug: let it throw
        std::vector<std::string> lines;
        std::stringstream ss(text);
        for (std::string l; std::getline(ss, l);) lines.push_back(l);
        out.schema = build_map_schema(out.root, Annotations{}, lines);
        return out;
    }();
    return s;
}

// ---- Validation and overlay -----------------------------------------------------------------

struct Ctx {
    std::string file;
    std::vector<Problem> problems;
    struct KeyRef {  // a @keyof value, resolved once the whole file is merged
        std::string path, value, map_path;
        YAML::Mark mark;
    };
    std::vector<KeyRef> key_refs;
    void add(const YAML::Mark& m, std::string message) {
        Problem p;
        p.file = file;
        if (!m.is_null()) {
            p.line = m.line + 1;
            p.column = m.column + 1;
        }
        p.message = std::move(message);
        problems.push_back(std::move(p));
    }
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
            const double v = std::stod(text);
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

// ---- JSON ----------------------------------------------------------------------------------

nlohmann::json to_json_node(const Schema& s, const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return nullptr;
    switch (s.type) {
        case Type::map: {
            nlohmann::json j = nlohmann::json::object();
            for (auto it = n.begin(); it != n.end(); ++it) {
                const std::string key = it->first.Scalar();
                const Schema* cs = s.child(key);
                if (!cs) cs = s.item.get();
                if (cs) j[key] = to_json_node(*cs, it->second);
            }
            return j;
        }
        case Type::list: {
            nlohmann::json j = nlohmann::json::array();
            for (std::size_t i = 0; i < n.size(); ++i) j.push_back(to_json_node(*s.item, n[i]));
            return j;
        }
        case Type::boolean: return n.as<bool>();
        case Type::integer: return n.as<long long>();
        case Type::number: return n.as<double>();
        default: return n.Scalar();
    }
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

// ---- Problem / ConfigError ------------------------------------------------------------------

std::string Problem::to_string() const {
    std::string s = file;
    if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
    return s + ": " + message;
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

Config::Config(const Config& other) : root_(YAML::Clone(other.root_)), source_(other.source_) {}

Config& Config::operator=(const Config& other) {
    if (this != &other) {
        root_.reset(YAML::Clone(other.root_));  // reset, never operator=: that would write into the old tree
        source_ = other.source_;
    }
    return *this;
}

Config::Config(Config&& other) noexcept : source_(std::move(other.source_)) {
    root_.reset(other.root_);
    other.root_.reset(YAML::Node());
}

Config& Config::operator=(Config&& other) noexcept {
    if (this != &other) {
        root_.reset(other.root_);
        other.root_.reset(YAML::Node());
        source_ = std::move(other.source_);
    }
    return *this;
}

Config Config::defaults() {
    Config c;
    c.root_.reset(YAML::Clone(shipped().root));
    return c;
}

Config Config::parse(std::string_view yaml_text, std::string_view name) {
    Ctx ctx{std::string(name), {}};
    YAML::Node user;
    try {
        user = YAML::Load(std::string(yaml_text));
    } catch (const YAML::ParserException& e) {
        ctx.add(e.mark, "YAML syntax error: " + e.msg);
        throw ConfigError(std::move(ctx.problems));
    }
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
    if (!merged || !ctx.problems.empty()) throw ConfigError(std::move(ctx.problems));
    Config c;
    c.root_.reset(*merged);
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

YAML::Node Config::node(std::string_view dotted_path) const {
    YAML::Node n = find(root_, dotted_path);
    if (!n.IsDefined()) throw std::logic_error("config: no key '" + std::string(dotted_path) + "' (not in config/mixscout.yaml?)");
    return YAML::Clone(n);
}

bool Config::has(std::string_view dotted_path) const { return find(root_, dotted_path).IsDefined(); }

std::vector<std::string> Config::keys(std::string_view dotted_path) const {
    const YAML::Node n = find(root_, dotted_path);
    if (!n.IsDefined()) throw std::logic_error("config: no key '" + std::string(dotted_path) + "'");
    std::vector<std::string> out;
    if (n.IsMap())
        for (auto it = n.begin(); it != n.end(); ++it) out.push_back(it->first.Scalar());
    return out;
}

YAML::Node Config::lookup(std::string_view dotted_path) const {
    YAML::Node n = find(root_, dotted_path);
    if (!n.IsDefined()) throw std::logic_error("config: no key '" + std::string(dotted_path) + "' (not in config/mixscout.yaml?)");
    return n;
}

nlohmann::json Config::to_json() const { return to_json_node(*shipped().schema, root_); }

std::string Config::to_yaml() const {
    YAML::Emitter out;
    out << root_;
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
