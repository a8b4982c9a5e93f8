// mixscout master: how much loudness the limiter will take, predicted before rendering.
//
// Raising a mix by G dB into a limiter does not raise its loudness by G: the limiter takes some
// back, the more the louder it is pushed. To hit the target loudness in one render, the gain is
// solved against a model of the limiter run on the mix's analysis chunks (profile.hpp: sample
// peak and mean square every ~1.3 ms): the same gain computer as limiter.hpp (hold over the
// look-ahead, the program-dependent release) at chunk rate, and BS.1770 gating (dsp::GatingHistogram)
// of the energy before and after. The model errs on the side of a little too much reduction
// (it holds the minimum over the look-ahead instead of ramping to it), so the render tends to come
// out slightly loud and the exact downward trim after it lands on the target.
//
// With a compressor set (compressor.hpp) the model replays it too, at its own control rate (the
// chunk), before the limiter. predict() also gives what the guards need: the limiter's peak and
// mean reduction and the loudness range (Tech 3342 gating and percentiles over 3 s windows of the
// chunk energies — unweighted, so an estimate; the written master is measured properly).
//
// Cost: O(chunks) per evaluation (~180k chunks for 4 minutes: a few ms).
#pragma once
#include <vector>

#include "master/compressor.hpp"
#include "master/master.hpp"
#include "master/profile.hpp"

namespace mixscout::master {

struct ModelPrediction {
    double loudness_change_db = 0.0;  ///< from the compressor and the limiter, <= 0
    double limiter_max_db = 0.0;      ///< limiter reduction at its deepest, >= 0
    double limiter_mean_db = 0.0;     ///< over the whole file
    double compressor_mean_db = 0.0;
    double lra_before_lu = 0.0, lra_after_lu = 0.0;
    double lra_loss_lu() const { return lra_before_lu - lra_after_lu; }
};

class LimiterModel {
public:
    LimiterModel(const std::vector<ChunkStat>& chunks, int chunk_frames, int sample_rate, double ceiling_dbtp,
                 const LimiterOptions& options);
    /// Loudness change (dB, <= 0) from limiting when the peaks are raised by peak_gain_db.
    double loss_db(double peak_gain_db) const { return predict(peak_gain_db).loudness_change_db; }
    ModelPrediction predict(double peak_gain_db) const;
    /// Replays the compressor before the limiter (threshold in the chunks' own scale); nullptr: none.
    void set_compressor(const CompressorCurve* curve, const CompressorOptions& options);
    /// Gated mean power of the chunks (dB, mean square per channel): the programme level.
    double programme_level_db() const;

private:
    std::vector<float> comp_db_;   // per chunk, empty = no compressor
    std::vector<float> comp_factor_;  // the same as a power factor
    std::vector<float> peak_db_;   // per chunk
    std::vector<float> energy_;    // per chunk, mean square summed over channels
    int hop_chunks_;               // chunks per 100 ms
    int hold_chunks_;
    double chunk_s_;
    double ceiling_db_;
    double k_fast_, k_slow_, k_sustain_;
};

}  // namespace mixscout::master
