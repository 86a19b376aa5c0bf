package raftkv.sim;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Supplier;
import raftkv.core.Bug;
import raftkv.core.ClusterConfig;
import raftkv.core.Role;
import raftkv.core.SessionLimits;
import raftkv.core.StateQuota;

/**
 * One randomized run, fully determined by its seed: a cluster under a client workload and a
 * nemesis for a while, then healed. It fails on the first broken invariant, if no leader emerges
 * or the nodes do not converge after the heal, or if the history is not linearizable.
 */
final class Simulation {

    static final List<String> KEYS = List.of("1", "2", "3");
    static final List<String> NAMES = List.of("Ada", "Grace", "Edsger", "Barbara", "Leslie");
    /** After the heal, a leader that every node follows must exist within this long. */
    static final long LEADER_BOUND_MS = 5_000;
    /** After the heal, every node must hold the same applied state within this long. */
    static final long CONVERGE_BOUND_MS = 15_000;

    /**
     * What to run.
     *
     * @param mix the faults; null lets the seed choose among {@link FaultMix#ALL}
     * @param sessions how each node bounds its client sessions (dissertation §6.3); tiny limits make
     *     them expire, or registrations be refused
     * @param quota each node's state quota; a small one makes writes be refused
     */
    record Settings(long seed, Set<Bug> bugs, FaultMix mix, int nodes, int clients, long faultsMs,
            SessionLimits sessions, StateQuota quota) {
        static Settings of(long seed) {
            return new Settings(seed, Set.of(), null, 5, 5, 5_000, SessionLimits.DEFAULT, StateQuota.UNLIMITED);
        }

        Settings withSessions(SessionLimits newSessions) {
            return new Settings(seed, bugs, mix, nodes, clients, faultsMs, newSessions, quota);
        }

        Settings withQuota(StateQuota newQuota) {
            return new Settings(seed, bugs, mix, nodes, clients, faultsMs, sessions, newQuota);
        }

        Settings withBugs(Set<Bug> newBugs) {
            return new Settings(seed, newBugs, mix, nodes, clients, faultsMs, sessions, quota);
        }

        Settings withMix(FaultMix newMix) {
            return new Settings(seed, bugs, newMix, nodes, clients, faultsMs, sessions, quota);
        }

        Settings withSeed(long newSeed) {
            return new Settings(newSeed, bugs, mix, nodes, clients, faultsMs, sessions, quota);
        }

        FaultMix effectiveMix() {
            return mix != null ? mix : FaultMix.ALL.get((int) Math.floorMod(seed, (long) FaultMix.ALL.size()));
        }

        /** One command line that replays this run. */
        String reproduce() {
            StringBuilder line = new StringBuilder("java -jar java-node/sim/target/raftkv-sim.jar run --seed " + seed);
            bugs.stream().sorted().forEach(bug -> line.append(" --bug ").append(bug.flag()));
            if (mix != null) {
                line.append(" --faults ").append(mix.name());
            }
            return line.toString();
        }
    }

    /** What happened. {@code failure} is null when every check passed. */
    /**
     * One seed's result; {@code powerCuts} counts nodes that lost power in the middle of an fsync,
     * {@code tornTailsCut} the restarts whose WAL recovery cut a torn tail, {@code registrationsRefused}
     * the clients' session registrations refused because the session table was full, {@code quotaRefusals}
     * the clients' writes refused by the state quota.
     */
    record Outcome(Settings settings, String failure, History history, long events, long simulatedMs,
            int powerCuts, int tornTailsCut, SnapshotCounts snapshots, int registrationsRefused,
            int quotaRefusals, MembershipNemesis.Counts membership) {
        boolean passed() {
            return failure == null;
        }
    }

    private Simulation() {}

    static Outcome run(Settings settings) {
        FaultMix mix = settings.effectiveMix();
        Cluster cluster = new Cluster(settings.seed(), settings.nodes(), mix, settings.bugs(), settings.sessions(),
                settings.quota());
        SplittableRandom random = cluster.random().split();
        for (int i = 0; i < settings.clients(); i++) {
            String home = "n" + (i % settings.nodes() + 1);
            cluster.addClient(home, workload(random.split())).start(random.nextLong(20));
        }
        Nemesis nemesis = new Nemesis(cluster, mix, random.split());
        cluster.observe(nemesis);
        nemesis.start();
        // Only the membership mix draws for it, so every other mix's seeds run as before.
        MembershipNemesis membership = mix.membershipEveryMs() > 0 ? new MembershipNemesis(cluster, mix, random.split())
                : null;
        if (membership != null) {
            membership.start();
        }

        String failure;
        try {
            failure = phases(cluster, nemesis, membership, settings.faultsMs());
        } catch (UncheckedIOException e) {
            // A node's disk did not recover after a power loss (say, a torn tail taken for corruption).
            failure = "Recovery at t=" + cluster.now() + "ms: " + e.getMessage() + ": " + e.getCause().getMessage();
        } catch (IllegalStateException e) {
            // One of the core's own safety assertions fired (a log that would go backwards, a gap...).
            failure = "Assertion at t=" + cluster.now() + "ms: " + e.getMessage();
        }
        if (failure == null) {
            Linearizability.Verdict verdict = Linearizability.check(cluster.history().events());
            if (!verdict.linearizable()) {
                failure = (verdict.inconclusive() ? "Linearizability check inconclusive: " : "Linearizability: ")
                        + verdict.detail();
            }
        }
        return new Outcome(settings, failure, cluster.history(), cluster.events(), cluster.now(),
                cluster.powerCuts(), cluster.tornTailsCut(), cluster.snapshotCounts(), cluster.registrationsRefused(),
                cluster.quotaRefusals(), membership == null ? MembershipNemesis.Counts.NONE : membership.counts());
    }

