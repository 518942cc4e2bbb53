"""The soak's invariants: on each status update, on each poll of the leader's state, and at the
end, from the frameworks' records, the leader's /master/state and the agents' /state."""

from framework import EXECUTOR_RANK, TERMINAL

EPS = 1e-6
LOSS = ("TASK_LOST", "TASK_UNREACHABLE", "TASK_GONE")


def on_update(h, fw, record, u, before):
    """Checks one update as it arrives at a framework."""
    agents = record.running_agents()
    if len(agents) > 1:
        h.violation("running_twice", "%s RUNNING on agents %s" % (record.task_id, sorted(agents)),
                    record.task_id)
    if u.source == "SOURCE_EXECUTOR" and u.uuid:
        seen = [uuid for uuid, _ in record.executor_uuids]
        if u.uuid not in seen:
            rank = EXECUTOR_RANK.get(u.state, 3)
            worse = [s for _, s in record.executor_uuids if EXECUTOR_RANK.get(s, 3) >= rank
                     and (rank == 3 or EXECUTOR_RANK.get(s, 3) > rank)]
            record.executor_uuids.append((u.uuid, u.state))
            if worse:
                h.violation("update_order", "%s: executor's %s arrived after %s" % (
                    record.task_id, u.state, worse), record.task_id)
    if u.state in ("TASK_LOST", "TASK_UNREACHABLE") and before not in TERMINAL and \
            not _excused(h, fw, record, u):
        h.violation("unexcused_loss", "%s %s (%s) on agent %s, which no fault took away" % (
            record.task_id, u.state, u.reason, u.agent_id), record.task_id)


def _excused(h, fw, record, u):
    """A task may be lost when its agent was killed (restarted past the window, or at all for a
    framework that does not checkpoint), paused past the window, or its executor was killed;
    or when the launch never reached an agent (its offer was rescinded, an operator's
    reservation took it, or the ACCEPT was lost in a failover)."""
    if u.reason in ("REASON_RECONCILIATION", "REASON_INVALID_OFFERS") and not any(
            x.state in ("TASK_STARTING", "TASK_RUNNING") for x in record.updates):
        return True  # the launch never reached an agent (a rescinded offer, a failover)
    if (fw.framework_id, record.task_id) in h.killed_executors:
        return True
    disruptive = {"agent_kill_long", "agent_pause_long"}
    if not fw.checkpoint:
        disruptive.add("agent_kill")
    since = u.t - 30
    if u.reason == "REASON_RECONCILIATION" and len(record.updates) > 1:
        # The master's own update may never have arrived (Mesos does not promise it):
        # reconciliation shows the loss later, so any cause since the last word counts.
        since = min(since, record.updates[-2].t)
    return h.agent_disrupted(record.agent_id or u.agent_id, since, u.t, disruptive)


def _restates_the_executor(record, u):
    """The master's answer to a reconciliation, giving the end its executor already sent (the
    framework's own KILL, say): no new fate."""
    return u.source == "SOURCE_MASTER" and u.reason == "REASON_RECONCILIATION" and any(
        x.state == u.state and x.source == "SOURCE_EXECUTOR" and x.t <= u.t
        for x in record.updates)


def after_agent_restart(h, entry):
    """A checkpointing framework's task running on an agent restarted within the window keeps
    running: no update but the executor's ends it because of the restart."""
    agent_id = entry.get("agent_id")
    for fw_name, task_id in entry.get("running_before", []):
        fw = h.framework(fw_name)
        record = fw.tasks[task_id]
        for u in record.updates:
            if u.t < entry["start"] or u.t > entry["end"] + h.window + 20:
                continue
            ended = u.state in TERMINAL or u.state == "TASK_UNREACHABLE"
            if ended and _restates_the_executor(record, u):
                continue  # a reconciliation answer that repeats the executor's own end
            if ended and u.source != "SOURCE_EXECUTOR" and \
                    (fw.framework_id, task_id) not in h.killed_executors and \
                    not h.agent_disrupted(agent_id, u.t - 30, u.t,
                                          {"agent_kill_long", "agent_pause_long"}):
                h.violation("checkpoint_lost", "%s of checkpointing %s ended %s (%s) after %s "
                            "was restarted within the window" % (task_id, fw_name, u.state,
                                                                 u.reason, entry["target"]),
                            task_id)
                return


