// An encoder file (a hand-written or imported encoder) as an analysis subject.
//
// Offers:
//   encoder_subject(enc, name)  a capture::Subject whose model is enc itself: inputs are
//                       uniform random strings over the alphabet (the bos symbol excluded:
//                       embed prepends it), decoded answers are the readout's values printed
//                       exactly (sequence: the readout coordinates at each position joined by
//                       spaces; accept: "1" or "0"), and the reference answer is enc's own
//                       exact run, so accuracy measures agreement with the unmodified encoder.
//                       InputError when enc takes vectors or has a softmax head (no exact
//                       reference).
// Cost of a sample of size n: one exact run.
#pragma once

#include <string>

#include "capture/sweep.hpp"

namespace ahat::analysis {

capture::Subject encoder_subject(const Encoder& enc, const std::string& name);

}  // namespace ahat::analysis
