"""Operator calls now and then during the soak: reserve and unreserve, quota, a maintenance
window. Answers are counted by status; a 5xx from a leader that stays the leader is noted."""

import time

from procs import http


class Operator(object):
    def __init__(self, harness, rng):
        self.h = harness
        self.rng = rng
        self.counts = {}
        self.reserved = {}  # agent id -> resources reserved for role "ops"

    def tick(self):
        if self.rng.random() > 0.08:
            return
        kind = self.rng.choice(["reserve", "unreserve", "quota", "maintenance"])
        address = self.h.leader_address()
        agent_ids = sorted(self.h.agent_ids.values())
        if address is None or not agent_ids:
            return
        agent = self.rng.choice(agent_ids)
        body = getattr(self, "_" + kind)(agent)
        if body is None:
            return
        code, answer = http(address, "/api/v1", body, timeout=5)
        key = "%s %s" % (kind, code)
        self.counts[key] = self.counts.get(key, 0) + 1
        if code is not None and 200 <= code < 300 and kind == "reserve":
            self.reserved[agent] = body["reserve_resources"]["resources"]
        elif code is not None and 200 <= code < 300 and kind == "unreserve":
            self.reserved.pop(agent, None)
        if code is None or code >= 500:
            self.h.note("operator %s on %s answered %s %s" % (kind, agent, code,
                                                           str(answer)[:200]))

    @staticmethod
    def _ops(name, value):
        return {"name": name, "type": "SCALAR", "scalar": {"value": value},
                "reservations": [{"type": "DYNAMIC", "role": "ops"}]}

    def _reserve(self, agent):
        if agent in self.reserved:
            return None
        resources = [self._ops("cpus", 0.2), self._ops("mem", 32)]
        return {"type": "RESERVE_RESOURCES", "reserve_resources": {
            "agent_id": {"value": agent}, "resources": resources}}

    def _unreserve(self, agent):
        if not self.reserved:
            return None
        agent = sorted(self.reserved)[0]
        return {"type": "UNRESERVE_RESOURCES", "unreserve_resources": {
            "agent_id": {"value": agent}, "resources": self.reserved[agent]}}

    def _quota(self, agent):
        cpus = self.rng.choice([0.0, 0.5, 1.0])
        return {"type": "UPDATE_QUOTA", "update_quota": {"force": True, "quota_configs": [{
            "role": "ops", "guarantees": {"cpus": {"value": cpus}} if cpus else {},
            "limits": {"cpus": {"value": 2.0}}}]}}

    def _maintenance(self, agent):
        if self.rng.random() < 0.5:
            return {"type": "UPDATE_MAINTENANCE_SCHEDULE",
                    "update_maintenance_schedule": {"schedule": {"windows": []}}}
        # A window an hour away: inverse offers, no draining during the run.
        start = int((time.time() + 3600) * 1e9)
        return {"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule": {
            "schedule": {"windows": [{
                "machine_ids": [{"hostname": "soak-maintenance", "ip": "127.0.0.2"}],
                "unavailability": {"start": {"nanoseconds": start}}}]}}}
