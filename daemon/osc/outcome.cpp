#include "osc/outcome.hpp"

#include <cmath>
#include <cstdio>

#include "osc/protocol.hpp"

namespace mixscout::osc {

std::vector<ExportOutcome::Fix> top_fixes(const std::vector<rules::Issue>& ranked) {
    std::vector<ExportOutcome::Fix> out;
    for (const auto& i : ranked) {
        if (out.size() == 3) break;
        out.push_back({std::string(rules::to_string(i.severity)), i.title, i.fix, i.times_s});
    }
    return out;
}

std::string times_text(const std::vector<double>& times_s) {
    const std::size_t limit = protocol().max_string_bytes;
    std::string out;
    for (const double t : times_s) {
        if (!std::isfinite(t) || t < 0) continue;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f", t);
        const std::size_t add = std::char_traits<char>::length(buf) + (out.empty() ? 0 : 1);
        if (out.size() + add > limit) break;  // ascii_safe would cut a number in half
        if (!out.empty()) out += ',';
        out += buf;
    }
    return out;
}

std::vector<Message> export_messages(const ExportOutcome& o) {
    std::vector<Message> msgs;
    msgs.push_back(make_message("/mixscout/export", o.path, o.song, o.iteration));
    int rank = 0;
    for (const auto& f : o.fixes) {
        msgs.push_back(make_message("/mixscout/fix", ++rank, f.severity, f.title, f.fix));
        msgs.push_back(make_message("/mixscout/fix_times", rank, times_text(f.times_s)));
    }
    msgs.push_back(make_message("/mixscout/fixes_end", rank));
    if (!o.report_path.empty()) msgs.push_back(make_message("/mixscout/report", o.report_path));
    if (!o.verdict.empty()) msgs.push_back(make_message("/mixscout/verdict", o.verdict, o.summary));
    if (!o.stop_reason.empty()) msgs.push_back(make_message("/mixscout/stop", o.stop_reason));
    return msgs;
}

}  // namespace mixscout::osc
