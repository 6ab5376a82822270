// Heap bytes a container holds (its capacity, not its size): what a stream's scratch costs.
#pragma once

#include <cstddef>
#include <vector>

namespace resq {

template <class T>
size_t capacity_bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

template <class T>
size_t capacity_bytes(const std::vector<std::vector<T>>& v) {
  size_t bytes = v.capacity() * sizeof(std::vector<T>);
  for (const std::vector<T>& inner : v) bytes += capacity_bytes(inner);
  return bytes;
}

}  // namespace resq
