// `mixscout master MIX --reference REF [REF...] -o OUT.wav [options] [--json]`: master a mix
// against reference tracks (see master/master.hpp for what is done and why).
//
// Defaults come from the `master` section of the config (--config FILE, else the shipped one);
// options on the command line win. A progress bar goes to stderr when it is a terminal; the
// report (a summary, or --json) goes to stdout once the file is written. The written master is
// then judged like any export (rules, under the delivery profile `master.profile`), and issues
// the mix did not have under that profile are marked new. Exit 0 on success, 2 on bad input
// (main prints "mixscout: <message>").
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis_json.hpp"
#include "app/commands.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "master/master.hpp"
#include "rules/issue.hpp"
#include "rules/rules.hpp"

namespace mixscout::app {
namespace {

struct MasterArgs {
    std::string mix;
    std::vector<std::string> references;
    std::string output;
    std::optional<double> target_lufs, ceiling_dbtp, amount;
    std::vector<std::string> match;
    std::optional<int> bits;
    std::string config_file;
    bool json = false;
    bool quiet = false;
    bool ab = false;
};

master::MasterOptions options_from(const config::Config& cfg, const MasterArgs& a) {
    master::MasterOptions o;
    const config::Master& m = cfg.settings().master;
    if (m.target_lufs)
        o.target_lufs = m.target_lufs;
    o.ceiling_dbtp = m.ceiling_dbtp;
    o.amount_percent = m.amount;
    o.bits = m.bits;
    o.smoothing_octaves = m.eq.smoothing_octaves;
    o.max_boost_db = m.eq.max_boost_db;
    o.max_cut_db = m.eq.max_cut_db;
    o.loudest_fraction = m.eq.loudest_fraction;
    o.min_duration_s = m.min_duration_s;
    o.limiter.lookahead_ms = m.limiter.lookahead_ms;
    o.limiter.release_fast_ms = m.limiter.release_fast_ms;
    o.limiter.release_slow_ms = m.limiter.release_slow_ms;
    o.limiter.sustain_ms = m.limiter.sustain_ms;
    o.limiter.margin_db = m.limiter.margin_db;
    o.compressor.enabled = m.compressor.enabled;
    o.compressor.ratio = m.compressor.ratio;
    o.compressor.attack_ms = m.compressor.attack_ms;
    o.compressor.release_ms = m.compressor.release_ms;
    o.compressor.knee_db = m.compressor.knee_db;
    o.compressor.threshold_db = m.compressor.threshold_db;
    o.compressor.max_gain_reduction_db = m.compressor.max_gain_reduction_db;
    o.compressor.engage_above_limiting_db = m.compressor.engage_above_limiting_db;
    o.guards.max_limiter_peak_db = m.guards.max_limiter_peak_db;
    o.guards.max_limiter_mean_db = m.guards.max_limiter_mean_db;
    o.guards.max_lra_loss_lu = m.guards.max_lra_loss_lu;
    o.guards.max_side_gain_db = m.guards.max_side_gain_db;
    o.guards.mono_below_hz = m.guards.mono_below_hz;
    o.guards.max_correlation_drop = m.guards.max_correlation_drop;
    o.guards.max_mono_loss_increase_db = m.guards.max_mono_loss_increase_db;
    o.write_ab = a.ab;
    o.ab_block_s = m.ab_block_s;
    std::vector<std::string> match = a.match.empty() ? m.match : a.match;

    if (a.target_lufs) o.target_lufs = a.target_lufs;
    if (a.ceiling_dbtp) o.ceiling_dbtp = *a.ceiling_dbtp;
    if (a.amount) o.amount_percent = *a.amount;
    if (a.bits) o.bits = *a.bits;
    o.match_loudness = o.match_eq = o.match_width = false;
    for (const auto& what : match) {
        if (what == "loudness") o.match_loudness = true;
        else if (what == "eq") o.match_eq = true;
        else if (what == "width") o.match_width = true;
        else throw InputError("--match: unknown '" + what + "' (use loudness, eq, width, comma-separated)");
    }
    if (match.empty()) throw InputError("--match: name at least one of loudness, eq, width");
    return o;
}

/// "[########..........]  42% rendering" redrawn in place on stderr.
class ProgressBar {
public:
    explicit ProgressBar(bool enabled) : enabled_(enabled) {}
    ~ProgressBar() { finish(); }
    void update(double percent, std::string_view stage) {
        if (!enabled_) return;
        constexpr int width = 30;
        const int filled = static_cast<int>(percent / 100.0 * width + 0.5);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(width, '.');
        std::fprintf(stderr, "\r[%s] %3d%% %-10.*s", bar.c_str(), static_cast<int>(percent), static_cast<int>(stage.size()),
                     stage.data());
        std::fflush(stderr);
        drawn_ = true;
    }
    void finish() {
        if (drawn_) std::fputc('\n', stderr);
        drawn_ = false;
    }

private:
    bool enabled_;
    bool drawn_ = false;
};

}  // namespace

void add_master_command(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<MasterArgs>();
    auto* cmd = app.add_subcommand("master", "Master a mix against reference tracks (loudness, tonal balance, width, true-peak limiting)");
    cmd->add_option("mix", args->mix, "The mix to master (stereo WAV/AIFF/FLAC/...)")->required();
    cmd->add_option("-r,--reference", args->references, "Reference track(s) in the target sound; several are averaged")
        ->required()
        ->expected(1, -1);
    cmd->add_option("-o,--output", args->output, "Output file (.wav, .flac or .aiff)")->required();
    cmd->add_option("--target-lufs", args->target_lufs, "Integrated loudness of the output (default: the references')");
    cmd->add_option("--ceiling-dbtp", args->ceiling_dbtp, "True-peak ceiling, dBTP (default -1)");
    cmd->add_option("--amount", args->amount, "How much of the EQ and width match to apply, 0-100 (default 100)");
    cmd->add_option("--match", args->match, "What to match: any of loudness,eq,width (default all)")->delimiter(',');
    cmd->add_option("--bits", args->bits, "Output bit depth: 16 (TPDF dither), 24, 32 (float); default 24");
    cmd->add_option("--config", args->config_file, "Config file (its `master` section sets the defaults)");
    cmd->add_flag("--ab", args->ab, "Also write OUT.ab.wav: mix and master alternating every 4 s at equal loudness");
    cmd->add_flag("--json", args->json, "Print the report as JSON");
    cmd->add_flag("-q,--quiet", args->quiet, "No progress bar");
    cmd->callback([args, &ctx] {
        const config::Config cfg = args->config_file.empty() ? config::Config::defaults() : config::Config::load(args->config_file);
        const master::MasterOptions options = options_from(cfg, *args);
        const auto judge_profile = cfg.settings().master.profile;
        rules::check_profile(cfg, judge_profile);
        std::vector<std::filesystem::path> refs(args->references.begin(), args->references.end());
        ProgressBar bar(!args->quiet && ::isatty(STDERR_FILENO));
        const master::MasterReport report =
            master::master_file(args->mix, refs, args->output, options,
                                [&bar](double percent, std::string_view stage) { bar.update(percent, stage); });
        bar.finish();
        // The master judged like any export; "new" = a rule the mix did not trip under the same profile.
        const std::vector<rules::Issue> after = rules::evaluate(report.output_analysis, cfg, judge_profile);
        const std::vector<rules::Issue> before = rules::evaluate(report.mix_analysis, cfg, judge_profile);
        auto is_new = [&](const rules::Issue& i) {
            return std::none_of(before.begin(), before.end(), [&](const rules::Issue& b) { return b.rule == i.rule; });
        };
        if (args->json) {
            nlohmann::json j = master::to_json(report);
            nlohmann::json issues = nlohmann::json::array();
            for (const auto& i : after) {
                nlohmann::json ij = rules::to_json(i);
                ij["new"] = is_new(i);
                issues.push_back(std::move(ij));
            }
            j["analysis"] = {{"profile", judge_profile}, {"issues", issues}};
            std::printf("%s\n", json_text(j, 2).c_str());
        } else {
            std::string s = master::summary(report);
            s += "the master as an export (profile " + judge_profile + "): " +
                 (after.empty() ? std::string("no issues") : std::to_string(after.size()) + " issue(s)") + "\n";
            int pos = 0;
            for (const auto& i : after) s += (is_new(i) ? "  NEW " : "      ") + rules::summary_line(i, ++pos) + "\n";
            std::printf("%s", s.c_str());
        }
        ctx.exit_code = 0;
    });
}

}  // namespace mixscout::app
