// The uniform operator interface. One op type per class, created by the registry
// from a node's attributes; weights arrive as ordinary (constant) inputs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/graph.h"
#include "engine/ops/epilogue.h"
#include "engine/tensor.h"

namespace resq {

// What infer() sees of a tensor: type and shape always, contents when known
// (constants at load time; every input at run time). `present` is false for an
// absent optional input.
struct TensorMeta {
  DType dtype = DType::kFloat32;
  Shape shape;
  const Tensor* value = nullptr;
  bool present = true;
};

class Op {
 public:
  virtual ~Op() = default;

  // Checks the inputs (count, types, ranks, shapes, attribute consistency) and returns the
  // output types and shapes. Throws OpError with the reason. Returns std::nullopt only when an
  // output shape depends on input contents that are not known yet (value == nullptr).
  virtual std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const = 0;

  // Computes the outputs. `in[i]` is nullptr for an absent optional input; `out` tensors
  // were already resized to what infer() returned.
  virtual void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const = 0;

  // run() with `epilogue` applied to output 0 (the executor fuses element-wise nodes after linear
  // layers). This default maps input 0 to the epilogue's input grid first (into a new tensor:
  // callers with a buffer of their own do better to pass levels) and applies the rest to the
  // whole output after run(); Conv overrides it to apply it to each part of the output while in
  // cache.
  virtual void run_fused(std::span<const Tensor* const> in, std::span<Tensor* const> out,
                         const Epilogue& epilogue) const {
    if (epilogue.input.grid) {
      Tensor levels(in[0]->shape());
      copy_or_map(in[0]->f32(), levels.numel(), levels.f32(), epilogue.input);
      std::vector<const Tensor*> args(in.begin(), in.end());
      args[0] = &levels;
      Epilogue rest = epilogue;
      rest.input = {};
      run_fused(args, out, rest);
      return;
    }
    run(in, out);
    epilogue.apply(out[0]->f32(), 0, out[0]->numel());
  }

  // Multiply-accumulates of one run (linear ops); 0 for the rest.
  virtual int64_t macs(std::span<const TensorMeta> /*in*/,
                       std::span<const TensorMeta> /*out*/) const {
    return 0;
  }

  // Heap bytes of the work buffers the op keeps between runs (each executor has its own ops).
  virtual size_t scratch_bytes() const { return 0; }
};

using OpFactory = std::unique_ptr<Op> (*)(const Attributes& attrs);

}  // namespace resq
