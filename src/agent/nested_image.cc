// Nested containers with an image of their own (agent/nested_containers.h): as Mesos allows,
// LAUNCH_NESTED_CONTAINER(_SESSION) and LAUNCH_CONTAINER under a parent may name an image in
// `container.mesos.image`. The agent provisions it (the Images hooks), then the container joins
// its parent's namespaces but the mount namespace, and enters the image's root filesystem in a
// mount namespace of its own.

#include <filesystem>

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/nested_launch.h"
#include "agent/nested_state.h"

namespace plateau::agent {

namespace v1 = mesos::v1;

void NestedContainers::launchInImage(const v1::ContainerID& id, const v1::CommandInfo& command,
                                     const v1::ContainerInfo& info, bool session,
                                     http::StreamAccept accept, http::Responder responder) {
  const std::string key = keyOf(id);
  if (!images_.prepare) {
    return responder.respond(http::Response::text(
        400, fmt::format("Nested container {} names an image, but this agent runs no images "
                         "(start it with --image_providers=docker)",
                         key)));
  }
  std::optional<Parent> parent = parentOf(id.parent());
  if (!parent) {
    return responder.respond(http::Response::text(
        400,
        fmt::format("Parent container {} does not exist (or has terminated)", keyOf(id.parent()))));
  }
  std::string sandbox = parent->sandbox + "/containers/" + id.value();
  std::error_code ec;
  std::filesystem::create_directories(sandbox, ec);
  launching_.insert(key);
  log_->info("image_provision_started container_id={} nested=true", key);
  auto answer = std::make_shared<http::Responder>(std::move(responder));
  images_.prepare(
      key, sandbox, command, info, command.user(),
      [this, alive = std::weak_ptr<bool>(alive_), key, id, command, info, session, accept,
       answer](Result<ImageCommand> image) {
        if (!alive.lock()) {
          return;
        }
        launching_.erase(key);
        if (!image) {
          return answer->respond(
              http::Response::text(400, fmt::format("Failed to launch nested container {}: {}", key,
                                                    image.error().message())));
        }
        // The parent may have ended while the image was provisioned.
        std::optional<Parent> parent = parentOf(id.parent());
        std::optional<pid_t> target = parent ? joinTarget(parent->pid) : std::nullopt;
        if (!target) {
          if (images_.release) {
            images_.release(key);
          }
          return answer->respond(http::Response::text(
              400, fmt::format("Parent container {} does not exist (or has terminated)",
                               keyOf(id.parent()))));
        }
        start(id, command, info, *parent, *target, session, &*image, accept, std::move(*answer));
      });
}

}  // namespace plateau::agent
