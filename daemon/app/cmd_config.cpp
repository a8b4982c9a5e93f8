// Placeholder until its issue lands: registers the subcommand and says it is not built yet.
#include <cstdio>

#include "app/commands.hpp"

namespace mixscout::app {
void add_config_command(CLI::App& app, Context& ctx) {
    app.add_subcommand("config", "(not built yet)")->callback([&ctx] {
        std::fprintf(stderr, "mixscout: 'config' is not built yet\n");
        ctx.exit_code = 1;
    });
}
}  // namespace mixscout::app
