#include "master/registry/in_memory_registry.h"

namespace plateau::master::registry {

void InMemoryRegistry::recover(std::function<void(Result<State>)> done) {
  loop_.post([this, done = std::move(done)] { done(state_); });
}

void InMemoryRegistry::apply(std::vector<Change> changes, std::function<void(Status)> done) {
  Status status;
  for (const auto& change : changes) {
    if (status = applyTo(state_, change); !status.isOk()) {
      break;
    }
  }
  loop_.post([status, done = std::move(done)] { done(status); });
}

}  // namespace plateau::master::registry
