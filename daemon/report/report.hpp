// mixscout report: one export's measurements, issues and history -> one self-contained HTML page.
//
// Pure: no I/O, no clock. The caller (app/cmd_report.cpp, `analyze --report`, the daemon) gathers
// a ReportInput and writes the string wherever it wants.
//
//   report::ReportInput in;
//   in.analysis = a;  in.issues = ranked;  in.profile = rules::profile_targets(cfg, "mix");
//   in.tonal = rules::tonal_target(a, cfg);
//   std::string html = report::render_html(in);
//
// The page: one <script type="application/json" id="mixscout-data"> holding report_data(in) —
// the analysis exactly as analysis::to_json writes it (the 10 Hz series included), the issues as
// rules::to_json writes them, so a plot never disagrees with `analyze --json` — then uPlot (MIT,
// pinned in daemon/report/web/package-lock.json, its licence inlined) and web/report.js, which
// draws every plot from that data in the browser. No network, nothing beside the file.
//
// Why uPlot and not hand-written SVG: uPlot costs 51 kB per report (minified, measured) and draws
// the ~20 000 points of a 4-minute song on canvases, with axes, log scales, legends and zoom;
// the same series as SVG polylines written here would be ~8 bytes per point ("123.4,-17.2 "), so
// ~160 kB of path text per report (estimated, not built), plus axis and tick code of our own. No
// measurement favoured SVG, so the library it is.
//
// Cost: render_html for a 4-minute song with stems: ~2 ms, ~0.2-0.3 MB (docs/BENCHMARKS.md, "Report").
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis.hpp"
#include "rules/issue.hpp"
#include "rules/rules.hpp"
#include "stems/stems.hpp"

namespace mixscout::report {

/// One iteration of the song, from the history (history::HistoryItem + its stored analysis).
struct IterationRow {
    int iteration = 1;
    std::string created_at;   ///< ISO 8601 UTC
    std::string kind;         ///< "export" | "live_take"
    std::string verdict;      ///< review::to_string(Verdict)
    int critical = 0, important = 0, polish = 0;
    double integrated_lufs = 0.0;
    double plr_db = 0.0;
    std::vector<std::string> notes;
    bool current = false;     ///< the export this report is about
    std::string ears;         ///< the listener's vote: "better" | "same" | "worse"; "" = none
};

/// A reference track's loudness-normalised spectrum (the same normalisation as the mix's).
struct ReferenceCurve {
    std::string name;
    double integrated_lufs = 0.0;
    std::vector<analysis::Band> third_octave;
    std::vector<analysis::Band> bands;
};

struct ReportInput {
    analysis::Analysis analysis;
    std::vector<rules::Issue> issues;   ///< all, ranked
    std::vector<rules::Issue> fixes;    ///< the top fixes as shown on the device (focus order); empty: first three of issues
    rules::ProfileTargets profile;
    rules::TonalTarget tonal;
    std::vector<ReferenceCurve> references;
    std::optional<stems::StemsReport> stems;
    std::string song;                   ///< empty: not in the history
    int iteration = 0;
    std::string verdict, verdict_summary, stop_reason;
    std::vector<IterationRow> history;  ///< oldest first
    std::optional<nlohmann::json> master;  ///< what `mixscout master --json` printed, when there is one
    std::string generated_at;           ///< shown in the footer; the caller's clock (empty: not shown)
};

/// The data embedded in the page (keys: version, title, song, iteration, verdict, verdict_summary,
/// stop_reason, generated_at, profile, analysis, issues, fixes, tonal_target, references, stems,
/// history, master). Every issue carries `index` (its place in `issues`), which the page's links use.
nlohmann::json report_data(const ReportInput& input);

/// The whole page. Deterministic: the same input gives the same bytes.
std::string render_html(const ReportInput& input);

/// The embedded data back out of a page render_html made; throws InputError when it has none.
nlohmann::json extract_data(const std::string& html);

}  // namespace mixscout::report
