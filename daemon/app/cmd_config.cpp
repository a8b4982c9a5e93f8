// `mixscout config check FILE` and `mixscout config show [--config FILE] [--json]`.
//
// check: validates FILE against the shipped schema; prints "FILE: ok" and exits 0, or prints each
// problem as one line "file:line:col: message" on stderr and exits 2.
// show:  prints the effective configuration (defaults overlaid with FILE) as YAML, or JSON.
#include <cstdio>
#include <iostream>
#include <string>

#include "app/commands.hpp"
#include "config/config.hpp"
#include "config/config_json.hpp"

namespace mixscout::app {

void add_config_command(CLI::App& app, Context& ctx) {
    auto* config = app.add_subcommand("config", "Validate or print the YAML configuration");
    config->require_subcommand(1);

    auto* check = config->add_subcommand("check", "Validate a config file (file:line:column for each problem); exit 2 if broken");
    auto file = std::make_shared<std::string>();
    check->add_option("FILE", *file, "The config file to check")->required();
    check->callback([&ctx, file] {
        const auto problems = config::Config::check(*file);
        if (problems.empty()) {
            std::printf("%s: ok\n", file->c_str());
            ctx.exit_code = 0;
            return;
        }
        for (const auto& p : problems) std::fprintf(stderr, "mixscout: %s\n", p.to_string().c_str());
        ctx.exit_code = 2;
    });

    auto* show = config->add_subcommand("show", "Print the effective configuration (defaults overlaid with --config FILE)");
    auto show_file = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    show->add_option("--config", *show_file, "A user config file to overlay on the defaults");
    show->add_flag("--json", *as_json, "Print JSON instead of YAML");
    show->callback([&ctx, show_file, as_json] {
        // A broken file throws ConfigError (an InputError): main prints it as one line, exit 2.
        const config::Config cfg = show_file->empty() ? config::Config::defaults() : config::Config::load(*show_file);
        if (*as_json) std::cout << config::to_json(cfg).dump(2) << "\n";
        else std::cout << cfg.to_yaml();
        ctx.exit_code = 0;
    });
}

}  // namespace mixscout::app
