#include "config/config_json.hpp"

#include "config/schema.hpp"

namespace mixscout::config {
namespace {

using detail::Schema;
using detail::Type;


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


}  // namespace

nlohmann::json to_json(const Config& cfg) { return to_json_node(*detail::shipped().schema, cfg.tree().root); }

}  // namespace mixscout::config
