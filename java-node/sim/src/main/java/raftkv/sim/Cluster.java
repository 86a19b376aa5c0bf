package raftkv.sim;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import raftkv.core.Bug;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.core.RaftConfig;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.core.Snapshot;
import raftkv.core.Role;
import raftkv.core.SessionLimits;
import raftkv.core.StateQuota;
import raftkv.sim.ClientMessage.Answer;
import raftkv.sim.ClientMessage.Request;

/**
 * N nodes, their network and their clients ({@link Clients}) in one process, on one virtual clock.
 * All randomness comes from one {@link SplittableRandom} seeded per run (each node and each client
 * gets a generator split from it), so a seed replays a run exactly.
 */
final class Cluster implements SimNode.Wiring {

    /** Virtual milliseconds between two ticks of a node's clock (before per-node drift). */
    static final long TICK_MS = 10;

    /** Hears about notable moments, for the demo's narrative. */
    interface Observer {
        Observer NONE = new Observer() {};

        default void leaderElected(long timeMs, SimNode leader) {}

        default void steppedDown(long timeMs, SimNode former, long termLed) {}

        default void campaignStarted(long timeMs, SimNode candidate) {}

        default void truncated(long timeMs, SimNode node, long fromIndex) {}

        default void poweredOff(long timeMs, SimNode node) {}

        default void clientCompleted(long timeMs, int process, Op op, History.Type type) {}

        default void clientRetries(long timeMs, int process, Op op, String node, String why) {}
    }

    private final SplittableRandom random;
    private final Scheduler scheduler = new Scheduler();
    private final Network network;
    private final Invariants invariants = new Invariants(scheduler, this::node);
    private final Map<String, SimNode> nodes = new LinkedHashMap<>();
    private final List<String> ids = new ArrayList<>();
    private final Clients clients;
    private final RoleWatcher roles = new RoleWatcher();
    private final Map<String, Long> tickPeriod = new LinkedHashMap<>();
    private final java.util.function.Consumer<String> spawn;
    private final java.util.Set<String> retired = new java.util.TreeSet<>();
    private Observer observer = Observer.NONE;
    private int powerCuts;

    Cluster(long seed, int size, FaultMix mix, Set<Bug> bugs) {
        this(seed, size, mix, bugs, SessionLimits.DEFAULT);
    }

    /** @param sessions how each node's state machine bounds its client sessions (dissertation §6.3) */
    Cluster(long seed, int size, FaultMix mix, Set<Bug> bugs, SessionLimits sessions) {
        this(seed, size, mix, bugs, sessions, StateQuota.UNLIMITED);
    }

    /** @param quota each node's state quota (the same on every node, as a real cluster must have it) */
    Cluster(long seed, int size, FaultMix mix, Set<Bug> bugs, SessionLimits sessions, StateQuota quota) {
        this.random = new SplittableRandom(seed);
        this.network = new Network(scheduler, random.split(), mix);
        this.clients = new Clients(scheduler, network, ids, () -> observer);
        NodeDraws draws = new NodeDraws(seed); // snapshot, window and delay settings: generators of their own
        for (int i = 1; i <= size; i++) {
            ids.add("n" + i);
        }
        List<String> voters = List.copyOf(ids);
        // A node with its settings drawn in order: the voters first, then the membership mix's spare
        // nodes and the nodes it brings in later (a node of another mix draws exactly as before).
        this.spawn = id -> {
            boolean voter = voters.contains(id);
            RaftConfig config = draws.config(new RaftConfig(id, voter ? voters : List.of(), 10, 20, 2,
                    mix.maxEntriesPerAppend(), mix.maxAppendBurst(), bugs));
            nodes.put(id, new SimNode(voter ? config : config.joining(), sessions, quota, random.split(),
                    draws.writeDelays(), draws.restoreDelays(), draws.incarnations(), this));
            // Each clock runs at its own slightly different rate and phase (per-node jitter).
            tickPeriod.put(id, TICK_MS - 1 + random.nextLong(3));
            scheduler.after(random.nextLong(TICK_MS), new Event.Tick(id));
        };
        for (String id : voters) {
            spawn.accept(id);
        }
        for (int i = 0; i < mix.spareNodes(); i++) {
            addNode();
        }
    }

