package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.HardState;
import raftkv.core.Message;
import raftkv.server.identity.Bootstrap;
import raftkv.server.identity.IdentityGate;
import raftkv.server.transport.MessageCodec;
import raftkv.server.transport.StreamTransport;
import raftkv.storage.DiskStorage;
import raftkv.storage.HardStateFile;
import raftkv.storage.IdentityFile;
import raftkv.storage.StoredIdentity;
import raftkv.storage.fs.RealFileSystem;

/**
 * Issue 20, "a node that lost its data is a new node": three real nodes in this JVM, started on empty
 * directories (the cluster's first start, as every launcher does it), then a follower that voted in
 * the leader's term is wiped and restarted under its old id.
 */
class WipedNodeTest {

    private static final int HEARTBEAT_MS = 50;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final Map<String, RunningNode> nodes = new LinkedHashMap<>();
    private final TreeMap<String, URI> members = new TreeMap<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stopAll() throws IOException {
        for (RunningNode node : nodes.values()) {
            node.close();
        }
        client.close();
    }

    @Test
    void aNodeThatVotedInTermTAndWasWipedCannotVoteAgainInT_5_2() throws Exception {
        for (String id : List.of("n1", "n2", "n3")) {
            members.put(id, URI.create("http://127.0.0.1:" + freePort()));
        }
        for (String id : members.keySet()) {
            start(id);
        }
        for (String id : members.keySet()) { // the first start ends with the same cluster on every node
            assertThat(nodes.get(id).membership().get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOf(Bootstrap.Outcome.Joined.class);
        }
        String clusterId = nodes.get("n1").identity().member().orElseThrow().clusterId();
        assertThat(nodes.values()).allSatisfy(n -> assertThat(n.identity().member().orElseThrow().clusterId())
                .isEqualTo(clusterId));
        await(() -> leader() != null);
        String leader = leader();
        long term = nodes.get(leader).loop().status().term();

        // A follower that voted for the leader in its term (one did: the leader needed a vote).
        String voter = null;
        for (String id : members.keySet()) {
            if (!id.equals(leader)) {
                nodes.remove(id).close();
                HardState hard = new HardStateFile(new RealFileSystem(), dataDir(id).resolve(DiskStorage.HARD_STATE_FILE))
                        .load();
                if (hard.currentTerm() == term && leader.equals(hard.votedFor()) && voter == null) {
                    voter = id;
                } else {
                    start(id); // back with its data: a member again at once
                    assertThat(nodes.get(id).membership().get(5, TimeUnit.SECONDS))
                            .isInstanceOf(Bootstrap.Outcome.Joined.class);
                }
            }
        }
        assertThat(voter).as("a follower voted for " + leader + " in term " + term).isNotNull();
        String other = members.keySet().stream().filter(id -> !id.equals(leader) && nodes.containsKey(id))
                .findFirst().orElseThrow();
        IdentityGate.Credentials otherCredentials = nodes.get(other).identity().credentials().orElseThrow();

        // Wiped (rm -rf) and restarted under its old id.
        deleteRecursively(dataDir(voter));
        start(voter);
        Bootstrap.Outcome outcome = nodes.get(voter).membership().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOf(Bootstrap.Outcome.Refused.class);
        assertThat(((Bootstrap.Outcome.Refused) outcome).reason()).contains("lost its data").contains("--join");
        long newIncarnation = nodes.get(voter).identity().identity().incarnation();

        // It cannot give a second vote in term T: a candidate's RequestVote for T is refused before
        // its core sees it, and its core never ran (term 0, no vote).
        Message.RequestVote vote = new Message.RequestVote(term, other, voter, 1_000, term, false);
        HttpResponse<String> toWiped = stream(voter, other, otherCredentials, vote);
        assertThat(toWiped.statusCode()).as(toWiped.body()).isEqualTo(503);
        assertThat(toWiped.body()).contains("not_a_member");
        assertThat(nodes.get(voter).loop().status().term()).isZero();

        // Nor could a vote it gave count, nor an acknowledgement for a quorum: the leader and the
        // other follower refuse everything from its new directory.
        IdentityGate.Credentials wiped = new IdentityGate.Credentials(clusterId, newIncarnation);
        for (String receiver : List.of(leader, other)) {
            HttpResponse<String> reply = stream(receiver, voter, wiped,
                    new Message.RequestVoteReply(term, voter, receiver, true));
            assertThat(reply.statusCode()).as(reply.body()).isEqualTo(409);
            assertThat(reply.body()).contains("identity_mismatch").contains("lost its data");
        }
        assertThat(nodes.get(leader).identity().refused()).isPositive();

        // It does not spin: what the leader sends it is refused, at most at the heartbeat rate.
        long before = nodes.get(voter).identity().refused();
        Thread.sleep(2_000);
        long refusedIn2s = nodes.get(voter).identity().refused() - before;
        System.out.printf("wiped %s (voted for %s in term %d): refused, %d peer streams refused in 2 s%n", voter,
                leader, term, refusedIn2s);
        assertThat(refusedIn2s).isLessThanOrEqualTo(2_000 / HEARTBEAT_MS);
        assertThat(nodes.get(voter).loop().status().term()).isZero();
        assertThat(new HardStateFile(new RealFileSystem(), dataDir(voter).resolve(DiskStorage.HARD_STATE_FILE)).load())
                .isEqualTo(HardState.INITIAL);
        // Its directory keeps the new incarnation, never a member's table.
        assertThat(new IdentityFile(new RealFileSystem(), dataDir(voter)).load().orElseThrow())
                .isInstanceOf(StoredIdentity.Bootstrapping.class);
        assertThat(leader()).isEqualTo(leader); // the cluster went on
    }

    private void start(String id) throws IOException {
        NodeConfig config = NodeConfig.builder(id, members, dataDir(id))
                .listen("127.0.0.1", members.get(id).getPort())
                .timing(10, 300, 600, HEARTBEAT_MS)
                .build();
        nodes.put(id, RunningNode.start(config, new SplittableRandom(id.hashCode()), e -> {
            throw new AssertionError("event loop of " + id + " failed", e);
        }));
    }

    private Path dataDir(String id) {
        return dir.resolve(id);
    }

    private String leader() {
        String leader = null;
        for (RunningNode node : nodes.values()) {
            if (node.identity().member().isEmpty()) {
                continue;
            }
            String theirs = node.loop().status().leader();
            if (theirs == null || leader != null && !leader.equals(theirs)) {
                return null;
            }
            leader = theirs;
        }
        return leader;
    }

    /** One {@code POST /raft/stream} holding one frame, presenting {@code credentials}. */
    private HttpResponse<String> stream(String to, String from, IdentityGate.Credentials credentials, Message message)
            throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(body);
        byte[] frame = MessageCodec.toBytes(message);
        out.writeInt(frame.length);
        out.write(frame);
        HttpRequest request = HttpRequest.newBuilder(members.get(to).resolve(StreamTransport.STREAM_PATH))
                .header(StreamTransport.FROM_HEADER, from)
                .header(StreamTransport.STREAM_HEADER, "999999." + System.nanoTime())
                .header(StreamTransport.CLUSTER_HEADER, credentials.clusterId())
                .header(StreamTransport.INCARNATION_HEADER, StoredIdentity.format(credentials.incarnation()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT);
            }
            Thread.sleep(10);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
