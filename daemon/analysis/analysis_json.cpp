#include "analysis/analysis_json.hpp"

#include <charconv>
#include <cstdlib>
#include <string>

#include "core/error.hpp"

namespace mixscout {

std::string json_text(const nlohmann::json& json, int indent) {
    return json.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mixscout

namespace mixscout::analysis {

using nlohmann::json;

namespace {

// A float series by each value's shortest decimal form: converted to double, a float prints as
// its 17-digit expansion ("-14.300000190734863"), which tripled the analysis JSON, the history
// rows and the report; the shortest form reads back as the very same float (round trip kept).
// Read back with strtod: libc++ 14 (and Apple's libc++) has no floating-point std::from_chars;
// mixscout never calls setlocale, so '.' is the decimal point.
json float_series(const std::vector<float>& values) {
    json out = json::array();
    out.get_ref<json::array_t&>().reserve(values.size());
    char buf[32];
    for (const float v : values) {
        *std::to_chars(buf, buf + sizeof buf - 1, v).ptr = '\0';
        out.push_back(std::strtod(buf, nullptr));
    }
    return out;
}

json bands_json(const std::vector<Band>& bands) {
    json out = json::array();
    for (const auto& b : bands) out.push_back({{"lo_hz", b.lo_hz}, {"hi_hz", b.hi_hz}, {"db", b.db}});
    return out;
}

// Reading: every access names the key path in the error, so a bad stored record says where.
struct Reader {
    const json& j;
    std::string where;

    const json& at(const char* key) const {
        if (!j.is_object()) throw InputError("analysis JSON: " + where + ": expected an object");
        auto it = j.find(key);
        if (it == j.end()) throw InputError("analysis JSON: " + where + (where.empty() ? "" : ".") + key + ": missing");
        return *it;
    }
    Reader sub(const char* key) const { return {at(key), where + (where.empty() ? "" : ".") + key}; }
    template <class T>
    T get(const char* key) const {
        const json& v = at(key);
        try {
            return v.get<T>();
        } catch (const json::exception&) {
            throw InputError("analysis JSON: " + where + (where.empty() ? "" : ".") + key + ": wrong type (" +
                             v.type_name() + ")");
        }
    }
    template <class T>
    void get(const char* key, T& out) const { out = get<T>(key); }
    /// For keys added after records were first stored (the 10 Hz series): absent leaves `out`.
    template <class T>
    void get_optional(const char* key, T& out) const {
        if (j.is_object() && j.contains(key)) get(key, out);
    }
};

std::vector<Band> read_bands(const Reader& r, const char* key) {
    std::vector<Band> out;
    const json& arr = r.at(key);
    if (!arr.is_array()) throw InputError("analysis JSON: " + r.where + "." + key + ": expected an array");
    for (std::size_t i = 0; i < arr.size(); ++i) {
        Reader e{arr[i], r.where + "." + key + "[" + std::to_string(i) + "]"};
        out.push_back({e.get<double>("lo_hz"), e.get<double>("hi_hz"), e.get<double>("db")});
    }
    return out;
}

}  // namespace

json to_json(const Analysis& a) {
    json events = json::array();
    for (const auto& e : a.clipping.events)
        events.push_back({{"time_s", e.time_s}, {"duration_s", e.duration_s}, {"channel", e.channel}, {"samples", e.samples},
                          {"kind", e.kind}, {"peak_dbtp", e.peak_dbtp}});
    json band_corr = json::array();
    for (const auto& b : a.stereo.band_correlation)
        band_corr.push_back({{"lo_hz", b.lo_hz}, {"hi_hz", b.hi_hz}, {"correlation", b.correlation}});

    return json{
        {"path", a.path},
        {"format",
         {{"sample_rate", a.format.sample_rate},
          {"channels", a.format.channels},
          {"bit_depth", a.format.bit_depth},
          {"container", a.format.container},
          {"encoding", a.format.encoding},
          {"frames", a.format.frames},
          {"duration_s", a.format.duration_s},
          {"concealed_frames", a.format.concealed_frames},
          {"concealed_s", a.format.concealed_s}}},
        {"peak",
         {{"sample_peak_dbfs", a.peak.sample_peak_dbfs},
          {"true_peak_dbtp", a.peak.true_peak_dbtp},
          {"channel_sample_peak_dbfs", a.peak.channel_sample_peak_dbfs},
          {"channel_true_peak_dbtp", a.peak.channel_true_peak_dbtp},
          {"true_peak_series", float_series(a.peak.true_peak_series)}}},
        {"clipping", {{"count", a.clipping.count}, {"clipped_samples", a.clipping.clipped_samples}, {"events", events}}},
        {"loudness",
         {{"integrated_lufs", a.loudness.integrated_lufs},
          {"momentary_max_lufs", a.loudness.momentary_max_lufs},
          {"short_term_max_lufs", a.loudness.short_term_max_lufs},
          {"lra_lu", a.loudness.lra_lu},
          {"short_term_series_hz", a.loudness.short_term_series_hz},
          {"short_term_series", float_series(a.loudness.short_term_series)},
          {"momentary_series", float_series(a.loudness.momentary_series)}}},
        {"dynamics",
         {{"crest_db", a.dynamics.crest_db},
          {"plr_db", a.dynamics.plr_db},
          {"psr_db", a.dynamics.psr_db},
          {"half_peak_share", a.dynamics.half_peak_share},
          {"hop_crest_db", a.dynamics.hop_crest_db},
          {"crest_series", float_series(a.dynamics.crest_series)},
          {"psr_series", float_series(a.dynamics.psr_series)}}},
        {"spectrum",
         {{"bands", bands_json(a.spectrum.bands)},
          {"third_octave", bands_json(a.spectrum.third_octave)},
          {"tilt_db_per_octave", a.spectrum.tilt_db_per_octave}}},
        {"stereo",
         {{"correlation", a.stereo.correlation},
          {"width", a.stereo.width},
          {"mono_loss_db", a.stereo.mono_loss_db},
          {"balance_db", a.stereo.balance_db},
          {"low_correlation", a.stereo.low_correlation},
          {"low_width", a.stereo.low_width},
          {"band_correlation", band_corr},
          {"correlation_series", float_series(a.stereo.correlation_series)},
          {"width_series", float_series(a.stereo.width_series)}}},
        {"dc_offset", a.dc_offset},
        {"dc_offset_dbfs", a.dc_offset_dbfs},
        {"silence", {{"leading_s", a.silence.leading_s}, {"trailing_s", a.silence.trailing_s}}},
        {"conversion",
         {{"source_rate_hz", a.conversion.source_rate_hz},
          {"band_edge_hz", a.conversion.band_edge_hz},
          {"band_drop_db", a.conversion.band_drop_db},
          {"imaging", a.conversion.imaging},
          {"dither_checked_s", a.conversion.dither_checked_s},
          {"undithered_s", a.conversion.undithered_s},
          {"lowest_noise_lsb2", a.conversion.lowest_noise_lsb2}}},
    };
}

Analysis analysis_from_json(const json& j) {
    Analysis a;
    const Reader r{j, ""};
    r.get("path", a.path);

    const Reader f = r.sub("format");
    f.get("sample_rate", a.format.sample_rate);
    f.get("channels", a.format.channels);
    f.get("bit_depth", a.format.bit_depth);
    f.get("container", a.format.container);
    f.get("encoding", a.format.encoding);
    f.get("frames", a.format.frames);
    f.get("duration_s", a.format.duration_s);
    f.get_optional("concealed_frames", a.format.concealed_frames);
    f.get_optional("concealed_s", a.format.concealed_s);

    const Reader p = r.sub("peak");
    p.get("sample_peak_dbfs", a.peak.sample_peak_dbfs);
    p.get("true_peak_dbtp", a.peak.true_peak_dbtp);
    p.get("channel_sample_peak_dbfs", a.peak.channel_sample_peak_dbfs);
    p.get("channel_true_peak_dbtp", a.peak.channel_true_peak_dbtp);
    p.get_optional("true_peak_series", a.peak.true_peak_series);

    const Reader c = r.sub("clipping");
    c.get("count", a.clipping.count);
    c.get("clipped_samples", a.clipping.clipped_samples);
    const json& events = c.at("events");
    if (!events.is_array()) throw InputError("analysis JSON: clipping.events: expected an array");
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Reader e{events[i], "clipping.events[" + std::to_string(i) + "]"};
        ClipEvent ev;
        e.get("time_s", ev.time_s);
        e.get("duration_s", ev.duration_s);
        e.get("channel", ev.channel);
        e.get("samples", ev.samples);
        e.get("kind", ev.kind);
        e.get("peak_dbtp", ev.peak_dbtp);
        a.clipping.events.push_back(std::move(ev));
    }

    const Reader l = r.sub("loudness");
    l.get("integrated_lufs", a.loudness.integrated_lufs);
    l.get("momentary_max_lufs", a.loudness.momentary_max_lufs);
    l.get("short_term_max_lufs", a.loudness.short_term_max_lufs);
    l.get("lra_lu", a.loudness.lra_lu);
    l.get("short_term_series_hz", a.loudness.short_term_series_hz);
    l.get("short_term_series", a.loudness.short_term_series);
    l.get_optional("momentary_series", a.loudness.momentary_series);

    const Reader d = r.sub("dynamics");
    d.get("crest_db", a.dynamics.crest_db);
    d.get("plr_db", a.dynamics.plr_db);
    d.get("psr_db", a.dynamics.psr_db);
    d.get_optional("half_peak_share", a.dynamics.half_peak_share);
    d.get_optional("hop_crest_db", a.dynamics.hop_crest_db);
    d.get_optional("crest_series", a.dynamics.crest_series);
    d.get_optional("psr_series", a.dynamics.psr_series);

    const Reader s = r.sub("spectrum");
    a.spectrum.bands = read_bands(s, "bands");
    a.spectrum.third_octave = read_bands(s, "third_octave");
    s.get("tilt_db_per_octave", a.spectrum.tilt_db_per_octave);

    const Reader st = r.sub("stereo");
    st.get("correlation", a.stereo.correlation);
    st.get("width", a.stereo.width);
    st.get("mono_loss_db", a.stereo.mono_loss_db);
    st.get("balance_db", a.stereo.balance_db);
    st.get("low_correlation", a.stereo.low_correlation);
    st.get("low_width", a.stereo.low_width);
    const json& bc = st.at("band_correlation");
    if (!bc.is_array()) throw InputError("analysis JSON: stereo.band_correlation: expected an array");
    for (std::size_t i = 0; i < bc.size(); ++i) {
        const Reader e{bc[i], "stereo.band_correlation[" + std::to_string(i) + "]"};
        a.stereo.band_correlation.push_back({e.get<double>("lo_hz"), e.get<double>("hi_hz"), e.get<double>("correlation")});
    }

    st.get_optional("correlation_series", a.stereo.correlation_series);
    st.get_optional("width_series", a.stereo.width_series);

    r.get("dc_offset", a.dc_offset);
    r.get("dc_offset_dbfs", a.dc_offset_dbfs);
    const Reader si = r.sub("silence");
    si.get("leading_s", a.silence.leading_s);
    si.get("trailing_s", a.silence.trailing_s);
    // Added after records were first stored: absent in older ones.
    if (r.j.is_object() && r.j.contains("conversion")) {
        const Reader cv = r.sub("conversion");
        cv.get("source_rate_hz", a.conversion.source_rate_hz);
        cv.get("band_edge_hz", a.conversion.band_edge_hz);
        cv.get("band_drop_db", a.conversion.band_drop_db);
        cv.get("imaging", a.conversion.imaging);
        cv.get("dither_checked_s", a.conversion.dither_checked_s);
        cv.get("undithered_s", a.conversion.undithered_s);
        cv.get("lowest_noise_lsb2", a.conversion.lowest_noise_lsb2);
    }
    return a;
}

}  // namespace mixscout::analysis
