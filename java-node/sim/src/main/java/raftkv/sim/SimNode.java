package raftkv.sim;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;
import raftkv.core.KvStore;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.core.ProposalResult;
import raftkv.core.RaftConfig;
import raftkv.core.RaftNode;
import raftkv.core.ReadResult;
import raftkv.core.ReadState;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.sim.ClientMessage.Answer;
import raftkv.sim.ClientMessage.Call;
import raftkv.sim.ClientMessage.Request;

/**
 * One simulated server: a {@link RaftNode}, its {@link Storage} and {@link KvStore}, and the
 * client requests waiting for an answer. It drives the core exactly as the real server's event
 * loop does: every input is followed by the Ready loop (persist → send → apply/serve → advance).
 */
final class SimNode {

    /** Where a node's outputs go: the simulated network, the clients, and the invariant checker. */
    interface Wiring {
        void send(Message message);

        void reply(Request request, Answer answer);

        void persisted(SimNode node, Ready ready);

        void applied(SimNode node, LogEntry entry);

        void committed(SimNode node);
    }

    /** A proposal waiting for the entry at its index to commit: ours if the term matches. */
    private record Pending(long term, Request request) {}

    private final RaftConfig config;
    private final int maxSessions;
    private final Wiring wiring;
    private final Storage storage = new Storage();
    private RaftNode raft;
    private KvStore kv;
    private boolean up = true;

    // Volatile: lost in a crash, like the clients' connections to a real process.
    private final TreeMap<Long, List<Pending>> proposals = new TreeMap<>();
    private final Map<Long, Request> reads = new TreeMap<>();
    private final List<ReadState> readsWaitingForApply = new ArrayList<>();

    SimNode(RaftConfig config, int maxSessions, RandomGenerator random, Wiring wiring) {
        this.config = config;
        this.maxSessions = maxSessions;
        this.wiring = wiring;
        this.raft = RaftNode.create(config, random);
        this.kv = new KvStore(maxSessions);
    }

    String id() {
        return config.id();
    }

    boolean isUp() {
        return up;
    }

    RaftNode raft() {
        return raft;
    }

    KvStore kv() {
        return kv;
    }

    Storage storage() {
        return storage;
    }

    // ---------------------------------------------------------------- faults

    /** The process dies: only {@link Storage} survives. */
    void crash() {
        up = false;
        proposals.clear();
        reads.clear();
        readsWaitingForApply.clear();
    }

    /**
     * The process starts again from what it persisted. The state machine starts empty and is rebuilt
     * as the node re-learns the commit index and re-applies the log from index 1.
     */
    void restart(RandomGenerator random) {
        raft = RaftNode.restart(config, storage.hardState(), storage.log(), random);
        kv = new KvStore(maxSessions);
        up = true;
    }

    // ---------------------------------------------------------------- inputs

    void tick() {
        raft.tick();
        handleReady();
    }

    void step(Message message) {
        raft.step(message);
        handleReady();
    }

    void request(Request request) {
        switch (request.call()) {
            case Call.Read read -> {
                if (raft.read(request.requestId()) instanceof ReadResult.NotLeader notLeader) {
                    wiring.reply(request, new Answer.NotLeader(notLeader.leaderHint()));
                } else {
                    reads.put(request.requestId(), request);
                }
            }
            case Call.Propose propose -> {
                switch (raft.propose(propose.command(), propose.session())) {
                    case ProposalResult.Appended appended -> proposals
                            .computeIfAbsent(appended.index(), i -> new ArrayList<>())
                            .add(new Pending(appended.term(), request));
                    case ProposalResult.NotLeader notLeader ->
                            wiring.reply(request, new Answer.NotLeader(notLeader.leaderHint()));
                }
            }
        }
        handleReady();
    }

    // ---------------------------------------------------------------- the Ready loop

    private void handleReady() {
        while (true) {
            Ready ready = raft.ready();
            if (ready.isEmpty()) {
                raft.advance();
                return;
            }
            // 1. persist, before anything leaves the node
            storage.persist(ready);
            wiring.persisted(this, ready);
            // 2. send
            ready.messages().forEach(wiring::send);
            // 3. apply committed entries, then serve the reads whose read index is applied
            for (LogEntry entry : ready.committedEntries()) {
                apply(entry);
            }
            readsWaitingForApply.addAll(ready.readStates());
            serveReads();
            for (long dropped : ready.droppedReads()) {
                Request request = reads.remove(dropped);
                if (request != null) {
                    wiring.reply(request, new Answer.ReadDropped());
                }
            }
            // 4. done
            raft.advance();
            wiring.committed(this);
        }
    }

    private void apply(LogEntry entry) {
        Result result = kv.apply(entry);
        wiring.applied(this, entry);
        List<Pending> waiting = proposals.remove(entry.index());
        if (waiting == null) {
            return;
        }
        for (Pending pending : waiting) {
            // ProposalResult.Appended: "it takes effect if and only if the entry committed at index
            // carries term"; any other term there means this copy was overwritten.
            Answer answer = pending.term() == entry.term() ? new Answer.Done(result) : new Answer.Overwritten();
            wiring.reply(pending.request(), answer);
        }
    }

    private void serveReads() {
        Iterator<ReadState> it = readsWaitingForApply.iterator();
        while (it.hasNext()) {
            ReadState state = it.next();
            if (state.readIndex() > kv.lastApplied()) {
                continue; // §6.4 step 4: wait until the state machine has applied up to readIndex
            }
            it.remove();
            Request request = reads.remove(state.requestId());
            if (request != null && request.call() instanceof Call.Read read) {
                wiring.reply(request, new Answer.Done(kv.get(read.key())));
            }
        }
    }
}
