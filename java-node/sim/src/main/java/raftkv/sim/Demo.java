package raftkv.sim;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code make demo}: a 5-node cluster on the simulated network, narrated. It elects a leader,
 * stores a few Id => name pairs, cuts the leader off, elects another, heals, crashes and restarts a
 * follower, and shows every node holding the same map. Everything derives from the seed, so the
 * same seed prints the same story, byte for byte.
 */
final class Demo implements Cluster.Observer {

    private final PrintStream out;
    private final Cluster cluster;
    private final Map<String, Deque<Op>> queues = new LinkedHashMap<>();
    private final Map<String, Client> clientOf = new LinkedHashMap<>();

    private Demo(long seed, PrintStream out) {
        this.out = out;
        this.cluster = new Cluster(seed, 5, FaultMix.CALM, Set.of());
        for (SimNode node : cluster.all()) {
            Deque<Op> queue = new ArrayDeque<>();
            queues.put(node.id(), queue);
            clientOf.put(node.id(), cluster.addClient(node.id(), queue::poll, Client.Sessions.ALWAYS));
        }
        cluster.observe(this);
    }

    static void run(long seed, PrintStream out) {
        new Demo(seed, out).tell(seed);
    }

    private void tell(long seed) {
        out.println("raftkv demo, seed " + seed + ": 5 nodes n1..n5 in one process, a simulated network (1-8 ms per"
                + " message),");
        out.println("clocks ticking every ~10 ms, election timeout 10-20 ticks. Replay with: make demo SEED=" + seed);
        out.println();

        say("all five nodes start as followers, with empty logs");
        runUntil(5_000, () -> Simulation.followedLeader(cluster), "a leader");
        String first = cluster.leader().id();

        write(first, Op.write("1", "Ada"));
        write(first, Op.write("2", "Grace"));
        write(first, Op.write("3", "Edsger"));
        runUntil(2_000, () -> Simulation.converged(cluster), "replication");
        say("every node has applied the " + cluster.node(first).raft().commitIndex()
                + " committed entries (the leader's no-op and three writes)");

        Partition cut = Partition.isolate(first, cluster.nodes());
        cluster.partition(cut);
        say("PARTITION " + cut + ": the leader " + first + " is cut off from the majority");
        say("a client of " + first + " asks it to write 4 => Barbara; " + first
                + " appends it but can never commit it");
        submit(first, Op.write("4", "Barbara"));
        runUntil(3_000, () -> newLeader(first), "a new leader");
        String second = cluster.leader().id();
        runUntil(3_000, () -> done(first), "the client's retry");
        write(second, Op.cas("1", "Ada", "Lovelace"));
        read(second, "4");

        cluster.heal();
        say("HEAL: " + first + " hears of the new term and follows " + second);
        runUntil(5_000, () -> Simulation.converged(cluster), "convergence after the heal");

        String follower = cluster.nodes().stream().filter(n -> !n.equals(second)).findFirst().orElseThrow();
        cluster.crash(follower);
        say("CRASH " + follower + " (power loss): its memory is gone; its fsynced term, vote and log are on its disk");
        write(second, Op.write("5", "Leslie"));
        cluster.runUntil(cluster.now() + 300, () -> false);
        cluster.restart(follower);
        say("RESTART " + follower + " from its disk (" + cluster.node(follower).disk().recoveredEntries().size()
                + " entries, term " + cluster.node(follower).disk().recoveredHardState().currentTerm()
                + "); it re-applies them as it re-learns the commit index");
        runUntil(5_000, () -> Simulation.converged(cluster), "convergence after the restart");
        say(follower + " has caught up: every node has applied all " + cluster.node(second).raft().commitIndex()
                + " committed entries");

        out.println();
        table();
        out.println();
        Invariants.Violation violation = cluster.invariants().violation();
        out.println("invariants checked after every one of " + cluster.events() + " events: "
                + (violation == null ? "all held" : violation));
        out.println("history of " + cluster.history().completions() + " client operations: "
                + Linearizability.check(cluster.history().events()).detail());
    }

    private boolean newLeader(String old) {
        SimNode leader = cluster.leader();
        return leader != null && !leader.id().equals(old) && leader.raft().commitIndex() > 0
                && leader.raft().termAt(leader.raft().commitIndex()) == leader.raft().currentTerm();
    }

    private void write(String node, Op op) {
        submit(node, op);
        runUntil(3_000, () -> done(node), op.toString());
    }

    /** The client of {@code node} has finished everything it was given. */
    private boolean done(String node) {
        return queues.get(node).isEmpty() && clientOf.get(node).idle();
    }

    private void read(String node, String key) {
        write(node, Op.read(key));
    }

    private void submit(String node, Op op) {
        queues.get(node).add(op);
        clientOf.get(node).start(0);
    }

    private void runUntil(long withinMs, java.util.function.BooleanSupplier done, String what) {
        if (!cluster.runUntil(cluster.now() + withinMs, done)) {
            throw new IllegalStateException("demo stuck waiting for " + what + ": " + Simulation.states(cluster));
        }
    }

    private void table() {
        out.printf("%-5s %-9s %5s %7s %8s  %s%n", "node", "role", "term", "commit", "applied", "map Id => name");
        for (SimNode node : cluster.all()) {
            out.printf("%-5s %-9s %5d %7d %8d  %s%n", node.id(), node.raft().role(), node.raft().currentTerm(),
                    node.raft().commitIndex(), node.kv().lastApplied(), node.kv().copyOfMap());
        }
        boolean same = cluster.all().stream().map(n -> n.kv().copyOfMap()).distinct().count() == 1;
        out.println(same ? "every node holds the same map" : "THE NODES DISAGREE");
    }

    private void say(String text) {
        say(cluster.now(), text);
    }

    private void say(long timeMs, String text) {
        out.printf("t=%6dms  %s%n", timeMs, text);
    }

    // ---------------------------------------------------------------- Cluster.Observer

    @Override
    public void leaderElected(long timeMs, SimNode leader) {
        say(timeMs, leader.id() + " is elected leader of term " + leader.raft().currentTerm());
    }

    @Override
    public void steppedDown(long timeMs, SimNode former, long termLed) {
        say(timeMs, former.id() + " steps down as leader of term " + termLed + (former.raft().currentTerm() > termLed
                ? ": it saw term " + former.raft().currentTerm()
                : ": it heard from no majority within an election timeout (CheckQuorum)"));
    }

    @Override
    public void clientRetries(long timeMs, int process, Op op, String node, String why) {
        say(timeMs, "client " + process + ": " + why + "; retries " + op + " at " + node
                + (op.f() == Op.F.READ ? "" : " with the same session, so it applies at most once"));
    }

    @Override
    public void truncated(long timeMs, SimNode node, long fromIndex) {
        say(timeMs, node.id() + " drops its log from index " + fromIndex
                + ": those entries were never committed, the leader's entries replace them");
    }

    @Override
    public void clientCompleted(long timeMs, int process, Op op, History.Type type) {
        say(timeMs, "client " + process + ": " + op + " -> " + type.name().toLowerCase());
    }
}
