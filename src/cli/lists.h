#pragma once

// `plateau agent|framework|task list`: tables (or JSON) from the master's /master/state.

#include <string>
#include <vector>

#include "common/status.h"
#include "http/client.h"

namespace plateau::cli {

// The master to ask: host:port as given, or the leader elected through ZooKeeper (zk://).
Result<http::Endpoint> leadingMaster(const std::string& master);
// The body of `endpoint`'s /master/state, or the message for the user (the master cannot be
// reached, the TLS handshake failed, or it answered something other than 200).
Result<std::string> masterStateBody(const http::Endpoint& endpoint);

// Prints rows under a header, each column as wide as its widest cell, two spaces apart.
void printTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

enum class ListKind { kAgents, kFrameworks, kTasks };

// Prints the list; returns the exit code (non-zero when the master cannot be reached).
int list(ListKind kind, const std::string& master, bool json);

}  // namespace plateau::cli
