#pragma once

#include <cstdint>
#include <string>

namespace callflow::bench {

// How many times the process has called C++'s `operator new` so far (every
// thread; protobuf, RocksDB and the standard containers allocate through
// it). callflow-bench replaces the global `operator new` with a counting
// one (alloc_counter.cc, compiled into the bench binary only); malloc calls
// from C code (librdkafka, the mock cluster) are not counted.
// Thread-safe.
uint64_t AllocationCount();

// The malloc this process runs on, linked or LD_PRELOADed: "jemalloc",
// "mimalloc" or "glibc". For the result line, so that a number is never
// read against the wrong allocator.
std::string MallocName();

}  // namespace callflow::bench