def on_state(h, state):
    """Checks one /master/state of the leader."""
    where = {}
    for f in state.get("frameworks", []):
        for t in f.get("tasks", []):
            key = (f.get("id"), t.get("id"))
            if key in where:
                h.violation("running_twice", "master lists task %s twice (agents %s and %s)" % (
                    key[1], where[key], t.get("slave_id")), key[1])
            where[key] = t.get("slave_id")
    for a in state.get("slaves", []):
        total = a.get("resources", {})
        used = a.get("used_resources", {})
        offered = a.get("offered_resources", {})
        for name in ("cpus", "mem"):
            busy = used.get(name, 0) + offered.get(name, 0)
            if busy > total.get(name, 0) + EPS:
                h.violation("resources", "agent %s: used %.3f + offered %.3f %s > total %.3f" % (
                    a.get("id"), used.get(name, 0), offered.get(name, 0), name,
                    total.get(name, 0)), a.get("id"))
            if used.get(name, 0) < -EPS or offered.get(name, 0) < -EPS:
                h.violation("resources", "agent %s: negative %s" % (a.get("id"), name),
                            a.get("id"))


def on_agent_states(h, agent_states):
    """No task is live on two agents at once."""
    where = {}
    for name, st in agent_states.items():
        for f in st.get("frameworks", []):
            for e in f.get("executors", []):
                for t in e.get("tasks", []):
                    if t.get("state") in TERMINAL:
                        continue
                    key = (f.get("id"), t.get("id"))
                    if key in where and where[key] != name:
                        h.violation("running_twice", "%s is live on %s and on %s" % (
                            key[1], where[key], name), key[1])
                    where[key] = name


def final_fates(h):
    """Every task ever launched has one terminal fate."""
    for fw in h.frameworks:
        for record in fw.tasks.values():
            fate = record.fate()
            if fate is None and record.kill_sent is False:
                continue
            if fate not in TERMINAL:
                h.violation("no_fate", "%s of %s has no terminal state (last %s)" % (
                    record.task_id, fw.name, fate), record.task_id)
            if fate == "TASK_FINISHED":
                states = [s for _, s in record.executor_uuids]
                if "TASK_RUNNING" not in states:
                    h.violation("update_missing", "%s FINISHED without the executor's RUNNING" %
                                record.task_id, record.task_id)


def final_master(h, state):
    """The leader agrees with each framework on the fate of every task it still lists."""
    by_id = {fw.framework_id: fw for fw in h.frameworks}
    listed = set()
    for f in state.get("frameworks", []) + state.get("completed_frameworks", []):
        fw = by_id.get(f.get("id"))
        if fw is None:
            continue
        listed.add(fw.framework_id)
        for t in f.get("tasks", []) + f.get("completed_tasks", []):
            record = fw.tasks.get(t.get("id"))
            if record is None:
                h.violation("unknown_task", "master lists %s, which %s never launched" % (
                    t.get("id"), fw.name), t.get("id"))
                continue
            if t.get("state") != record.fate() and not _lost_then_ended(fw, record, t) and \
                    not _lost_then_gone(fw, record, t) and \
                    not _ended_unacknowledged(h, fw, record, t):
                h.violation("fate_mismatch", "%s: master says %s, %s says %s" % (
                    t.get("id"), t.get("state"), fw.name, record.fate()), t.get("id"))
    for fw in h.frameworks:
        if fw.framework_id and fw.framework_id not in listed:
            h.violation("registry", "the leader does not know framework %s (%s)" % (
                fw.name, fw.framework_id), fw.name)


def _lost_then_ended(fw, record, t):
    """As in Mesos: a framework that is not partition-aware was told TASK_LOST when the task's
    agent was removed; the master's books keep that, and when the agent comes back its task is
    killed and the agent's update passes through to the framework."""
    return not fw.partition_aware and t.get("state") == "TASK_LOST" and \
        any(u.state == "TASK_LOST" and u.source == "SOURCE_MASTER" for u in record.updates)


