// Placeholder until its issue lands: registers the subcommand and says it is not built yet.
#include <cstdio>

#include "app/commands.hpp"

namespace mixscout::app {
void add_monitor_commands(CLI::App& app, Context& ctx) {
    app.add_subcommand("monitor", "(not built yet)")->callback([&ctx] {
        std::fprintf(stderr, "mixscout: 'monitor' is not built yet\n");
        ctx.exit_code = 1;
    });
}
}  // namespace mixscout::app
