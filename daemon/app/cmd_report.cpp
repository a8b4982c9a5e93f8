// `mixscout report FILE [-o OUT.html]`: analyse FILE as `analyze` does (history, stems, rules) and
// write its HTML report; also the gathering and writing that `analyze --report` and the daemon use.
#include <cctype>
#include <cstdio>
#include <fstream>
#include <memory>
#include <system_error>

#include "app/analyze_args.hpp"
#include "app/commands.hpp"
#include "app/report_writer.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "review/comparison.hpp"
#include "rules/rules.hpp"

namespace mixscout::app {

namespace fs = std::filesystem;

report::ReportInput gather_report(const analysis::Analysis& a, const std::vector<rules::Issue>& issues,
                                  const config::Config& cfg, std::string_view profile, history::Store* store,
                                  const history::IngestResult* ingested, const std::optional<stems::StemsReport>& stems,
                                  const std::optional<nlohmann::json>& master) {
    report::ReportInput in;
    in.analysis = a;
    in.issues = issues;
    in.profile = rules::profile_targets(cfg, profile);
    in.tonal = rules::tonal_target(a, cfg);
    in.stems = stems;
    in.master = master;
    if (ingested) {
        in.song = ingested->record.song;
        in.iteration = ingested->record.iteration;
        in.verdict = std::string(review::to_string(ingested->comparison.verdict));
        in.verdict_summary = ingested->comparison.summary;
        if (ingested->comparison.stop.fired) in.stop_reason = ingested->comparison.stop.message;
        in.fixes = rules::top(ingested->comparison.next.empty() ? ingested->issues : ingested->comparison.next);
    }
    if (store && !in.song.empty()) {
        for (const auto& item : store->history(in.song)) {
            report::IterationRow row;
            row.iteration = item.iteration;
            row.created_at = item.created_at;
            row.kind = item.kind;
            row.verdict = item.verdict;
            row.critical = item.critical;
            row.important = item.important;
            row.polish = item.polish;
            row.notes = item.notes;
            row.ears = item.ears;
            row.current = ingested && item.export_id == ingested->record.export_id;
            const history::StoredExport stored = store->load_export(item.export_id);
            row.integrated_lufs = stored.analysis.loudness.integrated_lufs;
            row.plr_db = stored.analysis.dynamics.plr_db;
            in.history.push_back(std::move(row));
        }
        for (const auto& r : store->reference_analyses(in.song))
            in.references.push_back({fs::path(r.path).filename().string(), r.loudness.integrated_lufs,
                                     r.spectrum.third_octave, r.spectrum.bands});
    }
    return in;
}

void write_text_file(const fs::path& out, const std::string& text) {
    std::error_code ec;
    if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
    fs::path tmp = out;
    tmp += ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f.write(text.data(), static_cast<std::streamsize>(text.size()));
        f.close();
        if (!f) throw InputError(out.string() + ": cannot write the report");
    }
    fs::rename(tmp, out, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw InputError(out.string() + ": cannot write the report: " + ec.message());
    }
}

fs::path write_report_file(const fs::path& out, const fs::path& file, const analysis::Analysis& a,
                           const std::vector<rules::Issue>& issues, const config::Config& cfg, std::string_view profile,
                           const std::string& data_dir, const history::IngestResult* ingested,
                           const std::optional<stems::StemsReport>& stems, const std::optional<nlohmann::json>& master) {
    (void)file;
    std::optional<history::Store> store;
    if (ingested) {  // the export is in the history: its iterations and references belong in the picture
        try {
            store.emplace(history::Store::open(history::resolve_data_dir(data_dir, cfg), history::store_options(cfg)));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "mixscout: warning: report without history: %s\n", e.what());
        }
    }
    report::ReportInput in = gather_report(a, issues, cfg, profile, store ? &*store : nullptr, ingested, stems, master);
    in.generated_at = utc_now_iso8601();
    write_text_file(out, report::render_html(in));
    return out;
}

std::optional<nlohmann::json> load_master_json(const std::string& path) {
    if (path.empty()) return std::nullopt;
    std::ifstream f(path, std::ios::binary);
    if (!f) throw InputError(path + ": cannot read");
    try {
        nlohmann::json j = nlohmann::json::parse(f);
        if (!j.is_object() || !j.contains("loudness") || !j["loudness"].is_object() || !j["loudness"].contains("output_lufs"))
            throw InputError(path + ": not a `mixscout master --json` report (no loudness.output_lufs)");
        return j;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(path + ": not JSON: " + e.what());
    }
}

fs::path daemon_report_path(const fs::path& data_dir, const std::string& song, int iteration) {
    std::string name;
    for (unsigned char c : song) {
        if (name.size() >= 48) break;
        // ASCII only: OSC strings are made ASCII-safe on the way to the device, which must get the real path.
        const bool safe = (c < 0x80 && std::isalnum(c)) || c == ' ' || c == '-' || c == '_' || c == '.';
        name += safe ? static_cast<char>(c) : '_';
    }
    while (!name.empty() && (name.back() == ' ' || name.back() == '.')) name.pop_back();  // Windows refuses these
    if (name.empty()) name = "export";
    return data_dir / "reports" / (name + " " + std::to_string(iteration) + ".html");
}

void add_report_command(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<AnalyzeArgs>();
    CLI::App* cmd = app.add_subcommand("report", "Analyse one file and write its HTML report: loudness, tonal balance, stereo, "
                                                 "dynamics, stem clashes, the song's iterations, mastering");
    add_analyze_options(cmd, *args);
    cmd->add_option("-o,--output", args->report_file, "The HTML file to write (default: <file name>.report.html here)");
    cmd->add_option("--master", args->master_file, "What `mixscout master ... --json` printed, for the mastering section");
    cmd->callback([args, &ctx] {
        args->report_only = true;
        if (args->report_file.empty()) args->report_file = fs::path(args->file).stem().string() + ".report.html";
        run_analyze(*args, ctx);
    });
}

}  // namespace mixscout::app
