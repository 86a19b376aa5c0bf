package raftkv.core;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A few RaftNodes wired to each other in one test: every tick, each node ticks, then every message is
 * delivered (in order, at once) until none is left, except to and from nodes that are cut off. The
 * simulator does all this with delays, loss and crashes; here it only shows a rule at work.
 */
final class MiniCluster {

    final Map<String, RaftNode> nodes = new LinkedHashMap<>();
    final Set<String> cutOff = new HashSet<>();
    long delivered;

    MiniCluster(List<String> voters) {
        long seed = 1;
        for (String id : voters) {
            nodes.put(id, RaftNode.create(Harness.config(id, voters), new SplittableRandom(seed++)));
        }
    }

    /** Adds a node that joins the cluster later: no configuration of its own (§4.2.1). */
    RaftNode join(String id) {
        RaftNode node = RaftNode.create(Harness.config(id, List.of()).joining(), new SplittableRandom(id.hashCode()));
        nodes.put(id, node);
        return node;
    }

    void tick(int times) {
        for (int i = 0; i < times; i++) {
            for (RaftNode node : nodes.values()) {
                node.tick();
            }
            deliver();
        }
    }

    /** Delivers messages until none is left. */
    void deliver() {
        Deque<Message> queue = new ArrayDeque<>();
        for (RaftNode node : nodes.values()) {
            queue.addAll(Harness.drain(node).messages());
        }
        while (!queue.isEmpty()) {
            Message m = queue.poll();
            RaftNode to = nodes.get(m.to());
            if (to == null || cutOff.contains(m.to()) || cutOff.contains(m.from())) {
                continue;
            }
            delivered++;
            to.step(m);
            queue.addAll(Harness.drain(to).messages());
        }
    }

    /** The leader of the highest term among the nodes, or null. */
    RaftNode leader() {
        RaftNode best = null;
        for (RaftNode node : nodes.values()) {
            if (node.role() == Role.LEADER && (best == null || node.currentTerm() > best.currentTerm())) {
                best = node;
            }
        }
        return best;
    }

    /** Ticks until a leader that has committed an entry of its term exists. */
    RaftNode awaitLeader() {
        for (int i = 0; i < 500; i++) {
            RaftNode leader = leader();
            if (leader != null && leader.termAt(leader.commitIndex()) == leader.currentTerm()) {
                return leader;
            }
            tick(1);
        }
        throw new AssertionError("no leader");
    }
}