    void observe(Observer newObserver) {
        observer = newObserver;
    }

    /** The run's generator, for workload and faults (never for anything outside this run). */
    SplittableRandom random() {
        return random;
    }

    // ---------------------------------------------------------------- running

    /**
     * Runs events until {@code until} (virtual ms), stopping early once {@code stop} holds or an
     * invariant is violated. Returns true if {@code stop} held.
     */
    boolean runUntil(long until, BooleanSupplier stop) {
        while (invariants.violation() == null) {
            if (stop.getAsBoolean()) {
                return true;
            }
            Event event = scheduler.next(until);
            if (event == null) {
                return stop.getAsBoolean();
            }
            dispatch(event);
        }
        return false;
    }

    private void dispatch(Event event) {
        switch (event) {
            case Event.Tick tick -> {
                SimNode node = nodes.get(tick.node());
                if (node.isUp()) {
                    node.tick();
                }
                scheduler.after(tickPeriod.get(tick.node()), tick); // a crashed node's clock keeps time
            }
            case Event.Deliver deliver -> {
                Message m = deliver.message();
                SimNode node = nodes.get(m.to());
                if (node.isUp() && network.canDeliver(m.from(), m.to())) {
                    node.step(m);
                }
            }
            case Event.ToNode toNode -> {
                SimNode node = nodes.get(toNode.request().node());
                if (node.isUp()) {
                    node.request(toNode.request());
                }
            }
            case Event.ToClient toClient -> clients.get(toClient.reply().client()).receive(toClient.reply());
            case Event.SnapshotWritten written -> written.written().run();
            case Event.SnapshotRestored restored -> restored.restored().run();
            case Event.Timer timer -> timer.action().run();
        }
        if (!(event instanceof Event.Timer || event instanceof Event.ToClient)) {
            invariants.afterEvent(nodes.values());
            roles.notice(nodes.values(), scheduler.now(), observer);
        }
    }

    // ---------------------------------------------------------------- faults

    void crash(String id) {
        nodes.get(id).crash();
    }

    /** The power goes out at the node's next fsync (see {@link PowerCutFileSystem}). */
    void cutPowerAtNextSync(String id) {
        nodes.get(id).cutPowerAtNextSync();
    }

    void restart(String id) {
        if (retired.contains(id)) {
            return; // that machine is gone for good
        }
        SimNode node = nodes.get(id);
        if (node.isUp()) {
            node.crash(); // its power cut never came (it did not fsync while "down"): cut it now
        }
        node.restart(random.split());
    }

    /**
     * A new machine with an empty disk and a new id, not a member of anything yet (it joins as a
     * learner, dissertation §4.2.1). Returns its id.
     */
    String addNode() {
        String id = "n" + (ids.size() + 1);
        ids.add(id);
        spawn.accept(id);
        return id;
    }

    /**
     * The machine is gone for good: it loses power and never comes back. A node that lost its data
     * returns as a new member with a new id ({@link #addNode()}), never under its old one: a
     * configuration some stale log still holds would count the empty node as the old voter.
     */
    void retire(String id) {
        retired.add(id);
        if (nodes.get(id).isUp()) {
            nodes.get(id).crash();
        }
    }

    /** The ids of every machine, retired ones too, in the order they were added. */
    List<String> nodes() {
        return ids;
    }

    /** The ids of the machines that still exist, in the order they were added. */
    List<String> live() {
        return ids.stream().filter(id -> !retired.contains(id)).toList();
    }

    void partition(Partition partition) {
        network.partition(partition);
    }

    void heal() {
        network.partition(Partition.NONE);
    }

    // ---------------------------------------------------------------- clients

