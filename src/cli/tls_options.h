#pragma once

// The `plateau` command's TLS options: the daemons' --ssl_* flags (docs/tls.md) that mean
// something to a client, by the same names. Mesos's CLI and mesos-execute take TLS settings
// only from libprocess's environment; here an option given on the command line wins over its
// LIBPROCESS_SSL_* (or SSL_*) variable, and a setting not given still comes from the variable.

#include <string>
#include <string_view>

namespace CLI {
class App;
}  // namespace CLI

namespace plateau::cli {

// Adds the --ssl_* options to `app` (which falls through, so they may come before or after the
// subcommand) and, once the command line is parsed and before any command runs, makes the ones
// given this process's TLS settings (http::useTlsFlags). A setting that does not parse or a file
// that does not load (from an option or a variable) stops the command there, exit code 2, with
// a message naming it.
void addTlsOptions(CLI::App& app);

// The user's message for a request to `what` ("the master") at `where` that got no answer:
// "TLS handshake with the master at H:P failed: <why>" when the handshake failed (so that a
// certificate problem is not mistaken for a daemon that is down), else "cannot reach the master
// at H:P: <error>" followed by `hint` on its own line, when there is one.
std::string connectionFailure(std::string_view what, const std::string& where,
                              std::string_view error, std::string_view hint = "");

}  // namespace plateau::cli
