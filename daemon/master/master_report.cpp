// mixscout master: the report of a mastering run as JSON (`master --json`, the daemon's
// /mixscout/master reply, the HTML report) and as the terminal summary.
#include <cmath>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "core/format.hpp"
#include "core/units.hpp"
#include "master/master.hpp"

namespace mixscout::master {

namespace {
nlohmann::json snapshot_json(const Snapshot& s) {
    return {{"integrated_lufs", s.lufs},       {"lra_lu", s.lra_lu},           {"true_peak_dbtp", s.true_peak_dbtp},
            {"plr_db", s.plr_db},              {"psr_db", s.psr_db},           {"correlation", s.correlation},
            {"mono_loss_db", s.mono_loss_db},  {"side_to_mid_db", s.side_to_mid_db},
            {"third_octave_db", s.third_octave_db}};
}
nlohmann::json reduction_json(const LimiterStats& l) {
    return {{"max_gain_reduction_db", l.max_gain_reduction_db},
            {"mean_gain_reduction_db", l.mean_gain_reduction_db},
            {"limiting_percent", l.limiting_percent},
            {"series_hz", gain_reduction_series_hz},
            {"series_db", l.series_db}};
}
}  // namespace

nlohmann::json to_json(const MasterReport& r) {
    nlohmann::json bands = nlohmann::json::array();
    for (const auto& b : r.eq_bands)
        bands.push_back({{"lo_hz", b.lo_hz}, {"hi_hz", b.hi_hz}, {"mid_db", b.mid_db}, {"side_db", b.side_db}});
    nlohmann::json third_hz = nlohmann::json::array();
    for (const auto& b : r.output_analysis.spectrum.third_octave) third_hz.push_back(std::sqrt(b.lo_hz * b.hi_hz));
    nlohmann::json guards = nlohmann::json::array();
    for (const auto& g : r.guards)
        guards.push_back({{"name", g.name}, {"what", g.what}, {"value", g.value}, {"limit", g.limit}, {"unit", g.unit}, {"kept", g.kept}});
    nlohmann::json compressor = reduction_json(r.compressor);
    compressor["used"] = r.compressor_used;
    return {
        {"mix", r.mix},
        {"references", r.references},
        {"output", r.output},
        {"sample_rate", r.sample_rate},
        {"bits", r.bits},
        {"duration_s", r.duration_s},
        {"loudness",
         {{"mix_lufs", r.mix_lufs},
          {"reference_lufs", r.reference_lufs},
          {"wanted_lufs", r.wanted_lufs},
          {"target_lufs", r.target_lufs},
          {"limited_by", r.loudness_limited_by},
          {"output_lufs", r.output_lufs},
          {"gain_db", r.gain_db}}},
        {"peak",
         {{"mix_sample_peak_dbfs", r.mix_sample_peak_dbfs},
          {"output_true_peak_dbtp", r.output_true_peak_dbtp},
          {"ceiling_dbtp", r.ceiling_dbtp},
          {"clipped_samples", r.clipped_samples}}},
        {"eq",
         {{"bands", bands},
          {"max_boost_db", r.eq_max_boost_db},
          {"max_cut_db", r.eq_max_cut_db},
          {"loudness_change_db", r.eq_loudness_change_db}}},
        {"width",
         {{"mix_side_to_mid_db", r.mix_width_db},
          {"reference_side_to_mid_db", r.reference_width_db},
          {"change_db", r.width_change_db}}},
        {"compressor", compressor},
        {"limiter", reduction_json(r.limiter)},
        {"guards", guards},
        {"before", snapshot_json(r.mix_stats)},
        {"after", snapshot_json(r.output_stats)},
        {"reference", snapshot_json(r.reference_stats)},
        {"third_octave_hz", third_hz},
        {"reference_distance", {{"before_db", r.reference_distance_before_db}, {"after_db", r.reference_distance_after_db}}},
        {"ab",
         {{"file", r.ab_output.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.ab_output)},
          {"level_difference_db", r.level_difference_db},
          {"tonal_change_db", r.tonal_change_db},
          {"mix_gain_db", r.ab_mix_gain_db},
          {"master_gain_db", r.ab_master_gain_db}}},
        {"render_passes", r.render_passes},
        {"notes", r.notes},
    };
}

