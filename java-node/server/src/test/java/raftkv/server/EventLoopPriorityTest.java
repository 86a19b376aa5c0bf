package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.Command;
import raftkv.core.KvStore;
import raftkv.core.Message;
import raftkv.core.RaftConfig;
import raftkv.core.RaftNode;
import raftkv.server.transport.StreamTransport;
import raftkv.server.transport.Transport;
import raftkv.storage.DiskStorage;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * Peer traffic is never starved by clients: peer messages have their own queue, and each turn of
 * the loop steps every queued peer message before it takes any client event. A full client queue
 * therefore neither drops nor delays a heartbeat or an acknowledgement, and a flood of client
 * writes cannot make a healthy leader lose its quorum (CheckQuorum, dissertation §6.2).
 */
class EventLoopPriorityTest {

    private static final int CLIENT_QUEUE = 100;

    private final List<Message> sent = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private EventLoop loop;

    @AfterEach
    void stop() throws Exception {
        if (loop != null) {
            loop.stop();
        }
        for (AutoCloseable closeable : toClose.reversed()) {
            closeable.close();
        }
    }

    /** n1 of three, a follower with no leader yet, whose loop is built but NOT started. */
    private void buildFollower() throws IOException {
        DiskStorage storage = DiskStorage.open(new StrictMemFileSystem(), Path.of("/data/n1"));
        toClose.add(storage);
        // Election timeout far beyond the test's length: n1 stays a follower.
        RaftConfig config = new RaftConfig("n1", List.of("n1", "n2", "n3"), 10_000, 20_000, 1, 256, 8, Set.of());
        RaftNode node = RaftNode.restart(config, storage.recoveredHardState(), storage.recoveredEntries(),
                new SplittableRandom(1));
        Transport transport = new Transport() {
            @Override
            public void send(List<Message> messages) {
                sent.addAll(messages);
            }

            @Override
            public void close() {}
        };
        loop = new EventLoop(node, new KvStore(), storage, transport, 10, e -> {
            throw new AssertionError("event loop failed", e);
        }, LoopObserver.NONE, CLIENT_QUEUE);
    }

    private static Message.AppendEntries heartbeat(long term, String leader) {
        return new Message.AppendEntries(term, leader, "n1", 0, 0, List.of(), 0, 1);
    }

    @Test
    void aFullClientQueueNeverDropsAPeerMessage() throws Exception {
        buildFollower();
        int queued = 0;
        while (!(loop.propose(new Command.Put("k", "v"), null).getNow(null) instanceof WriteOutcome.Overloaded)) {
            queued++;
        }
        assertThat(queued).as("the client queue is full").isEqualTo(CLIENT_QUEUE);

        // Two peers, each of which may have a transport queue's worth of messages for us.
        for (int i = 0; i < 2 * StreamTransport.QUEUE_CAPACITY; i++) {
            assertThat(loop.deliver(heartbeat(1, "n2"))).as("peer message %d", i).isTrue();
        }
        assertThat(loop.deliver(heartbeat(1, "n2"))).as("beyond what the peers can have queued").isFalse();
        assertThat(loop.peerMessagesLost()).isEqualTo(1);

        loop.start();
        awaitTrue(() -> "n2".equals(loop.status().leader()), "n1 stepped the heartbeats and follows n2");
    }

    @Test
    void peerMessagesAreSteppedBeforeClientEventsThatWereQueuedEarlier() throws Exception {
        buildFollower();
        // Writes first, then the heartbeat of a new leader. Taken in arrival order, the writes would
        // meet a follower that knows no leader and be refused; peer messages first, n1 learns its
        // leader in the same turn and forwards every one of them to it.
        List<CompletableFuture<WriteOutcome>> writes = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            writes.add(loop.propose(new Command.Put("k" + i, "v"), null));
        }
        assertThat(loop.deliver(heartbeat(1, "n2"))).isTrue();

