// `mixscout analyze FILE [--json]`: one file -> its measurements, as JSON or a terminal summary.
//
// Bad input (missing, unreadable, truncated, > 2 channels...) is an InputError thrown out of the
// callback: main prints the one line "mixscout: <file>: <what is wrong>" and exits 2. The JSON is
// built completely before anything is printed, so stdout never holds a partial object.
//
// Extension points (other subcommand features add themselves here with small edits):
//   [options]  add CLI options to AnalyzeArgs and register them in add_analyze_command
//   [report]   add keys to the JSON report in build_report (issues/top, comparison, stems)
//   [summary]  add lines to the terminal summary in print_summary
#include <fcntl.h>
#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis_json.hpp"
#include "analysis/analyzer.hpp"
#include "app/analyze_args.hpp"
#include "app/commands.hpp"
#include "app/report_writer.hpp"
#include "config/config.hpp"
#include "core/units.hpp"
#include "history/pipeline.hpp"
#include "review/review.hpp"
#include "rules/clip_moments.hpp"
#include "rules/rules.hpp"
#include "stems/stems.hpp"

namespace mixscout::app {
namespace {


nlohmann::json build_report(const analysis::Analysis& a, const AnalyzeArgs& args) {
    nlohmann::json report = analysis::to_json(a);
    report["profile"] = args.profile;
    // Named: a range-for over .items() of a temporary would iterate a destroyed object.
    const nlohmann::json issues_report = rules::issues_json(args.issues, args.top_n);
    for (const auto& [key, value] : issues_report.items()) report[key] = value;  // issues[], top[]
    nlohmann::json next = nlohmann::json::array();  // the next fixes: tiers and focus (review/focus.hpp)
    for (const auto& i : args.next) next.push_back(rules::to_json(i));
    report["next"] = next;
    // [report] rules helper: report["issues"], report["top"]; history helper: store the export and
    // add report["comparison"]; stems helper: report["stems"] when --stems DIR is given.
    if (args.material) report["material"] = rules::to_json(*args.material);
    if (args.stems_report) report["stems"] = stems::to_json(*args.stems_report);
    if (args.history_result) {
        report["history"] = history::to_json(args.history_result->record);
        report["comparison"] = review::to_json(args.history_result->comparison);
    }
    return report;
}

// "1:23.45"
std::string clock(double seconds) {
    const int minutes = static_cast<int>(seconds / 60.0);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%d:%05.2f", minutes, seconds - 60.0 * minutes);
    return buf;
}

// Nominal ISO name of a band: "31.5", "63", "125", ..., "1k", "16k".
std::string band_label(double lo_hz, double hi_hz) {
    const double fc = std::sqrt(lo_hz * hi_hz);
    static constexpr double nominal[] = {20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800,
                                         1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000};
    double best = nominal[0];
    for (double n : nominal)
        if (std::fabs(std::log2(n / fc)) < std::fabs(std::log2(best / fc))) best = n;
    char buf[16];
    if (best >= 1000.0)
        std::snprintf(buf, sizeof buf, "%gk", best / 1000.0);
    else
        std::snprintf(buf, sizeof buf, "%g", best);
    return buf;
}

void print_summary(const analysis::Analysis& a, const AnalyzeArgs& args, std::FILE* out) {
    const auto& f = a.format;
    std::string depth = f.bit_depth > 0 ? std::to_string(f.bit_depth) + "-bit "
                        : f.encoding == f.container ? std::string()  // "mp3 stereo MP3" says it twice
                                                    : f.encoding + " ";
    std::string container = f.container;
    std::transform(container.begin(), container.end(), container.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    std::fprintf(out, "%s\n", a.path.c_str());
    std::fprintf(out, "  Format     %d Hz, %s%s %s, %s\n", f.sample_rate, depth.c_str(), f.channels == 1 ? "mono" : "stereo",
                 container.c_str(), clock(f.duration_s).c_str());
    const auto& l = a.loudness;
    std::fprintf(out, "  Loudness   %.1f LUFS integrated, LRA %.1f LU, max short-term %.1f, max momentary %.1f LUFS\n",
                 l.integrated_lufs, l.lra_lu, l.short_term_max_lufs, l.momentary_max_lufs);
    std::fprintf(out, "  Peaks      true peak %+.1f dBTP, sample peak %+.1f dBFS\n", a.peak.true_peak_dbtp, a.peak.sample_peak_dbfs);

    int full = 0, overs = 0;
    for (const auto& e : a.clipping.events) (e.kind == "full_scale" ? full : overs)++;
    if (a.clipping.count == 0) {
        std::fprintf(out, "  Clipping   none\n");
    } else {
        // Grouped by moment (10 ms, the events' resolution), the channels listed once: "0:16.50 (L, R)".
        std::string at;
        const auto moments = rules::clip_moments(a.clipping.events);
        const std::size_t shown = args.all ? moments.size() : std::min<std::size_t>(moments.size(), 5);
        for (std::size_t i = 0; i < shown; ++i) {
            at += (i ? ", " : "") + clock(moments[i].time_s);
            if (f.channels == 2) {
                std::string ch;
                for (int c : moments[i].channels) ch += (ch.empty() ? "" : ", ") + std::string(c == 0 ? "L" : "R");
                at += " (" + ch + ")";
            }
        }
        if (moments.size() > shown) at += ", ... (" + std::to_string(moments.size() - shown) + " more moments)";
        std::fprintf(out, "  Clipping   %d event%s (%d full-scale run%s, %d true-peak over%s): %s\n", a.clipping.count,
                     a.clipping.count == 1 ? "" : "s", full, full == 1 ? "" : "s", overs, overs == 1 ? "" : "s", at.c_str());
    }
    std::fprintf(out, "  Dynamics   crest %.1f dB, PLR %.1f dB, PSR %.1f dB; %.0f %% of samples within 6 dB of the peak, crest per 100 ms %.1f dB\n",
                 a.dynamics.crest_db, a.dynamics.plr_db, a.dynamics.psr_db, 100.0 * a.dynamics.half_peak_share, a.dynamics.hop_crest_db);
    if (f.channels == 2) {
        const auto& s = a.stereo;
        std::fprintf(out, "  Stereo     correlation %.2f (below 120 Hz %.2f), width %.2f, balance %+.1f dB, mono loss %.1f dB\n",
                     s.correlation, s.low_correlation, s.width, s.balance_db, s.mono_loss_db);
    }
    std::fprintf(out, "  Spectrum   tilt %+.1f dB/octave; octave bands, dB re. loudness:\n", a.spectrum.tilt_db_per_octave);
    std::string labels = "             ", values = "             ";
    for (const auto& b : a.spectrum.bands) {
        char v[16], h[16];
        std::snprintf(h, sizeof h, "%7s", band_label(b.lo_hz, b.hi_hz).c_str());
        std::snprintf(v, sizeof v, "%7.1f", b.db);
        labels += h;
        values += v;
    }
    std::fprintf(out, "%s Hz\n%s\n", labels.c_str(), values.c_str());
    std::fprintf(out, "  DC offset  %.1f dBFS; silence: leading %.2f s, trailing %.2f s\n", a.dc_offset_dbfs,
                 a.silence.leading_s, a.silence.trailing_s);
    if (args.stems_report)
        std::fprintf(out, "  Stems      %zu analysed, %zu clashes%s\n", args.stems_report->stems.size(),
                     args.stems_report->clashes.size(),
                     args.stems_report->errors.empty() ? "" : (", " + std::to_string(args.stems_report->errors.size()) + " unreadable (see --json)").c_str());
    if (args.material)
        std::fprintf(out, "  Material   %s: targets from curve %s (%d of %d acoustic votes: %s)\n", args.material->family.c_str(),
                     args.material->curve.c_str(), args.material->votes, args.material->voters, args.material->why.c_str());
    // [summary] rules helper: the top three issues; history helper: what changed since last time.
    if (args.issues.empty()) {
        std::fprintf(out, "\n  No issues for profile '%s'.\n", args.profile.c_str());
    } else {
        // The next fixes (tiers and focus: the same list the device gets), then, with --all or
        // --top N, the ranked list.
        const std::string focus = args.history_result ? std::string(review::to_string(args.history_result->comparison.focus))
                                                      : (args.focus.empty() ? std::string("all") : args.focus);
        std::fprintf(out, "\n  Next fixes (profile '%s'%s):\n", args.profile.c_str(),
                     focus == "all" ? "" : (", focus " + focus).c_str());
        for (std::size_t i = 0; i < args.next.size(); ++i)
        {
            std::fprintf(out, "  %s\n", rules::summary_line(args.next[i], static_cast<int>(i) + 1).c_str());
            if (const std::string why = rules::explain_line(args.next[i]); !why.empty()) std::fprintf(out, "       %s\n", why.c_str());
        }
        if (args.next.empty()) std::fprintf(out, "  none in this area\n");
        const std::size_t n = args.all ? args.issues.size() : std::min(args.top_n, args.issues.size());
        if (args.all || args.top_n != 3) {
            std::fprintf(out, "\n  All issues, ranked%s:\n", args.all ? "" : (" (first " + std::to_string(n) + ")").c_str());
            for (std::size_t i = 0; i < n; ++i)
                std::fprintf(out, "  %s\n", rules::summary_line(args.issues[i], static_cast<int>(i) + 1).c_str());
        }
        if (args.issues.size() > std::max(n, args.next.size()))
            std::fprintf(out, "  (%zu issues in all: --all or --top N lists them)\n", args.issues.size());
    }
    if (args.history_result) {  // history helper: the verdict against the previous iteration
        const auto& c = args.history_result->comparison;
        std::fprintf(out, "\n  %s: %s, iteration %d\n  %s\n", args.history_result->record.is_new ? "Stored" : "Already stored",
                     args.history_result->record.song.c_str(), args.history_result->record.iteration, review::verdict_line(c).c_str());
        for (const auto& line : c.not_compared) std::fprintf(out, "  Not compared: %s\n", line.c_str());
        if (c.stop.fired) std::fprintf(out, "  Stop: %s\n", c.stop.message.c_str());
    }
}

}  // namespace

void run_analyze(AnalyzeArgs& args, Context& ctx) {
    // Config and profile first: a typo fails fast, before a long decode.
    const config::Config cfg = args.config_file.empty() ? config::Config::defaults() : config::Config::load(args.config_file);
    rules::check_profile(cfg, args.profile);
    const std::optional<nlohmann::json> master = load_master_json(args.master_file);
    // MP3 decodes through a quiet libmpg123 handle (audio/decoder.cpp): nothing muted here.
    const analysis::Analysis a = analysis::analyze_file(args.file);
    auto options = history::store_options(cfg);
    if (!args.focus.empty()) options.compare.focus = review::area_or_throw(args.focus, "--focus");
    history::IngestInput input;
    input.profile = args.profile;
    if (!args.stems_dir.empty()) {  // stems helper: clashes and per-stem checks join the ranking
        std::vector<std::filesystem::path> files;
        std::error_code ec;
        for (const auto& f : stems::collect_stem_files({args.stems_dir}))
            if (!std::filesystem::equivalent(f, args.file, ec)) files.push_back(f);
        args.stems_report = stems::analyze_stems(files, cfg);
        std::vector<std::string> names;
        for (const auto& st : args.stems_report->stems) names.push_back(st.name);
        input.stems = std::move(names);
        input.stem_issues = args.stems_report->issues;
        input.stems_measured = args.stems_report->measured;
    }
    // Without history the judgement is the same call, with no previous export and no references.
    const review::Review alone = review::review(history::measurements_of(a, input), review::Context{cfg, {}, options.reference, options.compare});
    args.issues = alone.issues;
    args.next = alone.comparison.next;
    if (a.loudness.integrated_lufs > -70.0) args.material = rules::material_of(a, cfg);
    if (const std::string w = analysis::concealed_warning(a); !w.empty())  // also in the JSON: format.concealed_frames
        std::fprintf(stderr, "mixscout: warning: %s: %s\n", a.path.c_str(), w.c_str());
    if (!args.no_history) {  // history helper: store, compare; a failing store only warns
        std::string warning;
        args.history_result = history::try_ingest(args.data_dir, cfg, options, args.file, a, input, warning);
        if (args.history_result) {
            args.issues = args.history_result->issues;  // with reference issues, if any
            args.next = args.history_result->comparison.next;
        } else {
            std::fprintf(stderr, "mixscout: warning: %s\n", warning.c_str());
        }
    }
    if (!args.report_file.empty()) {  // the picture of all of the above
        const auto path = write_report_file(args.report_file, args.file, a, args.issues, cfg, args.profile, args.data_dir,
                                            args.history_result ? &*args.history_result : nullptr, args.stems_report,
                                            master);
        if (args.report_only) std::fprintf(stdout, "%s\n", path.string().c_str());
    }
    if (args.report_only) {
        // `mixscout report`: the path only
    } else if (args.json) {
        const nlohmann::json report = build_report(a, args);
        // Invalid UTF-8 in a path must not abort the dump halfway: replace it.
        const std::string text = json_text(report) + "\n";
        std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
        print_summary(a, args, stdout);
    }
    std::fflush(stdout);
    ctx.exit_code = fail_on_exit_code(args.issues, args.fail_on);
}

void add_analyze_options(CLI::App* cmd, AnalyzeArgs& args) {
    // No CLI::ExistingFile check: the decoder's own message ("<file>: no such file") and exit 2 apply.
    cmd->add_option("file", args.file, "WAV/AIFF/FLAC/OGG/MP3 file, mono or stereo")->required();
    cmd->add_option("--profile", args.profile, "What the export is for: mix (default), streaming, apple, club, broadcast");
    cmd->add_option("--config", args.config_file, "A YAML config overlaying the shipped defaults (see `mixscout config show`)");
    // [options] register further options here.
    cmd->add_option("--stems", args.stems_dir, "Folder of the mix's stems (Live's \"All Individual Tracks\"): clashes between them rank with the issues");
    cmd->add_flag("--no-history", args.no_history, "Do not store this export in the history (nor compare it)");
    cmd->add_option("--data-dir", args.data_dir, "Folder of the history database (default: the per-user data folder)");
    add_focus_options(cmd, args.focus, args.all, args.top_n, args.fail_on);
}

void add_analyze_command(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<AnalyzeArgs>();
    CLI::App* cmd = app.add_subcommand("analyze", "Measure one audio file: loudness, peaks, clipping, dynamics, spectrum, stereo");
    cmd->alias("analyse");
    add_analyze_options(cmd, *args);
    cmd->add_flag("--json", args->json, "Print one JSON object instead of the summary");
    cmd->add_option("--report", args->report_file, "Also write the HTML report (plots of everything measured) to this file");
    cmd->callback([args, &ctx] { run_analyze(*args, ctx); });
}

}  // namespace mixscout::app
