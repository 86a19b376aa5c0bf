package raftkv.server.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import raftkv.server.EventLoop;
import raftkv.server.NodeConfig;
import raftkv.server.RunningNode;
import raftkv.server.identity.TestIdentities;
import raftkv.server.transport.StreamTransport;

/** One real node (event loop, WAL, HTTP on an ephemeral loopback port) inside the test JVM. */
final class InProcessNode implements AutoCloseable {

    private final RunningNode node;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final NodeConfig config;
    final URI base;

    /**
     * Node {@code n1}; {@code otherMembers} are peers that do not exist (nothing listens on their
     * ports), so with none it is a one-node cluster that elects itself, and with some it never can.
     */
    InProcessNode(Path dataDir, String clusterToken, int requestTimeoutMs, String... otherMembers) throws IOException {
        this(config(dataDir, clusterToken, requestTimeoutMs, otherMembers));
    }

    /** As above, with {@code limits} (e.g. a small admission bound). */
    InProcessNode(Path dataDir, NodeConfig.Limits limits, String clusterToken, int requestTimeoutMs,
            String... otherMembers) throws IOException {
        this(config(dataDir, clusterToken, requestTimeoutMs, otherMembers).toBuilder().limits(limits).build());
    }

    /** The members of a cluster of n1 with peers "n2" and "n3", whose identities tests present. */
    static final java.util.List<String> THREE = java.util.List.of("n1", "n2", "n3");

    /**
     * A node started with {@code config}, e.g. {@link #config} with some setting changed. Its data
     * directory belongs to the cluster at once ({@link TestIdentities#seed}): its peers do not exist,
     * or the test plays them, so it cannot wait for them to describe their directories.
     */
    InProcessNode(NodeConfig config) throws IOException {
        this.config = config;
        TestIdentities.seed(config.dataDir(), config.id(), config.members().keySet());
        node = RunningNode.start(config, new SplittableRandom(7), e -> {
            throw new AssertionError("event loop failed", e);
        });
        base = URI.create("http://127.0.0.1:" + node.port());
    }

    /** The configuration of node {@code n1}, as the first constructor describes it. */
    static NodeConfig config(Path dataDir, String clusterToken, int requestTimeoutMs, String... otherMembers) {
        Map<String, URI> members = new TreeMap<>();
        members.put("n1", URI.create("http://127.0.0.1:1")); // own URL: unused, we listen on port 0
        for (int i = 0; i < otherMembers.length; i++) {
            members.put(otherMembers[i], URI.create("http://127.0.0.1:" + (2 + i))); // closed ports
        }
        return NodeConfig.builder("n1", new TreeMap<>(members), dataDir)
                .listen("127.0.0.1", 0)
                .timing(5, 100, 200, 20)
                .clusterToken(clusterToken)
                .requestTimeoutMs(requestTimeoutMs)
                .build();
    }

    /** The base URL peers stream to: the node's peer port, or its client port when they share it. */
    URI peerBase() {
        return URI.create("http://127.0.0.1:" + node.peerPort());
    }

    int inflightRequests() {
        return node.inflightRequests();
    }

    int waitingForAdmission() {
        return node.waitingRequests();
    }

    EventLoop loop() {
        return node.loop();
    }

    void awaitRole(String role) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!loop().status().role().equals(role)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("n1 did not become " + role + "; it is " + loop().status().role());
            }
            Thread.sleep(5);
        }
    }

    HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        // Peer messages are checked against their sender's identity: present the one of the message's
        // "from" (n2 if the body names none), when it is a member.
        java.util.regex.Matcher from = java.util.regex.Pattern.compile("\"from\":\"([^\"]+)\"")
                .matcher(body == null ? "" : body);
        String sender = from.find() ? from.group(1) : "n2";
        if (path.startsWith("/raft/") && config.members().containsKey(sender)
                && !java.util.Arrays.asList(headers).contains(StreamTransport.CLUSTER_HEADER)) {
            request.headers(TestIdentities.headers(sender, config.members().keySet()));
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws IOException {
        node.close();
        client.close();
    }
}
