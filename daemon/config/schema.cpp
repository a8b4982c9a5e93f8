// mixscout config: the schema, built once from the shipped config/mixscout.yaml (its default
// values give the types, its trailing-comment annotations the constraints; documented at the top
// of config.hpp and of the shipped file).
#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "config/schema.hpp"
#include "config/shipped_yaml.hpp"

namespace mixscout::config::detail {

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

namespace {

std::optional<Type> parse_type_name(std::string_view s) {
    if (s == "string") return Type::string;
    if (s == "integer") return Type::integer;
    if (s == "number") return Type::number;
    if (s == "boolean") return Type::boolean;
    return std::nullopt;
}

}  // namespace

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


namespace {

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

/// `severity` and `*_severity` keys hold a severity (critical | important | polish), unless an
/// @oneof already lists the allowed values (stems.clash.max_severity: its own error text).
bool names_severity(std::string_view key, const Schema& s) {
    const std::string_view suffix = "_severity";
    return key == "severity" ||
           (s.oneof.empty() && key.size() > suffix.size() && key.substr(key.size() - suffix.size()) == suffix);
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
            s->item->is_severity = names_severity(key, *s->item);
        }
        return s;
    }
    s->type = infer_scalar_type(n);
    if (s->type == Type::null_value) {
        s->nullable = true;
        s->type = a.type.value_or(Type::string);
    }
    apply_scalar_constraints(*s, a);
    s->is_severity = names_severity(key, *s);
    return s;
}

}  // namespace

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

}  // namespace mixscout::config::detail
