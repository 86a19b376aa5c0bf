package raftkv.server;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import raftkv.core.ClusterConfig;
import raftkv.core.Member;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
import raftkv.server.transport.StreamId;
import raftkv.server.transport.StreamTransport;
import raftkv.server.identity.Bootstrap;
import raftkv.server.identity.BootstrapDecision;
import raftkv.server.identity.IdentityGate;
import raftkv.server.identity.PeerDiscovery;
import raftkv.storage.DiskStorage;
import raftkv.storage.IdentityFile;
import raftkv.storage.StoredIdentity;
import raftkv.storage.StorageCorruptedException;
import raftkv.storage.fs.FileSystem;
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
    private final IdentityGate identity;
    private final Bootstrap bootstrap; // null: the directory already belonged to the cluster
    private final CompletableFuture<Bootstrap.Outcome> membership;
    private boolean closed; // guarded by lifecycle: the loop never starts after close()
    private final java.util.concurrent.locks.ReentrantLock lifecycle = new java.util.concurrent.locks.ReentrantLock();

    private final Thread discovery; // null unless a joined node started without a configuration

    private RunningNode(DiskStorage storage, StreamTransport transport, EventLoop loop, HttpApi api,
            IdentityGate identity, Bootstrap bootstrap, Thread discovery) {
        this.discovery = discovery;
        this.storage = storage;
        this.transport = transport;
        this.loop = loop;
        this.api = api;
        this.identity = identity;
        this.bootstrap = bootstrap;
        if (bootstrap == null) {
            StoredIdentity.Member member = identity.member().orElseThrow();
            this.membership = CompletableFuture.completedFuture(new Bootstrap.Outcome.Joined(member));
            startLoop();
        } else {
            this.membership = bootstrap.outcome().thenApply(outcome -> {
                if (outcome instanceof Bootstrap.Outcome.Joined) {
                    startLoop();
                }
                return outcome;
            });
        }
    }

    private void startLoop() {
        lifecycle.lock();
        try {
            if (!closed) {
                loop.start();
            }
        } finally {
            lifecycle.unlock();
        }
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
        FileSystem fs = metrics.measure(new RealFileSystem());
        DiskStorage storage = DiskStorage.open(fs, config.dataDir());
        IdentityFile identityFile = new IdentityFile(fs, config.dataDir());
        StoredIdentity stored;
        try {
            stored = storedIdentity(identityFile, config.id());
        } catch (IOException | RuntimeException e) {
            storage.close();
            throw e;
        }
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
        long incarnation = StreamId.incarnation(BootCounter.next(config.dataDir()),
                ThreadLocalRandom.current().nextInt());
        RaftNode node = RaftNode.restart(config.raftConfig(), storage.recoveredHardState(), storage.recoveredSnapshot(),
                storage.recoveredEntries(), random, storage.snapshotSink(), incarnation);
        IdentityGate identity = new IdentityGate(stored, identityFile::save);
        Isolation isolation = new Isolation(); // test-only fault injection; never on unless asked for
        StreamTransport transport = new StreamTransport(config.id(), config.peerStreamUrls(), config.clusterToken(),
                incarnation, metrics, identity::credentials, isolation);
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
        // Members come and go (§4.1): the transport's peers and the identity table follow the latest
        // configuration, from the one recovered (or the first, from --peers) on.
        loop.onConfiguration(configuration -> membersChanged(config, configuration, transport, identity));
        membersChanged(config, loop.status().configuration(), transport, identity);
        Thread discovery = config.joinUrl() == null || !loop.status().configuration().ids().isEmpty() ? null
                : PeerDiscovery.start(config.id(), config.joinUrl(), config.clusterToken(),
                        () -> !loop.status().configuration().ids().isEmpty(), transport::updatePeers);
        HttpApi api;
        try {
            // The port opens before the Raft clock starts: a node that ticks, campaigns and votes
            // while its peers cannot reach it yet only delays the first election. Requests that
            // arrive before the loop runs wait in its queue.
            api = HttpApi.start(config, loop, metrics, peer -> {
                transport.heardFrom(peer);
                contact.heard(peer);
            }, recorder, isolation, identity);
            log.info("node {} accepts connections on port {}; the Raft clock starts now", config.id(), api.port());
        } catch (RuntimeException e) { // e.g. the port is taken: undo what was started
            transport.close();
            storage.close();
            throw e;
        }
        Bootstrap bootstrap = null;
        if (stored instanceof StoredIdentity.Bootstrapping self) {
            // The first start of this directory: the Raft clock starts once the peers have told us
            // whose cluster this is (BootstrapDecision), or never, if this directory is not the one
            // the cluster knows by this node's id.
            BootstrapDecision.RaftState state = storage.recoveredHardState().currentTerm() > 0
                    || !storage.recoveredEntries().isEmpty() || storage.recoveredSnapshot().isPresent()
                    ? BootstrapDecision.RaftState.PRESENT : BootstrapDecision.RaftState.EMPTY;
            bootstrap = Bootstrap.start(new Bootstrap.Request(self, state, config.members().keySet(),
                    config.peerStreamUrls(), config.clusterToken()), identity, identityFile::save);
        } else {
            log.info("node {}: cluster {}, data directory incarnation {}; the Raft clock starts now", config.id(),
                    identity.member().orElseThrow().clusterId(), StoredIdentity.format(stored.incarnation()));
        }
        return new RunningNode(storage, transport, loop, api, identity, bootstrap, discovery);
    }

    private static void membersChanged(NodeConfig config, ClusterConfig configuration, StreamTransport transport,
            IdentityGate identity) {
        Map<String, URI> peers = new TreeMap<>();
        for (String id : configuration.ids()) {
            String url = configuration.member(id).map(Member::peerUrl).orElse("");
            URI peer = url.isEmpty() ? config.peerStreamUrls().get(id) : URI.create(url);
            if (!id.equals(config.id()) && peer != null) {
                peers.put(id, peer);
            }
        }
        if (!configuration.ids().isEmpty()) { // a node that joins knows no one until the leader speaks
            transport.updatePeers(peers);
        }
        try {
            identity.configurationChanged(configuration);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("saving the identity table", e);
        }
    }

    /**
     * The directory's identity; a directory that has none gets one now, durably, before anyone can
     * ask for it: a new incarnation, drawn at random (issue 20).
     */
    private static StoredIdentity storedIdentity(IdentityFile file, String id) throws IOException {
        Optional<StoredIdentity> stored = file.load();
        if (stored.isPresent()) {
            if (!stored.get().node().equals(id)) {
                throw new StorageCorruptedException("the data directory belongs to node " + stored.get().node()
                        + ", not to " + id + ": start it with --id " + stored.get().node() + " or give " + id
                        + " its own directory");
            }
            return stored.get();
        }
        long incarnation = 0;
        while (incarnation == 0) {
            incarnation = new SecureRandom().nextLong();
        }
        StoredIdentity fresh = new StoredIdentity.Bootstrapping(id, incarnation);
        file.save(fresh);
        log.info("node {}: a new data directory, incarnation {}", id, StoredIdentity.format(incarnation));
        return fresh;
    }

    /**
     * How this node's first start ended: at once for a directory that already belonged to the
     * cluster; otherwise once its peers have answered ({@link Bootstrap}). Completes exceptionally if
     * the identity could not be saved.
     */
    public CompletableFuture<Bootstrap.Outcome> membership() {
        return membership;
    }

    /** This node's identity and the check its peers' messages pass. */
    public IdentityGate identity() {
        return identity;
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
        lifecycle.lock();
        try {
            closed = true;
        } finally {
            lifecycle.unlock();
        }
        if (discovery != null) {
            discovery.interrupt();
        }
        if (bootstrap != null) {
            try {
                bootstrap.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
