#include "bench/alloc_counter.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <new>

// The replaceable global allocation functions, counting. Only the plain and
// the aligned single-object forms are replaced: libstdc++'s array and
// nothrow forms call them, and its deletes free() what they return.

namespace callflow::bench {
namespace {

// One counter per cache line, a thread's chosen once from a rotating index,
// so that counting adds no cache-line traffic between threads.
constexpr unsigned kSlots = 64;
struct alignas(64) Slot {
  std::atomic<uint64_t> count{0};
};
Slot slots[kSlots];
std::atomic<unsigned> next_slot{0};
constexpr unsigned kNoSlot = ~0u;
thread_local unsigned my_slot = kNoSlot;

inline void Count() {
  if (my_slot == kNoSlot) {
    my_slot = next_slot.fetch_add(1, std::memory_order_relaxed) % kSlots;
  }
  slots[my_slot].count.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

uint64_t AllocationCount() {
  uint64_t total = 0;
  for (const Slot& s : slots) total += s.count.load(std::memory_order_relaxed);
  return total;
}

std::string MallocName() {
  if (dlsym(RTLD_DEFAULT, "mallctl") != nullptr) return "jemalloc";
  if (dlsym(RTLD_DEFAULT, "mi_version") != nullptr) return "mimalloc";
  return "glibc";
}

}  // namespace callflow::bench

void* operator new(std::size_t size) {
  callflow::bench::Count();
  if (size == 0) size = 1;
  while (true) {
    if (void* p = std::malloc(size)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* operator new(std::size_t size, std::align_val_t align) {
  callflow::bench::Count();
  const std::size_t a = static_cast<std::size_t>(align);
  // aligned_alloc wants a multiple of the alignment.
  const std::size_t rounded = (size + a - 1) / a * a;
  while (true) {
    if (void* p = std::aligned_alloc(a, rounded == 0 ? a : rounded)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}