    /** A client of which half the writes and cas go without a session ({@link Client.Sessions#HALF}). */
    Client addClient(String home, Supplier<Op> workload) {
        return addClient(home, workload, Client.Sessions.HALF);
    }

    Client addClient(String home, Supplier<Op> workload, Client.Sessions sessions) {
        return clients.add(home, random.split(), workload, sessions);
    }

    List<Client> clients() {
        return clients.all();
    }

    /** What the clients did: every invocation and completion, for the linearizability checker. */
    History history() {
        return clients.history();
    }

    // ---------------------------------------------------------------- SimNode.Wiring

    @Override
    public void send(Message message) {
        network.send(message);
    }

    @Override
    public void reply(Request request, Answer answer) {
        scheduler.after(network.delay(), new Event.ToClient(
                new ClientMessage.Reply(request.requestId(), request.client(), request.opId(), answer)));
    }

    @Override
    public void persisted(SimNode node, Ready ready) {
        if (ready.truncateFrom() > 0) {
            observer.truncated(scheduler.now(), node, ready.truncateFrom());
        }
        invariants.persisted(node, ready);
    }

    @Override
    public void applied(SimNode node, LogEntry entry, Result result) {
        invariants.applied(node, entry, result);
    }

    @Override
    public void restored(SimNode node, Snapshot snapshot) {
        invariants.restored(node, snapshot);
    }

    SnapshotCounts snapshotCounts() {
        return new SnapshotCounts(nodes.values().stream().mapToLong(n -> n.disk().snapshotsSaved()).sum(),
                nodes.values().stream().mapToLong(n -> n.disk().snapshotsInstalled()).sum(),
                nodes.values().stream().mapToLong(n -> n.disk().powerCutsInSnapshots()).sum(),
                network.snapshotChunks(), nodes.values().stream().mapToLong(SimNode::restores).sum(),
                nodes.values().stream().mapToLong(SimNode::stepsWhileRestoring).sum());
    }

    @Override
    public void snapshotStarted(SimNode node, long delayMs, Runnable written) {
        scheduler.after(delayMs, new Event.SnapshotWritten(node.id(), written));
    }

    @Override
    public void restoreStarted(SimNode node, long delayMs, Runnable restored) {
        scheduler.after(delayMs, new Event.SnapshotRestored(node.id(), restored));
    }

    @Override
    public void committed(SimNode node) {
        invariants.committed(node);
    }

    @Override
    public void poweredOff(SimNode node) {
        powerCuts++;
        observer.poweredOff(scheduler.now(), node);
    }

    /** How many restarts so far found a torn WAL tail and cut it. */
    int tornTailsCut() {
        return nodes.values().stream().mapToInt(node -> node.disk().tornTailsCut()).sum();
    }

    /** How many session registrations the state machine refused because its table was full (§6.3). */
    int registrationsRefused() {
        return clients.registrationsRefused();
    }

    /** How many nodes lost power in the middle of an fsync so far. */
    int powerCuts() {
        return powerCuts;
    }

    /** How many client writes the state machine refused because of the state quota. */
    int quotaRefusals() {
        return clients.quotaRefusals();
    }

    // ---------------------------------------------------------------- observation

    Collection<SimNode> all() {
        return nodes.values();
    }

    SimNode node(String id) {
        return nodes.get(id);
    }

    Invariants invariants() {
        return invariants;
    }

    Network network() {
        return network;
    }

    Scheduler scheduler() {
        return scheduler;
    }

    long now() {
        return scheduler.now();
    }

    long events() {
        return scheduler.processed();
    }

    /** The up node that is leader in the highest term, or null. */
    SimNode leader() {
        SimNode best = null;
        for (SimNode node : nodes.values()) {
            if (node.isUp() && node.raft().role() == Role.LEADER
                    && (best == null || node.raft().currentTerm() > best.raft().currentTerm())) {
                best = node;
            }
        }
        return best;
    }
}
