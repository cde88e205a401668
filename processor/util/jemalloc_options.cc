// jemalloc's options for every executable that links it (the
// callflow_allocator target of cmake/Dependencies.cmake compiles this file
// into each one). jemalloc reads this symbol when it starts; the MALLOC_CONF
// environment variable is read after it and can still override it.
//
// tcache_max:131072 -- thread caches keep freed blocks up to 128 KiB
// (jemalloc 5.3's default is 32 KiB). librdkafka's producer compresses
// every batch with lz4, whose frame context allocates a 64 KiB buffer and
// frees it, per request. Above the default that block went back to the
// arena each time, whose decay purged it (madvise, TLB shoot-downs on every
// core) and the next request faulted its pages in again: in the e2e bench
// ~800 madvise calls a second, 16 % of the producer thread's time.
// docs/PERFORMANCE.md has the measurement.
extern "C" {
__attribute__((visibility("default"))) const char* malloc_conf =
    "tcache_max:131072";
}
