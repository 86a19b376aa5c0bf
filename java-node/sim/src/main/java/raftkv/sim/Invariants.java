package raftkv.sim;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Arrays;
import raftkv.core.ClusterConfig;
import raftkv.core.LogEntry;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.core.Role;
import raftkv.core.Snapshot;
import raftkv.core.SnapshotChange;

/**
 * The safety properties of Figure 3, checked while the simulation runs. Every change to a log goes
 * through a Ready, so checking each Ready (and every node's role after each event) checks the
 * properties after every step, without rescanning whole logs.
 */
final class Invariants {

    /** The first property found broken, with when and how. */
    record Violation(long timeMs, String property, String detail) {
        @Override
        public String toString() {
            return property + " violated at t=" + timeMs + "ms: " + detail;
        }
    }

    /** An entry seen committed, and the lowest term of a node that saw it committed. */
    private record Committed(LogEntry entry, long seenInTerm) {}

    /** An entry at (index, term) and the term of the entry before it: equal pairs ⇒ equal prefixes. */
    private record Placed(LogEntry entry, long previousTerm) {}

    private record IndexTerm(long index, long term) {}

    /** How far Leader Completeness was checked for a node's leadership of {@code term}. */
    private record LeaderCheck(long term, int changesChecked) {}

    private final Scheduler clock;
    private final java.util.function.Function<String, SimNode> nodes;
    private final Map<Long, String> leaderOfTerm = new TreeMap<>();
    private final Map<IndexTerm, Placed> placed = new HashMap<>();
    private record Applied(LogEntry entry, Result result, String node) {}

    private final List<Applied> applied = new ArrayList<>(); // applied.get(i - 1): the first entry applied at i
    private final List<Committed> committed = new ArrayList<>(); // committed.get(i - 1)
    private final Map<String, Long> commitSeen = new HashMap<>();
    private final List<Integer> commitChanges = new ArrayList<>(); // slots of committed, in order of change
    private final Map<String, LeaderCheck> leaderChecks = new HashMap<>();
    private final Map<Long, byte[]> snapshots = new HashMap<>(); // the bytes of the first snapshot seen at each index
    private Violation violation;

    Invariants(Scheduler clock, java.util.function.Function<String, SimNode> nodes) {
        this.clock = clock;
        this.nodes = nodes;
    }

    Violation violation() {
        return violation;
    }

    private void fail(String property, String detail) {
        if (violation == null) {
            violation = new Violation(clock.now(), property, detail);
        }
    }

    /**
     * Log Matching: "if two logs contain an entry with the same index and term, then the logs are
     * identical in all entries up through the given index" (§5.3). Checked inductively: the same
     * (index, term) must always hold the same entry after the same previous term.
     */
    void persisted(SimNode node, Ready ready) {
        if (ready.snapshot() instanceof SnapshotChange.Taken taken) {
            sameSnapshot(node, taken.snapshot());
        }
        for (LogEntry entry : ready.entriesToAppend()) {
            Placed here = new Placed(entry, termBefore(node, entry.index()));
            Placed first = placed.putIfAbsent(new IndexTerm(entry.index(), entry.term()), here);
            if (first != null && !first.equals(here)) {
                fail("Log Matching", node.id() + " holds " + describe(entry) + " after term " + here.previousTerm()
                        + ", another log holds " + describe(first.entry()) + " after term " + first.previousTerm());
            }
        }
    }

    /** The term of the entry before {@code index} in the node's log, just persisted with it; 0 at the start. */
    private static long termBefore(SimNode node, long index) {
        return node.raft().termAt(index - 1);
    }

    /**
     * State Machine Safety for snapshots: the state machine's bytes are deterministic, so every
     * snapshot of index i, taken anywhere or installed from a leader, must be the same.
     */
    private void sameSnapshot(SimNode node, Snapshot snapshot) {
        // A copy: the snapshot's data lives in a file of the node's disk, which a crash takes away.
        byte[] bytes = snapshot.data().readAll();
        byte[] first = snapshots.putIfAbsent(snapshot.lastIncludedIndex(), bytes);
        if (first != null && !Arrays.equals(first, bytes)) {
            fail("State Machine Safety", node.id() + " holds a snapshot of index " + snapshot.lastIncludedIndex()
                    + " that differs from another node's (" + bytes.length + " vs " + first.length + " bytes)");
        }
    }

    /** A node reset its state machine from the leader's snapshot: it must agree with every other one. */
    void restored(SimNode node, Snapshot snapshot) {
        sameSnapshot(node, snapshot);
    }

    /**
     * State Machine Safety: no two servers apply a different command for the same index (§5.4.3);
     * and, the state machine being deterministic, the same command gives the same result everywhere.
     */
    void applied(SimNode node, LogEntry entry, Result result) {
        int slot = Math.toIntExact(entry.index() - 1);
        while (applied.size() < slot) {
            applied.add(null); // applied elsewhere only through a snapshot so far
        }
        Applied first = slot < applied.size() ? applied.get(slot) : null;
        if (first == null) {
            if (slot == applied.size()) {
                applied.add(new Applied(entry, result, node.id()));
            } else {
                applied.set(slot, new Applied(entry, result, node.id()));
            }
        } else if (!first.entry().equals(entry)) {
            fail("State Machine Safety", node.id() + " applied " + describe(entry) + " where " + first.node()
                    + " applied " + describe(first.entry()));
        } else if (!first.result().equals(result)) {
            fail("State Machine Safety", node.id() + " applied " + describe(entry) + " with result " + result
                    + " where " + first.node() + " got " + first.result());
        }
    }

