package raftkv.server;

import java.io.IOException;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.RaftNode;
import raftkv.server.http.HttpApi;
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
     * @throws raftkv.storage.WalCorruptedException if the data directory cannot be trusted
     */
    public static RunningNode start(NodeConfig config, RandomGenerator random, Consumer<Throwable> onFatal)
            throws IOException {
        DiskStorage storage = DiskStorage.open(new RealFileSystem(), config.dataDir());
        log.info("node {} recovered term {}, vote {}, {} log entries from {}", config.id(),
                storage.recoveredHardState().currentTerm(), storage.recoveredHardState().votedFor(),
                storage.recoveredEntries().size(), config.dataDir());
        RaftNode node = RaftNode.restart(config.raftConfig(), storage.recoveredHardState(),
                storage.recoveredEntries(), random);
        StreamTransport transport = new StreamTransport(config.id(), config.peers(), config.clusterToken());
        EventLoop loop = new EventLoop(node, storage, transport, config.tickMs(), onFatal);
        HttpApi api;
        try {
            // The port opens before the Raft clock starts: a node that ticks, campaigns and votes
            // while its peers cannot reach it yet only delays the first election. Requests that
            // arrive before the loop runs wait in its queue.
            api = HttpApi.start(config, loop, transport::heardFrom);
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

    /** The HTTP port actually bound (useful when the configuration asked for port 0). */
    public int port() {
        return api.port();
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
