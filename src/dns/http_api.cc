#include "dns/http_api.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/json.h"
#include "common/json_fields.h"
#include "common/version.h"

namespace plateau::dns {

namespace {

http::Response jsonResponse(std::string body) {
  auto response = http::Response::json(std::move(body));
  return response;
}

}  // namespace

std::string normalizedName(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (size_t at = name.find(".*"); at != std::string::npos; at = name.find(".*")) {
    name.erase(at, 2);
  }
  if (name.empty() || name.back() != '.') {
    name += ".";
  }
  return name;
}

void HttpApi::handle(http::Request& request, http::Responder responder) const {
  const std::string& path = request.path;
  if (request.method != "GET" && request.method != "HEAD") {
    responder.respond(http::Response::text(405, "Method Not Allowed\n"));
    return;
  }
  if (path == "/v1/version") {
    std::string out;
    json::Writer w(&out);
    w.beginObject();
    field(w, "Service", "Mesos-DNS");
    field(w, "Version", std::string("plateau-dns ") + kVersion);
    field(w, "URL", "https://github.com/mesosphere/mesos-dns");
    w.endObject();
    return responder.respond(jsonResponse(out));
  }
  if (path == "/v1/config") {
    return responder.respond(jsonResponse(configJson(config_, resolver_.serial())));
  }
  if (path == "/metrics") {
    http::Response response = http::Response::text(200, metrics_.prometheus());
    response.headers["content-type"] = std::string(metrics::kPrometheusContentType);
    return responder.respond(std::move(response));
  }
  const std::string hosts_prefix = "/v1/hosts/";
  if (path.starts_with(hosts_prefix) && path.size() > hosts_prefix.size()) {
    std::string rest = http::urlDecode(path.substr(hosts_prefix.size()));
    if (rest.ends_with("/ports")) {
      return responder.respond(http::Response::text(501, "To be implemented..."));
    }
    return responder.respond(jsonResponse(hosts(rest)));
  }
  const std::string services_prefix = "/v1/services/";
  if (path.starts_with(services_prefix) && path.size() > services_prefix.size()) {
    return responder.respond(
        jsonResponse(services(http::urlDecode(path.substr(services_prefix.size())))));
  }
  if (config_.enumeration_on && path == "/v1/enumerate") {
    return responder.respond(jsonResponse(enumerate()));
  }
  if (config_.enumeration_on && path == "/v1/axfr") {
    return responder.respond(jsonResponse(axfr()));
  }
  responder.respond(http::Response::text(404, "404 page not found\n"));
}

std::string HttpApi::hosts(const std::string& host) const {
  std::string name = normalizedName(host);
  const NameRecords* found = resolver_.records().find(name);
  std::string out;
  json::Writer w(&out);
  w.beginArray();
  size_t written = 0;
  if (found) {
    for (const auto* list : {&found->a, &found->aaaa}) {
      for (const auto& ip : *list) {
        w.beginObject();
        field(w, "host", name);
        field(w, "ip", ip);
        w.endObject();
        ++written;
      }
    }
  }
  if (written == 0) {
    w.beginObject();
    field(w, "host", "");
    field(w, "ip", "");
    w.endObject();
  }
  w.endArray();
  return out;
}

std::string HttpApi::services(const std::string& service) const {
  std::string name = normalizedName(service);
  const RecordSet& records = resolver_.records();
  const NameRecords* found = records.find(name);
  std::string out;
  json::Writer w(&out);
  auto row = [&](const std::string& host, const std::string& ip, const std::string& port) {
    w.beginObject();
    field(w, "service", host.empty() ? std::string() : service);
    field(w, "host", host);
    field(w, "ip", ip);
    field(w, "port", port);
    w.endObject();
  };
  w.beginArray();
  size_t written = 0;
  if (found) {
    for (const auto& target : found->srv) {
      const NameRecords* host = records.find(target.host);
      if (!host) {
        continue;
      }
      if (!host->a.empty()) {
        row(target.host, host->a.front(), std::to_string(target.port));
        ++written;
      }
      if (!host->aaaa.empty()) {
        row(target.host, host->aaaa.front(), std::to_string(target.port));
        ++written;
      }
    }
  }
  if (written == 0) {
    row("", "", "");
  }
  w.endArray();
  return out;
}

std::string HttpApi::enumerate() const {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("frameworks");
  w.beginArray();
  for (const auto& framework : resolver_.records().enumeration()) {
    w.beginObject();
    w.key("tasks");
    w.beginArray();
    for (const auto& task : framework.tasks) {
      w.beginObject();
      field(w, "name", task.name);
      field(w, "id", task.id);
      w.key("records");
      w.beginArray();
      for (const auto& record : task.records) {
        w.beginObject();
        field(w, "name", record.name);
        field(w, "host", record.host);
        field(w, "rtype", record.rtype);
        w.endObject();
      }
      w.endArray();
      w.endObject();
    }
    w.endArray();
    field(w, "name", framework.name);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return out;
}

std::string HttpApi::axfr() const {
  // Sorted by name, so that two transfers of the same records read the same.
  std::map<std::string, const NameRecords*> sorted;
  for (const auto& [name, records] : resolver_.records().all()) {
    sorted[name] = &records;
  }
  std::string out;
  json::Writer w(&out);
  auto set = [&](const char* key, auto values_of) {
    w.key(key);
    w.beginObject();
    for (const auto& [name, records] : sorted) {
      std::vector<std::string> list = values_of(*records);
      if (list.empty()) {
        continue;
      }
      w.key(name);
      values(w, list);
    }
    w.endObject();
  };
  w.beginObject();
  w.key("Records");
  w.beginObject();
  set("SRVs", [](const NameRecords& r) {
    std::vector<std::string> out;
    for (const auto& target : r.srv) {
      out.push_back(target.toString());
    }
    return out;
  });
  set("As", [](const NameRecords& r) { return r.a; });
  set("AAAAs", [](const NameRecords& r) { return r.aaaa; });
  w.endObject();
  field(w, "Serial", resolver_.serial());
  field(w, "Mname", config_.soa_mname);
  field(w, "Rname", config_.soa_rname);
  field(w, "TTL", config_.ttl);
  field(w, "RefreshSeconds", config_.refresh_seconds);
  field(w, "Domain", config_.domain);
  w.endObject();
  return out;
}

}  // namespace plateau::dns
