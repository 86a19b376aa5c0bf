package raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The simulated client processes of one {@link Cluster}, and the world they share: the history they
 * record for the linearizability checker, the request ids, the virtual clock and the network's delays,
 * the node ids they may send to, and the counts of what the state machine refused them.
 */
final class Clients implements Client.World {

    private final Scheduler scheduler;
    private final Network network;
    private final List<String> nodeIds;
    private final Supplier<Cluster.Observer> observer;
    private final History history = new History();
    private final List<Client> clients = new ArrayList<>();
    private long nextRequestId;
    private int registrationsRefused;
    private int quotaRefusals;

    /**
     * @param nodeIds the ids of the cluster's machines, a live view (a machine added later is in it)
     * @param observer the cluster's observer at the time of each call
     */
    Clients(Scheduler scheduler, Network network, List<String> nodeIds, Supplier<Cluster.Observer> observer) {
        this.scheduler = scheduler;
        this.network = network;
        this.nodeIds = nodeIds;
        this.observer = observer;
    }

    /** A new client process, numbered in the order they were added; {@code random} is its own. */
    Client add(String home, SplittableRandom random, Supplier<Op> workload, Client.Sessions sessions) {
        Client client = new Client(clients.size(), home, this, random, workload, sessions);
        clients.add(client);
        return client;
    }

    /** Client process {@code process}. */
    Client get(int process) {
        return clients.get(process);
    }

    List<Client> all() {
        return clients;
    }

    /** How many session registrations the state machine refused because its table was full (§6.3). */
    int registrationsRefused() {
        return registrationsRefused;
    }

    /** How many client writes the state machine refused because of the state quota. */
    int quotaRefusals() {
        return quotaRefusals;
    }

    // ---------------------------------------------------------------- Client.World

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public long networkDelay() {
        return network.delay();
    }

    @Override
    public long nextRequestId() {
        return ++nextRequestId;
    }

    @Override
    public History history() {
        return history;
    }

    @Override
    public int clientCount() {
        return clients.size();
    }

    @Override
    public List<String> nodes() {
        return nodeIds;
    }

    @Override
    public void completed(int process, Op op, History.Type type) {
        observer.get().clientCompleted(scheduler.now(), process, op, type);
    }

    @Override
    public void registrationRefused() {
        registrationsRefused++;
    }

    @Override
    public void quotaRefused() {
        quotaRefusals++;
    }

    @Override
    public void retrying(int process, Op op, String node, String why) {
        observer.get().clientRetries(scheduler.now(), process, op, node, why);
    }
}
