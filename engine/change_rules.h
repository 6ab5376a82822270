// How changes pass through the nodes that are not linear layers (Executor::set_tracking): which
// pixels of a node's output may differ from the keyframe's, given those of its inputs.
#pragma once

#include <span>

#include "engine/graph.h"
#include "engine/change_mask.h"

namespace resq {

// Element-wise nodes (activations, Add / Mul / Sub / Div, BatchNormalization): the union of their
// inputs' pixels (ChangeMask::add: an input of another plane, such as a broadcast per-channel
// scale, that changed changes everything). Resize / Upsample on [1, C, H, W]: each changed input
// pixel's outputs, widened by the interpolation's reach. Any other node: everything once any
// input changed.
// `in[i]` is nullptr for inputs that cannot change (constants, absent inputs).
ChangeMask node_changes(const Node& node, std::span<const ChangeMask* const> in,
                        std::span<const Shape* const> in_shapes, const Shape& out_shape);

}  // namespace resq