    /**
     * Records the entries a node now considers committed. Two different entries committed at one
     * index break State Machine Safety; a committed entry missing from a later leader breaks Leader
     * Completeness.
     */
    void committed(SimNode node) {
        long commitIndex = node.raft().commitIndex();
        long seen = commitSeen.getOrDefault(node.id(), 0L);
        if (commitIndex < seen) {
            seen = commitIndex; // only under a bug switch: the core un-commits an overwritten entry
        }
        long term = node.raft().currentTerm();
        if (node.raft().role() == Role.LEADER && commitIndex > seen) {
            checkQuorumHolds(node, commitIndex);
        }
        List<LogEntry> log = node.raft().log();
        long first = node.raft().firstLogIndex();
        for (long index = Math.max(seen + 1, first); index <= commitIndex; index++) {
            LogEntry entry = log.get(Math.toIntExact(index - first));
            int slot = Math.toIntExact(index - 1);
            while (committed.size() < slot) {
                committed.add(null); // committed elsewhere only through a snapshot so far
            }
            if (slot == committed.size() || committed.get(slot) == null) {
                if (slot == committed.size()) {
                    committed.add(new Committed(entry, term));
                } else {
                    committed.set(slot, new Committed(entry, term));
                }
                commitChanges.add(slot);
            } else if (!committed.get(slot).entry().equals(entry)) {
                fail("State Machine Safety", node.id() + " committed " + describe(entry) + " where "
                        + describe(committed.get(slot).entry()) + " was committed before");
                return;
            } else if (term < committed.get(slot).seenInTerm()) {
                committed.set(slot, new Committed(entry, term));
                commitChanges.add(slot);
            }
        }
        commitSeen.put(node.id(), commitIndex);
    }

    /**
     * The commit rule across configurations (§5.3 with dissertation §4.1): an entry a leader commits is
     * held by a majority of the voters of the configuration the leader uses, its latest — learners,
     * removed nodes and nodes outside it do not count. Each voter's log (or snapshot) is looked at as
     * it is now; a correct leader counted only acknowledgements of what was durable.
     */
    private void checkQuorumHolds(SimNode leader, long index) {
        ClusterConfig configuration = leader.raft().configuration();
        long term = leader.raft().termAt(index);
        List<String> holders = new ArrayList<>();
        for (String voter : configuration.voterIds()) {
            SimNode node = nodes.apply(voter);
            if (node != null && (node.raft().firstLogIndex() > index || node.raft().termAt(index) == term)) {
                holders.add(voter);
            }
        }
        if (!configuration.hasQuorum(holders)) {
            fail("Commit Quorum", leader.id() + ", leader of term " + leader.raft().currentTerm() + ", committed entry "
                    + index + " of term " + term + " held only by " + holders + " of the voters "
                    + configuration.voterIds());
        }
    }

    /**
     * After every event: Election Safety ("at most one leader can be elected in a given term", §5.2)
     * across the whole run, and Leader Completeness ("if a log entry is committed in a given term,
     * then that entry will be present in the logs of the leaders for all higher-numbered terms",
     * §5.4) for every leader.
     */
    void afterEvent(Collection<SimNode> nodes) {
        for (SimNode node : nodes) {
            if (!node.isUp() || node.raft().role() != Role.LEADER) {
                continue;
            }
            long term = node.raft().currentTerm();
            String first = leaderOfTerm.putIfAbsent(term, node.id());
            if (first != null && !first.equals(node.id())) {
                fail("Election Safety", "both " + first + " and " + node.id() + " were leader in term " + term);
            }
            checkComplete(node, term);
        }
    }

    private void checkComplete(SimNode leader, long term) {
        // A leader's log only grows within its term, so after a full check at the start of its
        // term only the commitments recorded since can be missing.
        LeaderCheck done = leaderChecks.get(leader.id());
        if (done == null || done.term() != term) {
            for (int slot = 0; slot < committed.size(); slot++) {
                checkHolds(leader, term, slot);
            }
        } else {
            for (int i = done.changesChecked(); i < commitChanges.size(); i++) {
                checkHolds(leader, term, commitChanges.get(i));
            }
        }
        leaderChecks.put(leader.id(), new LeaderCheck(term, commitChanges.size()));
    }

    private void checkHolds(SimNode leader, long term, int slot) {
        Committed c = committed.get(slot);
        if (c == null || c.seenInTerm() >= term) {
            return; // seen committed only in this term or later: not a commitment of an earlier term
        }
        List<LogEntry> log = leader.raft().log();
        long first = leader.raft().firstLogIndex();
        if (slot + 1 < first) {
            return; // compacted into the leader's snapshot, whose agreement sameSnapshot checks
        }
        LogEntry mine = slot + 1 - first < log.size() ? log.get(Math.toIntExact(slot + 1 - first)) : null;
        if (!c.entry().equals(mine)) {
            fail("Leader Completeness", leader.id() + ", leader of term " + term + ", lacks "
                    + describe(c.entry()) + " committed in term " + c.seenInTerm() + " (it holds "
                    + (mine == null ? "nothing" : describe(mine)) + ")");
        }
    }

    /** The terms that had a leader, and who it was. */
    Map<Long, String> leaders() {
        return leaderOfTerm;
    }

    static String describe(LogEntry entry) {
        return "entry " + entry.index() + " of term " + entry.term() + " (" + entry.command() + ")";
    }
}
