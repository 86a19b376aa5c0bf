package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.server.NodeConfig;
import raftkv.server.PeerPort;
import raftkv.server.transport.StreamTransport;

/**
 * The peers' own port ({@link PeerPort.Own}): streams are delivered there, and each port refuses
 * the other's traffic, so that neither a client nor a misconfigured peer can blur the separation.
 */
class PeerPortTest {

    private static final String TOKEN = "s3cret";

    @TempDir
    Path dir;

    private InProcessNode node;
    private StreamTransport transport;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        NodeConfig shared = InProcessNode.config(dir, TOKEN, 2000, "n2", "n3");
        TreeMap<String, URI> peerUrls = new TreeMap<>();
        shared.members().keySet().forEach(id -> peerUrls.put(id, URI.create("http://127.0.0.1:1"))); // n1 listens on 0
        node = new InProcessNode(shared.toBuilder().peerPort(new PeerPort.Own("127.0.0.1", 0, peerUrls)).build());
    }

    @AfterEach
    void stop() throws Exception {
        if (transport != null) {
            transport.close();
        }
        node.close();
        client.close();
    }

    @Test
    void theNodeListensForPeersOnAPortOfTheirOwn() {
        assertThat(node.peerBase().getPort()).isPositive().isNotEqualTo(node.base.getPort());
    }

    @Test
    void aPeerStreamOnThePeerPortReachesTheEventLoop() throws Exception {
        transport = new StreamTransport("n2", Map.of("n1", node.peerBase()), TOKEN,
                raftkv.server.identity.TestIdentities.credentials("n2", InProcessNode.THREE));
        Message.AppendEntries append = new Message.AppendEntries(100, "n2", "n1", 0, 0,
                List.of(new LogEntry(100, 1, new Command.Put("a", "A"), null)), 0, 1);

        transport.send(List.of(append));

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (node.loop().status().lastIndex() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(node.loop().status().lastIndex()).isEqualTo(1);
    }

    @Test
    void theClientPortRefusesRaftMessagesAndNamesThePeerPort() throws Exception {
        HttpResponse<String> response = post(node.base, "/raft/append-entries", "{}");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("no_route").contains("peer port");
        assertThat(node.loop().status().term()).isZero();
    }

    @Test
    void thePeerPortRefusesClientRequests() throws Exception {
        HttpResponse<String> put = send(HttpRequest.newBuilder(node.peerBase().resolve("/kv/a"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"A\"}")));
        HttpResponse<String> status = send(HttpRequest.newBuilder(node.peerBase().resolve("/status")).GET());

        assertThat(put.statusCode()).isEqualTo(404);
        assertThat(put.body()).contains("no_route").contains("peer port");
        assertThat(status.statusCode()).isEqualTo(404);
        assertThat(node.loop().status().lastIndex()).isZero();
    }

    @Test
    void theClientPortServesClients() throws Exception {
        assertThat(send(HttpRequest.newBuilder(node.base.resolve("/status")).GET()).statusCode()).isEqualTo(200);
    }

    private HttpResponse<String> post(URI base, String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path))
                .header(StreamTransport.TOKEN_HEADER, TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return client.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
