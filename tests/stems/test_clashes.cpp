// Stem clashes on built signals with known clashes, written as real WAV files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "stems/stems.hpp"
#include "stem_signals.hpp"
#include "support/signals.hpp"

namespace mixscout::stems {
namespace {

using test::Signal;
using test::TempDir;
namespace sig = test::stems;

constexpr double kSeconds = 8.0;

std::vector<const Clash*> clashes_between(const StemsReport& r, const std::string& x, const std::string& y) {
    std::vector<const Clash*> out;
    for (const Clash& c : r.clashes)
        if ((c.a == x && c.b == y) || (c.a == y && c.b == x)) out.push_back(&c);
    return out;
}

void dump(const StemsReport& r) {
    for (const Clash& c : r.clashes) std::printf("    %s\n", to_json(c).dump().c_str());
    for (const StemInfo& s : r.stems)
        std::printf("    stem %s role %s crest %.1f centroid %.0f low %.2f lufs %.1f\n", s.name.c_str(), s.role.c_str(),
                    s.envelope_crest_db, s.centroid_hz, s.low_share, s.integrated_lufs);
}

TEST(StemClashes, KickAgainstBassClashesBelow100HzSideChainTheBass) {
    TempDir dir;
    test::write_audio(dir / "Song 1-Kick.wav", sig::kick(kSeconds));
    test::write_audio(dir / "Song 2-Bass.wav", sig::bass(kSeconds));
    const StemsReport r = analyze_stems({dir / "Song 1-Kick.wav", dir / "Song 2-Bass.wav"}, StemsOptions::defaults());
    dump(r);
    ASSERT_EQ(r.stems.size(), 2u);
    EXPECT_EQ(r.stems[0].role, "kick");
    EXPECT_EQ(r.stems[1].role, "bass");
    const auto c = clashes_between(r, "Kick", "Bass");
    ASSERT_FALSE(c.empty());
    const Clash& top = *c.front();
    // The fight is where both have their fundamentals: inside 40..125 Hz, overlapping 60..100 Hz.
    EXPECT_GE(top.lo_hz, 40.0);
    EXPECT_LE(top.hi_hz, 125.0);
    EXPECT_LT(top.lo_hz, 100.0);
    EXPECT_GT(top.hi_hz, 60.0);
    // Past the critical thresholds, but a clash is capped at stems.clash.max_severity (important).
    EXPECT_EQ(top.severity, rules::Severity::important);
    EXPECT_NEAR(top.stereo_overlap, 1.0, 1e-6);  // both centred
    EXPECT_EQ(top.yield, "Bass");
    EXPECT_TRUE(top.rhythmic);
    EXPECT_NE(top.fix.find("Compressor on Bass, side-chain from Kick"), std::string::npos) << top.fix;
    EXPECT_NE(top.alternative.find("EQ Eight on Bass"), std::string::npos) << top.alternative;
    ASSERT_FALSE(top.times_s.empty());
    EXPECT_LT(top.times_s.front(), 1.0);
    // ... and ranked as an issue.
    ASSERT_FALSE(r.issues.empty());
    EXPECT_EQ(r.issues.front().category, "clash");
    EXPECT_EQ(r.issues.front().rule, "clash.kick.bass");
    EXPECT_EQ(r.issues.front().severity, rules::Severity::important);
    // Without the cap the same pair is critical: the thresholds still tell strong from weak.
    StemsOptions uncapped = StemsOptions::defaults();
    uncapped.clash.max_severity = rules::Severity::critical;
    const StemsReport u = analyze_stems({dir / "Song 1-Kick.wav", dir / "Song 2-Bass.wav"}, uncapped);
    ASSERT_FALSE(u.clashes.empty());
    EXPECT_EQ(u.clashes.front().severity, rules::Severity::critical);
}

/// A mono stem placed in stereo by a pan pot: left = gain_l * x, right = gain_r * x.
Signal panned(const Signal& mono, double gain_l, double gain_r) {
    Signal s{mono.sample_rate, 2, std::vector<float>(2 * mono.samples.size())};
    for (std::size_t i = 0; i < mono.samples.size(); ++i) {
        s.samples[2 * i] = static_cast<float>(mono.samples[i] * gain_l);
        s.samples[2 * i + 1] = static_cast<float>(mono.samples[i] * gain_r);
    }
    return s;
}

TEST(StemClashes, PanMeasuredPerStemAndStemsPannedApartDoNotClash) {
    TempDir dir;
    // Constant-power pan: the bass 30 % right (gains cos/sin of 0.35 pi/2 from the left), so
    // pR/(pL+pR) = sin^2 and pan = sin^2 - cos^2.
    const double a = 0.65 * std::numbers::pi / 2.0;
    test::write_audio(dir / "1-Kick.wav", sig::kick(kSeconds));
    test::write_audio(dir / "2-Bass.wav", panned(sig::bass(kSeconds), std::cos(a), std::sin(a)));
    const StemsReport near = analyze_stems({dir / "1-Kick.wav", dir / "2-Bass.wav"}, StemsOptions::defaults());
    dump(near);
    ASSERT_EQ(near.stems.size(), 2u);
    EXPECT_NEAR(near.stems[0].pan, 0.0, 1e-6);
    EXPECT_NEAR(near.stems[1].pan, std::sin(a) * std::sin(a) - std::cos(a) * std::cos(a), 0.01);
    // 30 % apart they still share the speakers: overlap sqrt(0.5 cos^2) + sqrt(0.5 sin^2), a clash.
    const auto c = clashes_between(near, "Kick", "Bass");
    ASSERT_FALSE(c.empty());
    EXPECT_NEAR(c.front()->stereo_overlap, std::sqrt(0.5) * (std::cos(a) + std::sin(a)), 0.01);
    // Hard left against hard right: each has its own speaker. No clash.
    test::write_audio(dir / "3-Kick L.wav", panned(sig::kick(kSeconds), 1.0, 0.0));
    test::write_audio(dir / "4-Bass R.wav", panned(sig::bass(kSeconds), 0.0, 1.0));
    const StemsReport apart = analyze_stems({dir / "3-Kick L.wav", dir / "4-Bass R.wav"}, StemsOptions::defaults());
    dump(apart);
    EXPECT_NEAR(apart.stems[0].pan, -1.0, 1e-6);
    EXPECT_NEAR(apart.stems[1].pan, 1.0, 1e-6);
    EXPECT_TRUE(apart.clashes.empty());
}

/// A mono stem hard left for the first half and hard right for the second (or the other way):
/// centred over the whole stem (pan 0), never centred at any moment.
Signal switching_sides(const Signal& mono, bool left_first) {
    Signal s{mono.sample_rate, 2, std::vector<float>(2 * mono.samples.size(), 0.0f)};
    const std::size_t half = mono.samples.size() / 2;
    for (std::size_t i = 0; i < mono.samples.size(); ++i) {
        const bool left = (i < half) == left_first;
        s.samples[2 * i + (left ? 0 : 1)] = mono.samples[i];
    }
    return s;
}

TEST(StemClashes, StereoPositionIsMeasuredPerBandAndFrameNotPerStem) {
    TempDir dir;
    // Two sung parts in the same range, at the same moments, at the same level: centred, they clash.
    test::write_audio(dir / "1-Keys.wav", sig::vocal(kSeconds, 0.3));
    test::write_audio(dir / "2-Guitar.wav", sig::vocal(kSeconds, 0.28));
    const StemsReport centred = analyze_stems({dir / "1-Keys.wav", dir / "2-Guitar.wav"}, StemsOptions::defaults());
    dump(centred);
    ASSERT_FALSE(clashes_between(centred, "Keys", "Guitar").empty());
    // The keys left then right, the guitar right then left: each stem is centred over the song
    // (pan 0, as the whole-stem measure sees it), yet at every moment they are on opposite sides.
    test::write_audio(dir / "3-Keys.wav", switching_sides(sig::vocal(kSeconds, 0.3), true));
    test::write_audio(dir / "4-Guitar.wav", switching_sides(sig::vocal(kSeconds, 0.28), false));
    const StemsReport apart = analyze_stems({dir / "3-Keys.wav", dir / "4-Guitar.wav"}, StemsOptions::defaults());
    dump(apart);
    ASSERT_EQ(apart.stems.size(), 2u);
    EXPECT_NEAR(apart.stems[0].pan, 0.0, 0.05);
    EXPECT_NEAR(apart.stems[1].pan, 0.0, 0.05);
    EXPECT_TRUE(apart.clashes.empty());
    // Both left, then both right: the same place at every moment, a clash with overlap ~1.
    test::write_audio(dir / "5-Keys.wav", switching_sides(sig::vocal(kSeconds, 0.3), true));
    test::write_audio(dir / "6-Guitar.wav", switching_sides(sig::vocal(kSeconds, 0.28), true));
    const StemsReport together = analyze_stems({dir / "5-Keys.wav", dir / "6-Guitar.wav"}, StemsOptions::defaults());
    dump(together);
    const auto c = clashes_between(together, "Keys", "Guitar");
    ASSERT_FALSE(c.empty());
    EXPECT_GT(c.front()->stereo_overlap, 0.95);
}

TEST(StemClashes, TwoPercussiveStemsAreTheArrangementNotAClash) {
    TempDir dir;
    // A kick doubled by a low tom on the same hits: the same 55-100 Hz band, the same moments, the
    // same level. Judged as a pair (percussive_pairs: true) that is a clash...
    test::write_audio(dir / "1-Kick.wav", sig::kick(kSeconds));
    test::write_audio(dir / "2-Tom.wav", sig::kick(kSeconds));
    StemsOptions pairs = StemsOptions::defaults();
    pairs.clash.percussive_pairs = true;
    const StemsReport judged = analyze_stems({dir / "1-Kick.wav", dir / "2-Tom.wav"}, pairs);
    dump(judged);
    ASSERT_TRUE(judged.stems[0].percussive && judged.stems[1].percussive);
    EXPECT_FALSE(judged.clashes.empty());
    // ...but by default drums against drums are the arrangement (a backbeat, a doubled hit): none.
    const StemsReport r = analyze_stems({dir / "1-Kick.wav", dir / "2-Tom.wav"}, StemsOptions::defaults());
    EXPECT_TRUE(r.clashes.empty());
}

TEST(StemClashes, BassHighPassedAt120HzNoLongerClashesWithTheKick) {
    TempDir dir;
    Signal b = sig::bass(kSeconds);
    sig::high_pass(b, 120.0);
    test::write_audio(dir / "1-Kick.wav", sig::kick(kSeconds));
    test::write_audio(dir / "2-Bass.wav", b);
    const StemsReport r = analyze_stems({dir / "1-Kick.wav", dir / "2-Bass.wav"}, StemsOptions::defaults());
    dump(r);
    EXPECT_TRUE(r.clashes.empty());
}

TEST(StemClashes, StemsThatNeverSoundTogetherDoNotClash) {
    TempDir dir;
    test::write_audio(dir / "1-Kick.wav", sig::kick(kSeconds, 0.5, 0.8, 0.05, 48000, 0.0, 3.5));
    test::write_audio(dir / "2-Bass.wav", sig::bass(kSeconds, {62.0, 65.0, 73.0, 82.0, 98.0}, 0.3, 48000, 4.0));
    const StemsReport r = analyze_stems({dir / "1-Kick.wav", dir / "2-Bass.wav"}, StemsOptions::defaults());
    dump(r);
    EXPECT_TRUE(r.clashes.empty());
}

TEST(StemClashes, SnareAgainstVocalBodyIsAPolishClash) {
    TempDir dir;
    test::write_audio(dir / "Take 1-Lead Vox.wav", sig::vocal(10.0));
    test::write_audio(dir / "Take 2-Snare.wav", sig::snare(10.0));
    const StemsReport r = analyze_stems({dir / "Take 1-Lead Vox.wav", dir / "Take 2-Snare.wav"}, StemsOptions::defaults());
    dump(r);
    const auto c = clashes_between(r, "Lead Vox", "Snare");
    ASSERT_FALSE(c.empty());
    bool body = false;
    for (const Clash* x : c) {
        EXPECT_EQ(x->severity, rules::Severity::polish) << to_json(*x).dump();
        EXPECT_EQ(x->yield, "Snare");
        if (x->lo_hz < 400.0 && x->hi_hz > 200.0) body = true;
    }
    EXPECT_TRUE(body);
}

}  // namespace
}  // namespace mixscout::stems