        loop.start();
        awaitTrue(() -> sent.stream().filter(m -> m instanceof Message.ForwardedProposal).count() == 50,
                "all 50 writes forwarded to n2");
        assertThat(sent).filteredOn(m -> m instanceof Message.ForwardedProposal)
                .allSatisfy(m -> assertThat(m.to()).isEqualTo("n2"));
        assertThat(writes).noneMatch(CompletableFuture::isDone); // none refused: they wait for n2's answer
    }

    /**
     * Three real nodes in this JVM, the leader's client queue kept full by a flood of writes for
     * several election timeouts: the leader loses no peer message, nobody's term changes, the leader
     * stays, and the followers keep committing (AppendEntries and their acknowledgements flow).
     */
    @Test
    void aFloodOfClientWritesDoesNotDeposeTheLeader(@TempDir Path dataDir) throws Exception {
        List<RunningNode> nodes = startCluster(dataDir, 3);
        RunningNode leader = awaitLeader(nodes);
        long term = leader.loop().status().term();
        List<RunningNode> followers = nodes.stream().filter(n -> n != leader).toList();

        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicLong refused = new AtomicLong();
        Thread flood = Thread.ofPlatform().name("flood").start(() -> {
            for (int i = 0; flooding.get(); i++) {
                CompletableFuture<WriteOutcome> write = leader.loop().propose(new Command.Put("k" + i % 100, "v"), null);
                if (write.getNow(null) instanceof WriteOutcome.Overloaded) {
                    refused.incrementAndGet();
                    LockSupport.parkNanos(20_000); // refill at once, without taking a whole core
                }
            }
        });
        long[] commitBefore = followers.stream().mapToLong(f -> f.loop().status().commitIndex()).toArray();
        List<String> changes = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(3).toNanos(); // five election timeouts and more
        try {
            while (System.nanoTime() - end < 0) {
                for (RunningNode node : nodes) {
                    NodeStatus status = node.loop().status();
                    if (status.term() != term || !leader.loop().status().id().equals(status.leader())) {
                        changes.add(status.id() + ": term " + status.term() + ", leader " + status.leader());
                    }
                }
                Thread.sleep(20);
            }
        } finally {
            flooding.set(false);
            flood.join();
        }

        assertThat(refused.get()).as("the leader's client queue was full, again and again").isPositive();
        // One queue for both, as before, lost some 170 peer messages at the leader in these 3 s.
        assertThat(leader.loop().peerMessagesLost()).as("peer messages the leader could not queue").isZero();
        assertThat(changes).as("no election, no other leader").isEmpty();
        for (int i = 0; i < followers.size(); i++) {
            assertThat(followers.get(i).loop().status().commitIndex()).as("follower %s commits",
                    followers.get(i).loop().status().id()).isGreaterThan(commitBefore[i] + 100);
        }
    }

    // ---------------------------------------------------------------- helpers

    private List<RunningNode> startCluster(Path dataDir, int size) throws IOException {
        TreeMap<String, URI> members = new TreeMap<>();
        TreeMap<String, URI> peerUrls = new TreeMap<>(); // a port of their own, as every launcher starts nodes
        for (int i = 1; i <= size; i++) {
            members.put("n" + i, URI.create("http://127.0.0.1:" + freePort()));
            peerUrls.put("n" + i, URI.create("http://127.0.0.1:" + freePort()));
        }
        List<RunningNode> nodes = new ArrayList<>();
        for (String id : members.keySet()) {
            NodeConfig config = NodeConfig.builder(id, members, dataDir.resolve(id))
                    .listen("127.0.0.1", members.get(id).getPort())
                    .peerPort(new PeerPort.Own("127.0.0.1", peerUrls.get(id).getPort(), peerUrls))
                    .build();
            RunningNode node = RunningNode.start(config, new SplittableRandom(id.hashCode()), e -> {
                throw new AssertionError("event loop of " + id + " failed", e);
            });
            toClose.add(node);
            nodes.add(node);
        }
        return nodes;
    }

    private static RunningNode awaitLeader(List<RunningNode> nodes) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() - deadline < 0) {
            for (RunningNode node : nodes) {
                NodeStatus status = node.loop().status();
                boolean everyoneFollows = nodes.stream()
                        .allMatch(n -> status.id().equals(n.loop().status().leader()));
                if ("leader".equals(status.role()) && everyoneFollows) {
                    return node;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no leader that every node follows within 30 s");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(5);
        }
    }
}
