// Marathon app JSON (plateau-apps): the body parsed and applied to an empty app as POST /v2/apps
// does, the app written back as JSON, and its constraints evaluated on a candidate agent.

#include "apps/app.h"
#include "apps/placement.h"
#include "common/json.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace apps = plateau::apps;
  auto body = apps::parseBody(plateau::fuzz::text(data, size));
  if (!body) {
    (void)body.error().toJson();
    return 0;
  }
  std::string id = (*body)["id"].asString();
  auto app = apps::applyJson(apps::App{}, *body, id.empty() ? "/fuzz" : id);
  if (!app) {
    (void)app.error().toJson();
    return 0;
  }
  std::string out;
  plateau::json::Writer writer(&out);
  writer.beginObject();
  apps::writeAppFields(writer, *app);
  writer.endObject();
  (void)apps::servicePorts(*app);
  apps::Place candidate{.hostname = "agent-1.example.com",
                        .attributes = {{"rack", "r1"}, {"zone", "us-east-1a"}}};
  std::vector<apps::Place> placed = {{.hostname = "agent-2", .attributes = {{"rack", "r1"}}}};
  for (const auto& constraint : app->constraints) {
    (void)apps::constraintMet(constraint, candidate, placed);
  }
  return 0;
}
