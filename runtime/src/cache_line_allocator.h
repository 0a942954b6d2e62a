// An allocator whose blocks start on a 64-byte cache line, for the buffers
// the kernels write with streaming (non-temporal) stores: those need
// vector-aligned rows, and a std::vector<float> is only 16-byte aligned.
#pragma once

#include <cstddef>
#include <new>

namespace rnnc {

template <class T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};

  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, std::size_t n) { ::operator delete(p, n * sizeof(T), kAlignment); }

  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const {
    return true;
  }
};

}  // namespace rnnc