    /** Faults, then heal; returns why the run failed, or null. */
    private static String phases(Cluster cluster, Nemesis nemesis, MembershipNemesis membership, long faultsMs) {
        cluster.runUntil(faultsMs, () -> false);
        if (cluster.invariants().violation() != null) {
            return cluster.invariants().violation().toString();
        }
        if (membership != null) {
            membership.stop();
        }
        nemesis.stopAndHeal();
        cluster.clients().forEach(Client::stop);
        long healedAt = cluster.now();

        boolean led = cluster.runUntil(healedAt + LEADER_BOUND_MS, () -> followedLeader(cluster));
        if (cluster.invariants().violation() != null) {
            return cluster.invariants().violation().toString();
        }
        if (!led) {
            return "Liveness: no leader followed by every node within " + LEADER_BOUND_MS + "ms of the heal at t="
                    + healedAt + "ms:" + states(cluster);
        }
        boolean converged = cluster.runUntil(healedAt + CONVERGE_BOUND_MS, () -> converged(cluster));
        if (cluster.invariants().violation() != null) {
            return cluster.invariants().violation().toString();
        }
        if (!converged) {
            return "Convergence: nodes did not reach the same commit index and applied state within "
                    + CONVERGE_BOUND_MS + "ms of the heal: " + states(cluster);
        }
        SortedMap<String, String> first = null;
        for (SimNode node : members(cluster)) {
            SortedMap<String, String> map = node.kv().copyOfMap();
            if (first != null && !first.equals(map)) {
                return "Convergence: nodes applied the same entries but hold different maps: " + states(cluster);
            }
            first = map;
        }
        return null;
    }

    /**
     * The members of the leader's latest configuration (dissertation §4.1), or every node if there is
     * no leader: a node outside the configuration need not follow anyone nor hold the state.
     */
    static List<SimNode> members(Cluster cluster) {
        SimNode leader = cluster.leader();
        if (leader == null) {
            return List.copyOf(cluster.all());
        }
        ClusterConfig configuration = leader.raft().configuration();
        return cluster.all().stream().filter(node -> configuration.contains(node.id())).toList();
    }

    /** A leader every member follows in its term. */
    static boolean followedLeader(Cluster cluster) {
        SimNode leader = cluster.leader();
        if (leader == null) {
            return false;
        }
        for (SimNode node : members(cluster)) {
            if (node.raft().currentTerm() != leader.raft().currentTerm() || !leader.id().equals(node.raft().leaderId())) {
                return false;
            }
        }
        return true;
    }

    /** Quiescent: no client waits, and every node applied exactly the leader's whole log. */
    static boolean converged(Cluster cluster) {
        if (!followedLeader(cluster) || !cluster.clients().stream().allMatch(Client::idle)) {
            return false;
        }
        long last = cluster.leader().raft().status().lastLogIndex();
        for (SimNode node : members(cluster)) {
            if (node.raft().commitIndex() != last || node.kv().lastApplied() != last) {
                return false;
            }
        }
        return true;
    }

    static String states(Cluster cluster) {
        StringBuilder out = new StringBuilder();
        for (SimNode node : cluster.all()) {
            Role role = node.raft().role();
            out.append(String.format("%n  %s %-9s term %d commit %d applied %d log %d..%d snapshot %d map %s (%s)",
                    node.id(), role, node.raft().currentTerm(), node.raft().commitIndex(), node.kv().lastApplied(),
                    node.raft().firstLogIndex(), node.raft().status().lastLogIndex(), node.raft().snapshotIndex(),
                    new TreeMap<>(node.kv().copyOfMap()), node.raft().configuration()));
        }
        return out.toString();
    }

    /** Reads, writes and compare-and-sets of a few names on a few ids. */
    static Supplier<Op> workload(SplittableRandom random) {
        return () -> {
            String key = KEYS.get(random.nextInt(KEYS.size()));
            int dice = random.nextInt(10);
            if (dice < 4) {
                return Op.read(key);
            }
            String name = NAMES.get(random.nextInt(NAMES.size()));
            return dice < 7 ? Op.write(key, name) : Op.cas(key, NAMES.get(random.nextInt(NAMES.size())), name);
        };
    }
}
