#pragma once

// LIST_FILES and READ_FILE of the operator API, answered alike by the master (mesos.v1.master)
// and the agent (mesos.v1.agent): both packages spell these calls and responses the same way.

#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "endpoints/files.h"
#include "http/content.h"

namespace plateau::files {

// The answer to a LIST_FILES or READ_FILE call over `attached`; nullopt for any other call.
// 400 when the call lacks its field, 404 for a path attached nowhere.
template <class Call, class Response>
std::optional<http::Response> answerFilesCall(const Call& call,
                                              const std::vector<Attachment>& attached,
                                              http::ContentType accept) {
  Response response;
  if (call.type() == Call::LIST_FILES) {
    if (!call.has_list_files()) {
      return http::Response::text(400, "Expecting 'list_files' to be present");
    }
    auto entries = listFiles(call.list_files().path(), attached);
    if (!entries) {
      return http::errorResponse(entries.error());
    }
    response.set_type(Response::LIST_FILES);
    for (const auto& entry : *entries) {
      auto* info = response.mutable_list_files()->add_file_infos();
      info->set_path(entry.path);
      info->set_nlink(static_cast<int32_t>(entry.nlink));
      info->set_size(entry.size);
      info->mutable_mtime()->set_nanoseconds(entry.mtime * 1000000000);
      info->set_mode(entry.mode);
      info->set_uid(entry.uid);
      info->set_gid(entry.gid);
    }
    return http::messageResponse(response, accept);
  }
  if (call.type() != Call::READ_FILE) {
    return std::nullopt;
  }
  if (!call.has_read_file()) {
    return http::Response::text(400, "Expecting 'read_file' to be present");
  }
  const auto& read = call.read_file();
  auto data =
      readFile(read.path(), read.offset(),
               read.has_length() ? std::optional<uint64_t>(read.length()) : std::nullopt, attached);
  if (!data) {
    return http::errorResponse(data.error());
  }
  response.set_type(Response::READ_FILE);
  response.mutable_read_file()->set_size(data->size);
  response.mutable_read_file()->set_data(std::move(data->data));
  return http::messageResponse(response, accept);
}

}  // namespace plateau::files