def _lost_then_gone(fw, record, t):
    """A partition-aware framework away while the master declared its task TASK_LOST (an agent
    of a framework that does not checkpoint disconnected) never gets that update (Mesos does not
    promise the master's own updates); asked later, the master answers as Mesos does for a task
    it no longer holds on a registered agent: TASK_GONE, "unknown to the agent". Both mean gone."""
    return fw.partition_aware and t.get("state") == "TASK_LOST" and \
        record.fate() == "TASK_GONE" and record.updates and \
        record.updates[-1].reason == "REASON_RECONCILIATION"


def _ended_unacknowledged(h, fw, record, t):
    """A task of a framework that does not checkpoint ended while its agent was away from the
    leader; the agent, re-registering, reported the end (the master lists it) and was killed
    before the update reached the framework. Its updates die with the agent, as in Mesos, and the
    master answers reconciliation for a task it no longer holds: TASK_GONE (TASK_LOST when not
    partition-aware). Both say the task is over; the master's books keep how it ended."""
    if fw.checkpoint or t.get("state") not in TERMINAL or not record.updates:
        return False
    last = record.updates[-1]
    return record.fate() in ("TASK_GONE", "TASK_LOST") and last.source == "SOURCE_MASTER" and \
        last.reason == "REASON_RECONCILIATION" and \
        h.agent_disrupted(record.agent_id or last.agent_id, record.updates[0].t, last.t,
                          {"agent_kill", "agent_kill_long"})


def final_agents(h, agent_states):
    """No agent runs a task whose fate is terminal; agents' own end states agree."""
    by_id = {fw.framework_id: fw for fw in h.frameworks}
    for name, st in agent_states.items():
        for f in st.get("frameworks", []) + st.get("completed_frameworks", []):
            fw = by_id.get(f.get("id"))
            if fw is None:
                continue
            for e in f.get("executors", []):
                for t in e.get("tasks", []) + e.get("queued_tasks", []):
                    h.violation("agent_leak", "%s still has %s (%s) after its fate %s" % (
                        name, t.get("id"), t.get("state"),
                        fw.tasks[t["id"]].fate() if t.get("id") in fw.tasks else None),
                        t.get("id"))
            for e in f.get("executors", []) + f.get("completed_executors", []):
                for t in e.get("completed_tasks", []):
                    record = fw.tasks.get(t.get("id"))
                    if record is not None and t.get("state") != record.fate() and \
                            record.fate() not in LOSS:
                        h.violation("fate_mismatch", "%s: %s says %s, %s says %s" % (
                            t.get("id"), name, t.get("state"), fw.name, record.fate()),
                            t.get("id"))


def resources_released(state):
    """Agents (by id) of the leader's state with resources still in use."""
    busy = []
    for a in state.get("slaves", []):
        used = a.get("used_resources", {})
        if used.get("cpus", 0) > EPS or used.get("mem", 0) > EPS:
            busy.append((a.get("id"), used.get("cpus", 0), used.get("mem", 0)))
    return busy


def registry_kept(h, state):
    """Every agent and framework the leader knew before each leader kill is known after it."""
    agents = {a.get("id") for a in state.get("slaves", [])}
    frameworks = {f.get("id") for f in state.get("frameworks", [])}
    for entry in h.leader_kills:
        pre = entry.get("pre_state")
        if not pre:
            continue
        for agent_id in pre["agents"]:
            if agent_id not in agents and agent_id not in h.replaced_agent_ids:
                h.violation("registry", "agent %s known before the leader kill at %.0fs is gone"
                            % (agent_id, entry["offset"]), agent_id)
        for framework_id in pre["frameworks"]:
            if framework_id not in frameworks:
                h.violation("registry", "framework %s known before the leader kill at %.0fs is "
                            "gone" % (framework_id, entry["offset"]), framework_id)


def memory(h):
    """No process's RSS grows without bound: compare the last third of each process's samples
    (its latest start) with the first third."""
    out = {}
    for name, samples in h.rss.items():
        if len(samples) < 6:
            continue
        third = len(samples) // 3
        early = max(s for _, s in samples[:third])
        late = min(s for _, s in samples[-third:])
        out[name] = {"first_kb": samples[0][1], "last_kb": samples[-1][1],
                     "samples": len(samples)}
        if late > 2 * early and late - early > 100 * 1024:
            h.violation("memory", "%s RSS grew from %d kB to %d kB" % (name, early, late), name)
    return out

