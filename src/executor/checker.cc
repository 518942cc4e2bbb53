#include "executor/checker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <fmt/format.h>

#include "common/process.h"
#include "common/task_state.h"
#include "http/client.h"

namespace plateau::executor {

namespace {

std::chrono::nanoseconds seconds(double s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(s < 0 ? 0 : s));
}

}  // namespace

bool probeHealthy(const ProbeResult& result, const std::vector<uint32_t>& http_statuses) {
  if (result.timed_out) {
    return false;
  }
  switch (result.type) {
    case v1::CheckInfo::COMMAND:
      return result.exit_code && *result.exit_code == 0;
    case v1::CheckInfo::HTTP:
      if (!result.status_code) {
        return false;
      }
      if (!http_statuses.empty()) {
        for (uint32_t s : http_statuses) {
          if (s == *result.status_code) {
            return true;
          }
        }
        return false;
      }
      return *result.status_code >= 200 && *result.status_code < 400;
    case v1::CheckInfo::TCP:
      return result.connected;
    default:
      return false;
  }
}

v1::CheckStatusInfo checkStatus(const ProbeResult& result) {
  v1::CheckStatusInfo status;
  status.set_type(result.type);
  switch (result.type) {
    case v1::CheckInfo::COMMAND: {
      auto* command = status.mutable_command();
      if (!result.timed_out && result.exit_code) {
        command->set_exit_code(*result.exit_code);
      }
      break;
    }
    case v1::CheckInfo::HTTP: {
      auto* http = status.mutable_http();
      if (!result.timed_out && result.status_code) {
        http->set_status_code(*result.status_code);
      }
      break;
    }
    case v1::CheckInfo::TCP: {
      auto* tcp = status.mutable_tcp();
      if (!result.timed_out) {
        tcp->set_succeeded(result.connected);
      }
      break;
    }
    default:
      break;
  }
  return status;
}

HealthTracker::Outcome HealthTracker::onResult(bool healthy,
                                               std::chrono::nanoseconds since_launch) {
  Outcome out;
  if (healthy) {
    initializing_ = false;
    failures_ = 0;
    if (reported_ != true) {
      out.report = true;
      out.healthy = true;
      reported_ = true;
    }
    return out;
  }
  if (initializing_ && since_launch < grace_) {
    return out;  // still starting up: failures do not count yet
  }
  failures_++;
  out.kill = failures_ >= max_failures_;
  if (reported_ != false || out.kill) {
    out.report = true;
    out.healthy = false;
    reported_ = false;
  }
  return out;
}

std::optional<v1::CheckStatusInfo> CheckTracker::onResult(const v1::CheckStatusInfo& status) {
  std::string bytes = status.SerializeAsString();
  if (last_ && *last_ == bytes) {
    return std::nullopt;
  }
  last_ = std::move(bytes);
  return status;
}

Result<ProbeSpec> ProbeSpec::fromHealthCheck(const v1::HealthCheck& check) {
  ProbeSpec spec;
  spec.delay = seconds(check.delay_seconds());
  spec.interval = seconds(check.interval_seconds());
  spec.timeout = seconds(check.timeout_seconds());
  switch (check.type()) {
    case v1::HealthCheck::COMMAND:
      if (!check.has_command()) {
        return invalidArgument("Expecting 'command' to be set for COMMAND health check");
      }
      spec.type = v1::CheckInfo::COMMAND;
      spec.command = check.command();
      break;
    case v1::HealthCheck::HTTP:
      if (!check.has_http()) {
        return invalidArgument("Expecting 'http' to be set for HTTP health check");
      }
      if (check.http().has_scheme() && check.http().scheme() != "http") {
        return invalidArgument(fmt::format("Unsupported HTTP health check scheme '{}': only 'http'",
                                           check.http().scheme()));
      }
      spec.type = v1::CheckInfo::HTTP;
      spec.port = check.http().port();
      if (check.http().has_path()) {
        spec.path = check.http().path();
      }
      break;
    case v1::HealthCheck::TCP:
      if (!check.has_tcp()) {
        return invalidArgument("Expecting 'tcp' to be set for TCP health check");
      }
      spec.type = v1::CheckInfo::TCP;
      spec.port = check.tcp().port();
      break;
    default:
      return invalidArgument("Health check 'type' must be COMMAND, HTTP or TCP");
  }
  return spec;
}

Result<ProbeSpec> ProbeSpec::fromCheck(const v1::CheckInfo& check) {
  ProbeSpec spec;
  spec.delay = seconds(check.delay_seconds());
  spec.interval = seconds(check.interval_seconds());
  spec.timeout = seconds(check.timeout_seconds());
  spec.type = check.type();
  switch (check.type()) {
    case v1::CheckInfo::COMMAND:
      if (!check.has_command()) {
        return invalidArgument("Expecting 'command' to be set for COMMAND check");
      }
      spec.command = check.command().command();
      break;
    case v1::CheckInfo::HTTP:
      if (!check.has_http()) {
        return invalidArgument("Expecting 'http' to be set for HTTP check");
      }
      spec.port = check.http().port();
      if (check.http().has_path()) {
        spec.path = check.http().path();
      }
      break;
    case v1::CheckInfo::TCP:
      if (!check.has_tcp()) {
        return invalidArgument("Expecting 'tcp' to be set for TCP check");
      }
      spec.port = check.tcp().port();
      break;
    default:
      return invalidArgument("Check 'type' must be COMMAND, HTTP or TCP");
  }
  return spec;
}

