package raftkv.server;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.KvStore;
import raftkv.core.RaftNode;
import raftkv.core.Snapshot;
import raftkv.core.TransferResult;
import raftkv.server.history.EventHistory;
import raftkv.server.history.EventRecorder;
import raftkv.server.history.NodeEvent;
import raftkv.server.history.PeerContact;
import raftkv.server.history.Timeline;
import raftkv.server.http.HttpApi;
import raftkv.server.metrics.NodeMetrics;
import raftkv.server.transport.Isolation;
import raftkv.server.transport.StreamTransport;
import raftkv.storage.DiskStorage;
import raftkv.storage.fs.RealFileSystem;

/**
 * A started node: durable storage, peer transport, the event loop that owns the Raft core, and the
 * HTTP API — started in that order and closed in the reverse one. The CLI and the in-process
 * tests both start nodes through here, so there is one place that knows how the pieces fit.
 */
public final class RunningNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RunningNode.class);

    private final DiskStorage storage;
    private final StreamTransport transport;
    private final EventLoop loop;
    private final HttpApi api;

    private RunningNode(DiskStorage storage, StreamTransport transport, EventLoop loop, HttpApi api) {
        this.storage = storage;
        this.transport = transport;
        this.loop = loop;
        this.api = api;
    }

    /**
     * Recovers the node's state from {@code config.dataDir()} and starts serving.
     *
     * @param random the only source of randomness of the Raft core (election timeouts)
     * @param onFatal called on the loop thread if persisting fails or the core throws
     * @throws raftkv.storage.StorageCorruptedException if the data directory cannot be trusted
     */
    public static RunningNode start(NodeConfig config, RandomGenerator random, Consumer<Throwable> onFatal)
            throws IOException {
        NodeMetrics metrics = new NodeMetrics(config.id());
        DiskStorage storage = DiskStorage.open(metrics.measure(new RealFileSystem()), config.dataDir());
        log.info("node {} recovered term {}, vote {}, snapshot {}, {} log entries from {}", config.id(),
                storage.recoveredHardState().currentTerm(), storage.recoveredHardState().votedFor(),
                storage.recoveredSnapshot().map(Snapshot::toString).orElse("none"), storage.recoveredEntries().size(),
                config.dataDir());
        // The state machine starts from the newest snapshot; only the log after it is replayed.
        // The quota is part of the state machine: a node with another quota would refuse other writes.
        log.info("node {}: state quota {} bytes (--max-state-bytes); every node must use the same", config.id(),
                config.quota().maxBytes());
        // It streams from the snapshot's file; the core keeps the snapshot to send, read from the file too.
        KvStore kv = new KvStore(config.sessions(), config.quota());
        storage.recoveredSnapshot().ifPresent(kv::restore);
        // This process's incarnation, raised at every start: the peers tell its streams from an earlier
        // one's by it, and the leader keeps the requests it forwards apart from an earlier boot's,
        // even if the clock stepped back (issue 19). A boot count in the high half, random in the low.
        long incarnation = StreamTransport.StreamId.incarnation(BootCounter.next(config.dataDir()),
                ThreadLocalRandom.current().nextInt());
        RaftNode node = RaftNode.restart(config.raftConfig(), storage.recoveredHardState(), storage.recoveredSnapshot(),
                storage.recoveredEntries(), random, storage.snapshotSink(), incarnation);
        Isolation isolation = new Isolation(); // test-only fault injection; never on unless asked for
        StreamTransport transport = new StreamTransport(config.id(), config.peerStreamUrls(), config.clusterToken(),
                incarnation, metrics, isolation);
        // The node's event history and timeline (GET /events, /timeline): kept here, outside the core.
        PeerContact contact = new PeerContact(config.peers().keySet(), System::nanoTime);
        EventHistory history = new EventHistory(EventHistory.DEFAULT_CAPACITY, System::currentTimeMillis);
        history.record(NodeEvent.Kind.STARTED, storage.recoveredHardState().currentTerm(), config.id()
                + " started (term " + storage.recoveredHardState().currentTerm() + ", "
                + storage.recoveredEntries().size() + " log entries recovered)");
        EventRecorder recorder = new EventRecorder(config.id(), history,
                new Timeline(Timeline.DEFAULT_SECONDS, System::currentTimeMillis), contact,
                TimeUnit.MILLISECONDS.toNanos(config.electionTimeoutMaxMs()));
        EventLoop loop = new EventLoop(node, kv, storage, transport, config.tickMs(), onFatal,
                LoopObserver.both(metrics, recorder), config.limits().clientQueueCapacity());
        metrics.watch(loop::status);
        config.peers().keySet().forEach(peer -> metrics.watchFollower(peer, loop::status));
        HttpApi api;
        try {
            // The port opens before the Raft clock starts: a node that ticks, campaigns and votes
            // while its peers cannot reach it yet only delays the first election. Requests that
            // arrive before the loop runs wait in its queue.
            api = HttpApi.start(config, loop, metrics, peer -> {
                transport.heardFrom(peer);
                contact.heard(peer);
            }, recorder, isolation);
            log.info("node {} accepts connections on port {}; the Raft clock starts now", config.id(), api.port());
        } catch (RuntimeException e) { // e.g. the port is taken: undo what was started
            transport.close();
            storage.close();
            throw e;
        }
        loop.start();
        return new RunningNode(storage, transport, loop, api);
    }

    public EventLoop loop() {
        return loop;
    }

    /** Client requests holding a place now (admission control; docs/api.md). */
    public int inflightRequests() {
        return api.inflightRequests();
    }

    /** Client requests waiting for a place now (admission control). */
    public int waitingRequests() {
        return api.waitingRequests();
    }

    /** The HTTP port actually bound (useful when the configuration asked for port 0). */
    public int port() {
        return api.port();
    }

    /** The port peers stream to: the peers' own ({@link PeerPort.Own}), or the client port. */
    public int peerPort() {
        return api.peerPort();
    }

    /**
     * If this node leads, hands leadership to the most up-to-date follower and waits (at most
     * {@code timeout}) until another node leads; used before a planned shutdown (§3.10).
     */
    public void handOffLeadership(Duration timeout) {
        if (!"leader".equals(loop.status().role())) {
            return;
        }
        try {
            TransferResult started = loop.transferLeadership(null).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            log.info("handing leadership off before shutdown: {}", started);
            long deadline = System.nanoTime() + timeout.toNanos();
            // Until another node leads (this one steps down first, knowing no leader for a moment).
            while (System.nanoTime() - deadline < 0
                    && (loop.status().leader() == null || loop.status().leader().equals(loop.status().id()))) {
                Thread.sleep(5);
            }
            log.info("leader is now {}", loop.status().leader());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("leadership hand-off did not complete: {}", e.toString());
        }
    }

    @Override
    public void close() throws IOException {
        api.stop();
        stopLoop(loop);
        transport.close();
        storage.close();
    }

    private static void stopLoop(EventLoop loop) {
        try {
            loop.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
