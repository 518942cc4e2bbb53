#include "auth/acls.h"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <sstream>

#include "common/json.h"

namespace plateau::auth {
namespace {

struct Kind {
  std::string_view key;
  std::string_view object;
};

// Indexed by Action: each list's JSON key and the name of its object entity.
constexpr std::array<Kind, kActionCount> kKinds = {{
    {"register_frameworks", "roles"},
    {"run_tasks", "users"},
    {"reserve_resources", "roles"},
    {"unreserve_resources", "reserver_principals"},
    {"create_volumes", "roles"},
    {"destroy_volumes", "creator_principals"},
    {"teardown_frameworks", "framework_principals"},
    {"update_weights", "roles"},
    {"get_endpoints", "paths"},
    {"get_quotas", "roles"},
    {"update_quotas", "roles"},
    {"view_frameworks", "users"},
    {"view_tasks", "users"},
    {"view_executors", "users"},
    {"access_sandboxes", "users"},
    {"access_mesos_logs", "logs"},
    {"view_roles", "roles"},
    {"view_flags", "flags"},
    {"launch_nested_containers_as_user", "users"},
    {"launch_nested_containers_under_parent_with_user", "users"},
    {"kill_nested_containers", "users"},
    {"wait_nested_containers", "users"},
    {"launch_nested_container_sessions_as_user", "users"},
    {"launch_nested_container_sessions_under_parent_with_user", "users"},
    {"attach_containers_input", "users"},
    {"attach_containers_output", "users"},
    {"view_containers", "users"},
    {"set_log_level", "level"},
    {"remove_nested_containers", "users"},
    {"register_agents", "agents"},
    {"update_maintenance_schedules", "machines"},
    {"get_maintenance_schedules", "machines"},
    {"start_maintenances", "machines"},
    {"stop_maintenances", "machines"},
    {"get_maintenance_statuses", "machines"},
    {"drain_agents", "agents"},
    {"deactivate_agents", "agents"},
    {"reactivate_agents", "agents"},
    {"mark_agents_gone", "agents"},
    {"launch_standalone_containers", "users"},
    {"kill_standalone_containers", "users"},
    {"wait_standalone_containers", "users"},
    {"remove_standalone_containers", "users"},
    {"view_standalone_containers", "users"},
    {"modify_resource_provider_configs", "resource_providers"},
    {"mark_resource_providers_gone", "resource_providers"},
    {"view_resource_providers", "resource_providers"},
    {"prune_images", "images"},
    {"resize_volumes", "roles"},
    {"create_block_disks", "roles"},
    {"destroy_block_disks", "roles"},
    {"create_mount_disks", "roles"},
    {"destroy_mount_disks", "roles"},
    {"destroy_raw_disks", "roles"},
}};

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// `where` names the entity in errors: "ACLs '<source>': run_tasks[2].users".
Result<AclEntity> parseEntity(const json::Value& value, const std::string& where,
                              std::vector<std::string>* warnings) {
  if (!value.isObject()) {
    return std::unexpected(invalid(fmt::format("{} is not a JSON object", where)));
  }
  AclEntity entity;
  for (const auto& [key, member] : value.asObject()) {
    if (key == "type") {
      const std::string type = member.isString() ? member.asString() : "";
      if (type == "SOME") {
        entity.type = AclEntity::Type::kSome;
      } else if (type == "ANY") {
        entity.type = AclEntity::Type::kAny;
      } else if (type == "NONE") {
        entity.type = AclEntity::Type::kNone;
      } else {
        return std::unexpected(
            invalid(fmt::format("{}.type: expected \"SOME\", \"ANY\" or \"NONE\", got {}", where,
                                member.isString() ? "\"" + type + "\"" : json::stringify(member))));
      }
    } else if (key == "values") {
      if (!member.isArray()) {
        return std::unexpected(invalid(fmt::format("{}.values is not an array", where)));
      }
      for (size_t i = 0; i < member.size(); ++i) {
        if (!member[i].isString()) {
          return std::unexpected(invalid(fmt::format("{}.values[{}] is not a string", where, i)));
        }
        entity.values.push_back(member[i].asString());
      }
    } else if (warnings != nullptr) {
      warnings->push_back(fmt::format("{}: unknown key '{}' ignored", where, key));
    }
  }
  return entity;
}

Result<AclEntry> parseEntry(const json::Value& value, const Kind& kind, const std::string& where,
                            std::vector<std::string>* warnings) {
  if (!value.isObject()) {
    return std::unexpected(invalid(fmt::format("{} is not a JSON object", where)));
  }
  AclEntry entry;
  bool subjects = false;
  bool objects = false;
  for (const auto& [key, member] : value.asObject()) {
    if (key == "principals" || key == kind.object) {
      auto entity = parseEntity(member, fmt::format("{}.{}", where, key), warnings);
      if (!entity) {
        return std::unexpected(entity.error());
      }
      (key == "principals" ? entry.subjects : entry.objects) = std::move(*entity);
      (key == "principals" ? subjects : objects) = true;
    } else if (warnings != nullptr) {
      warnings->push_back(fmt::format("{}: unknown key '{}' ignored", where, key));
    }
  }
  if (!subjects || !objects) {
    return std::unexpected(invalid(fmt::format("{} lacks its required '{}' entity", where,
                                               subjects ? kind.object : "principals")));
  }
  return entry;
}

const Kind* kindOf(std::string_view key, size_t* index) {
  for (size_t i = 0; i < kKinds.size(); ++i) {
    if (kKinds[i].key == key) {
      *index = i;
      return &kKinds[i];
    }
  }
  return nullptr;
}

// Whether an entry's entity matches a request's (one value, or anything when nullopt).
// `roles`: a value "r/%" also matches the roles nested under r.
bool matches(const AclEntity& acl, std::optional<std::string_view> request, bool roles) {
  if (acl.type != AclEntity::Type::kSome) {
    return true;  // ANY and NONE match every request (NONE then refuses it)
  }
  if (!request) {
    return false;  // a specific list never matches "anything"
  }
  for (const auto& value : acl.values) {
    if (value == *request) {
      return true;
    }
    if (roles && value.ends_with("/%") &&
        request->starts_with(std::string_view(value).substr(0, value.size() - 1))) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view aclKey(Action action) { return kKinds[static_cast<size_t>(action)].key; }

std::string_view aclObjectField(Action action) {
  return kKinds[static_cast<size_t>(action)].object;
}

Result<Authorizer> Authorizer::parse(std::string_view text, std::string_view source,
                                     std::vector<std::string>* warnings) {
  auto doc = json::parse(text);
  if (!doc) {
    return std::unexpected(
        invalid(fmt::format("ACLs '{}' do not parse: {}", source, doc.error().message())));
  }
  if (!doc->isObject()) {
    return std::unexpected(invalid(fmt::format("ACLs '{}' are not a JSON object", source)));
  }
  Authorizer out;
  for (const auto& [key, value] : doc->asObject()) {
    if (key == "permissive") {
      if (!value.isBool()) {
        return std::unexpected(
            invalid(fmt::format("ACLs '{}': 'permissive' is not a boolean", source)));
      }
      out.permissive_ = value.asBool();
      continue;
    }
    size_t index = 0;
    const Kind* kind = kindOf(key, &index);
    if (kind == nullptr) {
      if (warnings != nullptr) {
        warnings->push_back(fmt::format("ACLs '{}': unknown key '{}' ignored", source, key));
      }
      continue;
    }
    if (!value.isArray()) {
      return std::unexpected(invalid(fmt::format("ACLs '{}': '{}' is not an array", source, key)));
    }
    for (size_t i = 0; i < value.size(); ++i) {
      auto entry =
          parseEntry(value[i], *kind, fmt::format("ACLs '{}': {}[{}]", source, key, i), warnings);
      if (!entry) {
        return std::unexpected(entry.error());
      }
      out.entries_[index].push_back(std::move(*entry));
    }
  }
  return out;
}

Result<Authorizer> Authorizer::load(std::string_view flag_value,
                                    std::vector<std::string>* warnings) {
  std::string_view value = flag_value;
  if (!value.starts_with("file://") && !value.starts_with("/")) {
    return parse(value, "--acls", warnings);
  }
  std::string path(value.starts_with("file://") ? value.substr(7) : value);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(invalid(fmt::format("Flag '--acls': cannot read the file '{}'", path)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path, warnings);
}

bool Authorizer::allowed(Action action, std::string_view principal,
                         std::optional<std::string_view> object) const {
  const bool roles = aclObjectField(action) == "roles";
  std::optional<std::string_view> subject;
  if (!principal.empty()) {
    subject = principal;
  }
  for (const AclEntry& entry : entries(action)) {
    if (matches(entry.subjects, subject, false) && matches(entry.objects, object, roles)) {
      return entry.subjects.type != AclEntity::Type::kNone &&
             entry.objects.type != AclEntity::Type::kNone;
    }
  }
  return permissive_;
}

std::optional<std::string> Authorizer::refusal(Action action, std::string_view principal,
                                               std::optional<std::string_view> object) const {
  if (allowed(action, principal, object)) {
    return std::nullopt;
  }
  std::string who =
      principal.empty() ? "An anonymous request" : fmt::format("Principal '{}'", principal);
  if (!object) {
    return fmt::format("{} is not authorized by the ACLs for '{}'", who, aclKey(action));
  }
  return fmt::format("{} is not authorized by the ACLs for '{}' ({} '{}')", who, aclKey(action),
                     aclObjectField(action), *object);
}

Result<std::shared_ptr<const Authorizer>> Authorizer::fromFlag(std::string_view flag_value,
                                                               std::vector<std::string>* warnings) {
  if (flag_value.empty()) {
    return nullptr;
  }
  auto acls = load(flag_value, warnings);
  if (!acls) {
    return std::unexpected(acls.error());
  }
  return std::make_shared<const Authorizer>(std::move(*acls));
}

Approver::Approver(std::shared_ptr<const Authorizer> authorizer, Action action,
                   std::string principal)
    : authorizer_(std::move(authorizer)), action_(action), principal_(std::move(principal)) {}

bool Approver::approves(std::optional<std::string_view> object) const {
  if (authorizer_ == nullptr) {
    return true;
  }
  if (!object) {
    return authorizer_->allowed(action_, principal_, object);
  }
  auto it = cache_.find(std::string(*object));
  if (it == cache_.end()) {
    it = cache_.emplace(std::string(*object), authorizer_->allowed(action_, principal_, object))
             .first;
  }
  return it->second;
}

}  // namespace plateau::auth
