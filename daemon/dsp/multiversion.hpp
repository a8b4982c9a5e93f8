// mixscout dsp (internal): function multiversioning for the kernels' hot loops.
//
// MIXSCOUT_MULTIVERSION on a function makes GCC emit an x86-64-v3 clone (AVX2 + FMA: Intel since
// Haswell, AMD since Zen) next to the baseline (SSE2) one and pick between them once, at load
// time, from the CPU's features: about 3x faster on the kernels, with no -march flag that would
// make the binary unportable. ("arch=haswell" would dispatch on the CPU model and miss AMD.)
// GCC >= 12 on x86-64 ELF only; off under AddressSanitizer, which needs no speed and then tests
// the baseline code path. Elsewhere it expands to nothing.
//
// The kernels use GCC/Clang vector extensions (vector_size(32)) in always-inlined helpers;
// GCC's -Wpsabi note about passing such vectors by value without AVX does not apply to inlined
// code, and the top-level CMakeLists.txt turns it off (a pragma here did not reach every file of
// a unity build).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__ELF__) && \
    !defined(__SANITIZE_ADDRESS__)
#define MIXSCOUT_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define MIXSCOUT_MULTIVERSION
#endif