Checker::Checker(EventLoop& loop, ProbeSpec spec, Callback callback)
    : loop_(loop),
      spec_(std::move(spec)),
      callback_(std::move(callback)),
      alive_(std::make_shared<bool>(true)) {
  if (!spec_.path.starts_with('/')) {
    spec_.path = "/" + spec_.path;
  }
}

Checker::~Checker() {
  stop();
  *alive_ = false;
}

void Checker::start() {
  stopped_ = false;
  schedule(spec_.delay);
}

void Checker::stop() {
  stopped_ = true;
  if (timer_ != 0) {
    loop_.cancel(timer_);
    timer_ = 0;
  }
  if (timeout_timer_ != 0) {
    loop_.cancel(timeout_timer_);
    timeout_timer_ = 0;
  }
  if (probe_pid_ > 0) {
    ::kill(-probe_pid_, SIGKILL);
    ::kill(probe_pid_, SIGKILL);
    // Left to the owner's reaper: onChildExit() ignores it once stopped.
  }
  probe_seq_++;
}

void Checker::schedule(std::chrono::nanoseconds delay) {
  if (stopped_) {
    return;
  }
  timer_ = loop_.after(delay, [this] {
    timer_ = 0;
    probe();
  });
}

void Checker::probe() {
  if (stopped_) {
    return;
  }
  uint64_t seq = ++probe_seq_;
  ProbeResult timed_out{.type = spec_.type, .timed_out = true};
  if (spec_.type == v1::CheckInfo::HTTP) {
    http::ClientRequest request{.method = "GET",
                                .path = spec_.path,
                                .headers = {{"host", fmt::format("127.0.0.1:{}", spec_.port)}},
                                .body = {}};
    std::weak_ptr<bool> alive = alive_;
    http::fetch(
        loop_,
        http::Endpoint{"127.0.0.1", static_cast<uint16_t>(spec_.port), http::Transport::kPlain},
        std::move(request), spec_.timeout, [this, alive, seq](Result<http::Response> response) {
          if (alive.expired() || seq != probe_seq_ || stopped_) {
            return;
          }
          ProbeResult result{.type = v1::CheckInfo::HTTP};
          if (response) {
            result.status_code = static_cast<uint32_t>(response->status);
          } else if (response.error().message().find("timed out") != std::string::npos) {
            result.timed_out = true;
          }
          finish(result);
        });
    return;
  }
  if (spec_.type == v1::CheckInfo::COMMAND) {
    LaunchSpec launch = commandLaunchSpec(spec_.command);
    launch.env = spec_.env;
    for (const auto& var : spec_.command.environment().variables()) {
      launch.env.push_back(var.name() + "=" + environmentValue(var));
    }
    launch.working_dir = spec_.working_dir;
    // Probe output would otherwise land in the task's own stdout/stderr.
    launch.stdout_path = "/dev/null";
    launch.stderr_path = "/dev/null";
    launch.new_session = false;
    if (spec_.enter && !spec_.enter(spec_.command, launch).isOk()) {
      return finish(ProbeResult{.type = v1::CheckInfo::COMMAND});
    }
    auto pid = launchProcess(launch);
    if (!pid) {
      return finish(ProbeResult{.type = v1::CheckInfo::COMMAND});
    }
    probe_pid_ = *pid;
  } else {
    // TCP: connect from a child so a slow peer never blocks the loop.
    uint16_t port = static_cast<uint16_t>(spec_.port);
    pid_t pid = ::fork();
    if (pid < 0) {
      return finish(ProbeResult{.type = v1::CheckInfo::TCP});
    }
    if (pid == 0) {
      ::setpgid(0, 0);
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      int rc = fd < 0 ? -1 : ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
      ::_exit(rc == 0 ? 0 : 1);
    }
    ::setpgid(pid, pid);
    probe_pid_ = pid;
  }
  timeout_timer_ = loop_.after(spec_.timeout, [this, seq, timed_out] {
    timeout_timer_ = 0;
    if (seq != probe_seq_ || probe_pid_ <= 0) {
      return;
    }
    ::kill(-probe_pid_, SIGKILL);
    ::kill(probe_pid_, SIGKILL);
    probe_pid_ = 0;  // its exit is reaped and ignored
    finish(timed_out);
  });
}

bool Checker::onChildExit(pid_t pid, int status) {
  if (pid <= 0 || pid != probe_pid_) {
    return false;
  }
  probe_pid_ = 0;
  // Anything the probe left in its group goes with it.
  ::kill(-pid, SIGKILL);
  if (timeout_timer_ != 0) {
    loop_.cancel(timeout_timer_);
    timeout_timer_ = 0;
  }
  if (stopped_) {
    return true;
  }
  ProbeResult result{.type = spec_.type};
  if (spec_.type == v1::CheckInfo::TCP) {
    result.connected = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    // As a shell reports it.
    result.exit_code = 128 + WTERMSIG(status);
  }
  finish(result);
  return true;
}

void Checker::finish(ProbeResult result) {
  if (stopped_) {
    return;
  }
  schedule(spec_.interval);
  callback_(result);
}

}  // namespace plateau::executor
