// `mixscout tune`: measure FFT plans once and keep them (see app/fft_wisdom.hpp).
#include <cstdio>

#include "app/commands.hpp"
#include "app/fft_wisdom.hpp"

namespace mixscout::app {

void add_tune_command(CLI::App& app, Context& ctx) {
    struct Args {
        std::string file;
        bool quiet = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("tune", "Measure the fastest FFT plans for this machine and save them (once; the daemon does it on first start)");
    cmd->add_option("--file", args->file, "Wisdom file (default: " + default_wisdom_file().string() + ")");
    cmd->add_flag("-q,--quiet", args->quiet, "Print nothing on success");
    cmd->callback([args, &ctx] {
        const std::filesystem::path file = args->file.empty() ? default_wisdom_file() : std::filesystem::path(args->file);
        try {
            const double s = tune_and_save(file);
            if (!args->quiet) std::printf("FFT plans measured in %.1f s and saved to %s\n", s, file.string().c_str());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "mixscout: %s\n", e.what());
            ctx.exit_code = 1;
        }
    });
}

}  // namespace mixscout::app
