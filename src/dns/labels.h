#pragma once

// Mesos-DNS's naming rules for the parts of a name: how a task or framework name becomes DNS
// labels, the short hash of a task id in canonical names, and the agent id's tail. Pure
// functions; the same input always gives the same output as Mesos-DNS's records generator.

#include <string>
#include <string_view>

namespace plateau::dns {

// Which host-name rules labels follow: RFC 1123 (Mesos-DNS's default: up to 63 characters,
// may start with a digit) or RFC 952 (`enforceRFC952`: up to 24, must start with a letter).
enum class LabelRules { kRfc1123, kRfc952 };

// One DNS label from any text: ASCII letters lower-cased, digits kept, '-', '.' and '_' become
// '-', every other character (non-ASCII ones included) dropped; then leading characters the
// rules forbid are removed, the label is cut at the rules' length and trailing '-' removed
// (refilled from what follows the cut, as Mesos-DNS does). May return "".
std::string label(std::string_view name, LabelRules rules);

// A dotted name (a framework's) as labels: each '.'-separated part through label(), empty
// parts dropped, joined by '.'.
std::string domainFragment(std::string_view name, LabelRules rules);

// The 5-character hash of a task id in canonical names: SHA-1 of the id, z-base-32 encoded,
// first five characters.
std::string taskIdHash(std::string_view task_id);

// The last '-'-separated part of an agent id, lower-cased ("...-S12" -> "s12").
std::string agentIdTail(std::string_view agent_id);

}  // namespace plateau::dns
