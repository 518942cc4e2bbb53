// docs/compatibility.md's tables against a running master and agent: a call marked
// "implemented" answers anything but 501, one marked "not implemented" answers 501; an endpoint
// marked "implemented" answers anything but 404, one marked "not implemented" answers 404.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

struct Row {
  std::vector<std::string> cells;  // without the backquotes
};

// The rows of the table under the heading that starts with `heading`.
std::vector<Row> tableUnder(const std::string& doc, const std::string& heading) {
  std::vector<Row> rows;
  std::istringstream in(doc);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.starts_with("## ")) {
      inside = line.starts_with(heading);
      continue;
    }
    if (!inside || !line.starts_with("| `")) {
      continue;
    }
    Row row;
    std::istringstream cells(line.substr(1));
    std::string cell;
    while (std::getline(cells, cell, '|')) {
      std::erase(cell, '`');
      while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1);
      while (!cell.empty() && cell.back() == ' ') cell.pop_back();
      row.cells.push_back(cell);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void checkCalls(const http::Endpoint& daemon, const std::vector<Row>& rows, const char* which) {
  ASSERT_GT(rows.size(), 10u) << which;
  for (const auto& row : rows) {
    const std::string& call = row.cells.at(0);
    const std::string& status = row.cells.at(1);
    if (call == "SUBSCRIBE") {
      continue;  // a stream (the operator API tests cover it)
    }
    auto reply = post(daemon, "/api/v1", fmt::format(R"({{"type": "{}"}})", call));
    if (status.starts_with("implemented")) {
      EXPECT_NE(reply.status, 501) << which << " " << call << ": " << reply.body;
      EXPECT_NE(reply.status, 0) << which << " " << call;
    } else {
      EXPECT_EQ(reply.status, 501) << which << " " << call << " (table: " << status << ")";
    }
  }
}

TEST(OperatorCompatibility, TablesMatchARunningCluster) {
  std::ifstream file(std::string(PLATEAU_SOURCE_DIR) + "/docs/compatibility.md");
  ASSERT_TRUE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();

  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256");
  checkCalls(cluster.master(), tableUnder(doc, "## Master operator API"), "master");
  checkCalls(cluster.agentEndpoint(0), tableUnder(doc, "## Agent operator API"), "agent");

  auto endpoints = tableUnder(doc, "## Endpoints");
  ASSERT_GT(endpoints.size(), 10u);
  for (const auto& row : endpoints) {
    const std::string& path = row.cells.at(0);
    const auto daemon = row.cells.at(1) == "master" ? cluster.master() : cluster.agentEndpoint(0);
    auto reply = send(daemon, "GET", path, "");
    if (row.cells.at(2).starts_with("implemented")) {
      EXPECT_NE(reply.status, 404) << row.cells.at(1) << " " << path << ": " << reply.body;
      EXPECT_NE(reply.status, 0) << path;
    } else {
      EXPECT_EQ(reply.status, 404) << row.cells.at(1) << " " << path;
    }
  }
}

}  // namespace
}  // namespace plateau::testing
