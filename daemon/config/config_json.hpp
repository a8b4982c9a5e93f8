// mixscout config: the effective configuration as JSON (`mixscout config show --json`), typed by
// the schema (numbers stay numbers, null stays null). Its own header so config.hpp does not pull
// nlohmann-json into every consumer.
#pragma once
#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace mixscout::config {

nlohmann::json to_json(const Config& cfg);

}  // namespace mixscout::config
