// Placeholder until its issue lands: registers the subcommand and says it is not built yet.
#include <cstdio>

#include "app/commands.hpp"

namespace mixscout::app {
void add_history_commands(CLI::App& app, Context& ctx) {
    app.add_subcommand("history", "(not built yet)")->callback([&ctx] {
        std::fprintf(stderr, "mixscout: 'history' is not built yet\n");
        ctx.exit_code = 1;
    });
}
}  // namespace mixscout::app
