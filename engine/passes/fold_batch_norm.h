// Folds BatchNormalization into the Conv that feeds it (when the conv output has no other
// consumer and the BN parameters are constants): w' = w * g / sqrt(v + eps), b' = (b - m) * g /
// sqrt(v + eps) + beta. BN nodes that cannot be folded stay and run as ops.
#pragma once

#include "engine/graph.h"

namespace resq {

// Returns how many BN nodes were folded.
int fold_batch_norm(Graph& g);

}  // namespace resq
