// The daemon's config sections agree with the protocol's defaults, and its naming rules.
#include <gtest/gtest.h>

#include "app/daemon_pipeline.hpp"
#include "config/config.hpp"
#include "osc/protocol.hpp"

using namespace mixscout;

TEST(DaemonConfig, ShippedOscDefaultsAreTheProtocolDefaults) {
    const auto cfg = config::Config::defaults();
    const auto& p = osc::protocol();
    EXPECT_EQ(cfg.settings().osc.listen_port, p.daemon_listen_port);
    EXPECT_EQ(cfg.settings().osc.listen_host, p.host);
    EXPECT_DOUBLE_EQ(cfg.settings().osc.heartbeat_s, p.heartbeat_s);
    EXPECT_TRUE(cfg.settings().profiles.find(cfg.settings().watch.profile) != nullptr);
}

TEST(DaemonNaming, LiveIndividualTrackNamesAreStems) {
    EXPECT_TRUE(review::looks_like_stem("/x/My Song 3-Bass.wav"));
    EXPECT_TRUE(review::looks_like_stem("/x/03-Lead Vox.aif"));
    EXPECT_TRUE(review::looks_like_stem("/x/Mix 2 12-Kick.wav"));
    EXPECT_FALSE(review::looks_like_stem("/x/My Song.wav"));
    EXPECT_FALSE(review::looks_like_stem("/x/burst_01.wav"));
    EXPECT_FALSE(review::looks_like_stem("/x/Song v2-final.wav"));
}
