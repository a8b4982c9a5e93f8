// mixscout dsp: whole-block scans that several kernels share.
//
//   abs_max(x, n)    the largest |x[i]|: sample peaks, and "could this block clip?" checks;
//   is_silent(x, n)  every sample exactly zero: digital silence, which Live renders wherever a
//                    track has nothing playing (stems are full of it), so kernels can skip work
//                    whose result on zeros is known exactly.
// Cost: one vectorised pass (~0.1 ns per sample here); is_silent stops at the first chunk that
// holds a non-zero sample, so on sound it costs almost nothing. Pure functions, any thread.
#pragma once
#include <cstddef>

namespace mixscout::dsp {

/// max |x[i]| over n samples (0 for n == 0).
float abs_max(const float* x, std::size_t n);

/// True when all n samples are exactly 0 (-0 included; true for n == 0). Subnormals are sound.
bool is_silent(const float* x, std::size_t n);

}  // namespace mixscout::dsp
