// mixscout: mix feedback for Ableton Live. Entry point: parses the subcommand and runs it.
#include <cstdio>
#include <exception>

#include "app/commands.hpp"
#include "app/fft_wisdom.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
    CLI::App cli{"mixscout - analyse Ableton Live exports and tell you the top three fixes"};
    cli.set_version_flag("--version", "mixscout 0.1.0");
    cli.require_subcommand(1);
    mixscout::app::Context ctx;
    mixscout::app::add_analyze_command(cli, ctx);
    mixscout::app::add_config_command(cli, ctx);
    mixscout::app::add_stems_command(cli, ctx);
    mixscout::app::add_history_commands(cli, ctx);
    mixscout::app::add_daemon_command(cli, ctx);
    mixscout::app::add_monitor_commands(cli, ctx);
    mixscout::app::add_master_command(cli, ctx);
    mixscout::app::add_tune_command(cli, ctx);
    mixscout::app::add_report_command(cli, ctx);
    // Measured FFT plans from an earlier `tune` (or the daemon's first start): a speed-up only.
    mixscout::app::load_wisdom();
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0 as CLI11 prints them; a usage error is bad input: exit 2
        // and one line (commands.hpp: the exit-code policy).
        if (e.get_exit_code() == 0) return cli.exit(e);
        std::fprintf(stderr, "mixscout: %s; see --help\n", e.what());
        return 2;
    } catch (const mixscout::InputError& e) {
        std::fprintf(stderr, "mixscout: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mixscout: internal error: %s\n", e.what());
        return 1;
    }
    return ctx.exit_code;
}
