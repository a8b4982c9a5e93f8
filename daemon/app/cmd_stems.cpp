// `mixscout stems DIR|FILES... [--json] [--config FILE]`: frequency clashes between the stems of
// a mix (Live's "All Individual Tracks" export), which stem should yield, and per-stem checks.
//
// Exit code: 0 nothing found, 1 issues found or a stem could not be read (listed, the others are
// analysed), 2 bad input (no readable stem, broken config).
// --decode-only decodes the stems and nothing else (the benchmark's baseline, scripts/bench-stems);
// --band-method filter_bank swaps the FFT band-energy kernel for the IIR filter bank (benchmark).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis_json.hpp"
#include "app/commands.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "rules/rules.hpp"
#include "stems/stems.hpp"

namespace mixscout::app {
namespace {

struct StemsArgs {
    std::vector<std::string> inputs;
    std::string config_file;
    bool json = false;
    bool decode_only = false;
    std::string band_method = "fft";
    int threads = -1;  // -1: from the config
    std::string fail_on;  // --fail-on LEVEL
};

void run_stems(const StemsArgs& args, Context& ctx) {
    const config::Config cfg = args.config_file.empty() ? config::Config::defaults() : config::Config::load(args.config_file);
    stems::StemsOptions options = stems::options_from_config(cfg);
    if (args.threads >= 0) options.threads = args.threads;
    if (args.band_method == "filter_bank") options.bands.method = dsp::BandMethod::filter_bank;

    std::vector<std::filesystem::path> inputs(args.inputs.begin(), args.inputs.end());
    std::vector<std::string> warnings;
    const std::vector<std::filesystem::path> files = stems::collect_stem_files(inputs, &warnings);
    if (files.empty()) throw InputError("no audio files in " + args.inputs.front());

    if (args.decode_only) {
        const auto t0 = std::chrono::steady_clock::now();
        const std::int64_t frames = stems::decode_only(files, options.threads);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("decoded %zu files, %lld frames in %.2f s\n", files.size(), static_cast<long long>(frames), s);
        ctx.exit_code = 0;
        return;
    }

    stems::StemsReport report = stems::analyze_stems(files, options);
    report.warnings.insert(report.warnings.begin(), warnings.begin(), warnings.end());
    // The exit-code policy (commands.hpp): an unreadable stem is bad input (2, the rest analysed);
    // findings are not failures unless --fail-on asks.
    ctx.exit_code = !report.errors.empty() ? 2 : fail_on_exit_code(report.issues, args.fail_on);
    if (args.json) {
        std::cout << json_text(stems::to_json(report), 2) << "\n";
        return;
    }
    for (const auto& w : report.warnings) std::fprintf(stderr, "mixscout: warning: %s\n", w.c_str());
    for (const auto& e : report.errors) std::fprintf(stderr, "mixscout: %s (skipped)\n", e.message.c_str());
    std::printf("%zu stems:\n", report.stems.size());
    for (const auto& s : report.stems)
        std::printf("  %-24s %-6s (%s)  %6.1f LUFS  peak %6.1f dBFS%s\n", s.name.c_str(), s.role.c_str(), s.role_source.c_str(),
                    s.integrated_lufs, s.sample_peak_dbfs, s.percussive ? "  percussive" : "");
    if (report.issues.empty()) {
        std::printf("No clashes between the stems, nothing to fix.\n");
        return;
    }
    std::printf("\n%zu clash%s, %zu issue%s:\n", report.clashes.size(), report.clashes.size() == 1 ? "" : "es",
                report.issues.size(), report.issues.size() == 1 ? "" : "s");
    int n = 0;
    for (const auto& issue : report.issues) {
        std::printf("%s\n", rules::summary_line(issue, ++n).c_str());
        std::printf("     %s\n", issue.detail.c_str());
    }
}

}  // namespace

void add_stems_command(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<StemsArgs>();
    auto* cmd = app.add_subcommand("stems", "Find frequency clashes between stems (Live's \"All Individual Tracks\" export)");
    cmd->add_option("STEMS", args->inputs, "A folder of stems, or the stem files")->required();
    cmd->add_option("--config", args->config_file, "A user config file (the stems section: roles, thresholds)");
    cmd->add_flag("--json", args->json, "Print the report as JSON");
    cmd->add_option("--threads", args->threads, "Decode threads (default: stems.threads; 0 = one per core)");
    cmd->add_flag("--decode-only", args->decode_only, "Only decode the stems (benchmark baseline)");
    cmd->add_option("--band-method", args->band_method, "Band-energy kernel (benchmark)")->check(CLI::IsMember({"fft", "filter_bank"}));
    cmd->add_option("--fail-on", args->fail_on, "Exit 1 when an issue this severe or worse is found (for scripts)")
        ->check(CLI::IsMember({"critical", "important", "polish"}));
    cmd->callback([&ctx, args] { run_stems(*args, ctx); });
}

}  // namespace mixscout::app