std::string summary(const MasterReport& r) {
    std::string s;
    char buf[256];
    std::snprintf(buf, sizeof buf, "mastered %s -> %s (%d Hz, %d-bit%s)\n", r.mix.c_str(), r.output.c_str(), r.sample_rate,
                  r.bits, r.bits == 32 ? " float" : "");
    s += buf;
    std::snprintf(buf, sizeof buf, "loudness  %.1f -> %.1f LUFS (target %.1f), gain %+.1f dB\n", r.mix_lufs, r.output_lufs,
                  r.target_lufs, r.gain_db);
    s += buf;
    std::snprintf(buf, sizeof buf, "true peak %.2f dBTP (ceiling %.1f)\n", r.output_true_peak_dbtp, r.ceiling_dbtp);
    s += buf;
    auto label = [](const EqBand& b) {
        const double fc = std::sqrt(b.lo_hz * b.hi_hz);
        return fc >= 1000.0 ? std::to_string(static_cast<int>(std::lround(fc / 1000.0))) + "k"
                            : std::to_string(static_cast<int>(std::lround(fc)));
    };
    s += "EQ mid   ";
    for (const auto& b : r.eq_bands) {
        std::snprintf(buf, sizeof buf, " %s:%+.1f", label(b).c_str(), b.mid_db);
        s += buf;
    }
    s += "\nEQ side  ";
    for (const auto& b : r.eq_bands) {
        std::snprintf(buf, sizeof buf, " %+.1f", b.side_db);
        s += buf;
    }
    std::snprintf(buf, sizeof buf, "\nwidth     side/mid %.1f dB (reference %.1f), changed %+.1f dB\n", r.mix_width_db,
                  r.reference_width_db, r.width_change_db);
    s += buf;
    if (r.compressor_used)
        std::snprintf(buf, sizeof buf, "compressor max %.1f dB, mean %.2f dB, working %.1f %% of the time\n",
                      r.compressor.max_gain_reduction_db, r.compressor.mean_gain_reduction_db, r.compressor.limiting_percent);
    else
        std::snprintf(buf, sizeof buf, "compressor not needed (the limiter alone stays gentle)\n");
    s += buf;
    std::snprintf(buf, sizeof buf, "limiter   max %.1f dB, mean %.2f dB, limiting %.1f %% of the time (%d render pass%s)\n",
                  r.limiter.max_gain_reduction_db, r.limiter.mean_gain_reduction_db, r.limiter.limiting_percent,
                  r.render_passes, r.render_passes == 1 ? "" : "es");
    s += buf;
    const Snapshot &b = r.mix_stats, &a = r.output_stats;
    std::snprintf(buf, sizeof buf, "dynamics  LRA %.1f -> %.1f LU, PLR %.1f -> %.1f dB, PSR %.1f -> %.1f dB\n", b.lra_lu,
                  a.lra_lu, b.plr_db, a.plr_db, b.psr_db, a.psr_db);
    s += buf;
    std::snprintf(buf, sizeof buf, "stereo    correlation %.2f -> %.2f, mono loss %.1f -> %.1f dB\n", b.correlation,
                  a.correlation, b.mono_loss_db, a.mono_loss_db);
    s += buf;
    std::snprintf(buf, sizeof buf, "reference 1/3-octave distance %.1f -> %.1f dB\n", r.reference_distance_before_db,
                  r.reference_distance_after_db);
    s += buf;
    std::string broken;
    for (const auto& g : r.guards)
        if (!g.kept) broken += (broken.empty() ? "" : ", ") + g.name;
    s += "guards    " + (broken.empty() ? std::string("all kept") : "broken: " + broken) + "\n";
    std::snprintf(buf, sizeof buf,
                  "A/B       %+.1f dB of the difference is level only; at equal loudness %.1f dB RMS of tonal change "
                  "(1/3 octaves) and the dynamics above remain%s%s\n",
                  r.level_difference_db, r.tonal_change_db, r.ab_output.empty() ? "" : ": ", r.ab_output.c_str());
    s += buf;
    for (const auto& n : r.notes) s += "note: " + n + "\n";
    return s;
}

}  // namespace mixscout::master
