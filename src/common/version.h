#pragma once

// Plateau's version, reported by /version and in MasterInfo/AgentInfo.
namespace plateau {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace plateau
