// mixscout dsp: the modified Bessel function I0 of Kaiser windows. std::cyl_bessel_i is not in
// libc++ (macOS), so the kernels use this power series (sum of ((x/2)^k / k!)^2, to 1e-14).
#pragma once

namespace mixscout::dsp {

inline double bessel_i0(double x) {
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 60; ++k) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-14 * sum) break;
    }
    return sum;
}

}  // namespace mixscout::dsp
