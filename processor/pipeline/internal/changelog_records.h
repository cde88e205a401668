#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace RdKafka {
class Message;
}

// The changelog topic's record layout (docs/ARCHITECTURE.md "Changelog").
// Partition p of the changelog holds what events partition p's store
// changed, in commit cycles:
//   data record   key = the RocksDB key, value = its value (null: deleted)
//   cycle end     key = CycleKey(owner), value = v1::ChangelogCycle
//   owner marker  key = kOwnerKeyPrefix + owner (hex), value =
//                 v1::ChangelogOwner; written when an instance takes the
//                 partition, before it restores
// Every record carries the writer's ownership token in header kOwnerHeader.
// Each owner ends its cycles under a key of its own, so that a compacted
// changelog (cleanup.policy=compact keeps the last record per key) still
// holds every owner's last cycle end: with one key shared by all owners,
// compaction would keep only the newest owner's, and a restore would take
// every earlier owner's records for a cycle that never ended.
// Store keys start with a printable prefix byte ('c', 'm', 't'); control
// keys start with 0x00, so the two never collide.
namespace callflow::pipeline {

inline constexpr std::string_view kOwnerHeader = "callflow.owner";
inline constexpr std::string_view kCycleKeyPrefix =
    std::string_view("\0cycle:", 7);
// The one cycle-end key of changelogs written before CycleKey(owner); a
// restore still reads it.
inline constexpr std::string_view kLegacyCycleKey =
    std::string_view("\0cycle", 6);
inline constexpr std::string_view kOwnerKeyPrefix =
    std::string_view("\0owner:", 7);

// 8 bytes big-endian.
std::string EncodeOwner(uint64_t owner);
// The owner header of a consumed changelog record; nullopt when missing or
// malformed.
std::optional<uint64_t> OwnerOf(RdKafka::Message& message);

// A new random ownership token (never 0).
uint64_t NewOwnerToken();

std::string OwnerKey(uint64_t owner);
std::string CycleKey(uint64_t owner);
// True for a cycle end's key, CycleKey(any owner) or kLegacyCycleKey.
bool IsCycleKey(std::string_view key);

}  // namespace callflow::pipeline
