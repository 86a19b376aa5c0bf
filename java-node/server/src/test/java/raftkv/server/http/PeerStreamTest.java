package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.server.transport.MessageCodec;
import raftkv.server.transport.StreamTransport;
import raftkv.server.transport.TransportObserver;

/**
 * The peer stream end to end: a {@link StreamTransport} posing as n2 sends to a real n1 (which can
 * never be elected: n2 and n3 do not exist), and n1's log shows what was delivered.
 */
class PeerStreamTest {

    private static final String TOKEN = "s3cret";
    private static final raftkv.server.identity.IdentityGate.Credentials N2 =
            raftkv.server.identity.TestIdentities.credentials("n2", InProcessNode.THREE);

    @TempDir
    Path dir;

    private InProcessNode node;
    private StreamTransport transport;

    @BeforeEach
    void start() throws Exception {
        node = new InProcessNode(dir, TOKEN, 2000, "n2", "n3");
    }

    @AfterEach
    void stop() throws Exception {
        if (transport != null) {
            transport.close();
        }
        node.close();
    }

    private static Message.AppendEntries append(long prevIndex, long round, String... ids) {
        List<LogEntry> entries = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            entries.add(new LogEntry(100, prevIndex + 1 + i, new Command.Put(ids[i], ids[i].toUpperCase()), null));
        }
        return new Message.AppendEntries(100, "n2", "n1", prevIndex, prevIndex == 0 ? 0 : 100, entries, 0, round);
    }

    @Test
    void messagesOnTheStreamReachTheEventLoopInOrder() throws Exception {
        transport = new StreamTransport("n2", Map.of("n1", node.base), TOKEN, N2);

        for (int i = 0; i < 50; i++) {
            transport.send(List.of(append(i, i + 1, "k" + i)));
        }

        // Each AppendEntries only fits after the one before it: 50 entries mean every one came, in order.
        await(() -> node.loop().status().lastIndex() == 50);
        assertThat(node.loop().status().term()).isEqualTo(100);
    }

    @Test
    void aStreamWithTheWrongTokenDeliversNothing() throws Exception {
        transport = new StreamTransport("n2", Map.of("n1", node.base), "wrong", N2);
        transport.send(List.of(append(0, 1, "a")));
        Thread.sleep(500);
        transport.send(List.of(append(0, 2, "a")));
        Thread.sleep(500);

        assertThat(node.loop().status().lastIndex()).isZero();
        assertThat(node.loop().status().term()).isZero();
    }

    @Test
    void anOlderStreamOfTheSamePeerIsRefusedAndAnotherIncarnationIsNot() throws Exception {
        assertThat(stream("5.2", new byte[0]).statusCode()).isEqualTo(204);
        HttpResponse<String> older = stream("5.1", new byte[0]);
        assertThat(older.statusCode()).isEqualTo(400);
        assertThat(older.body()).contains("not its newest");
        assertThat(stream("6.1", new byte[0]).statusCode()).isEqualTo(204); // n2 restarted
    }

    @Test
    void aLateStreamOfAnEarlierIncarnationNeverDisplacesTheLiveOne() throws Exception {
        transport = new StreamTransport("n2", Map.of("n1", node.base), TOKEN, 7, TransportObserver.NONE,
                () -> java.util.Optional.of(N2));
        transport.send(List.of(append(0, 1, "a")));
        await(() -> node.loop().status().lastIndex() == 1); // stream 7.1 is open and delivering

        // A connection n2's previous process (incarnation 6) opened before it died, arriving late.
        HttpResponse<String> late = stream("6.9", framed(MessageCodec.toBytes(append(1, 2, "b"))));

        assertThat(late.statusCode()).isEqualTo(400);
        assertThat(late.body()).contains("not its newest");
        transport.send(List.of(append(1, 3, "c")));
        await(() -> node.loop().status().lastIndex() == 2);
        assertThat(node.loop().status().lastLogTerm()).isEqualTo(100);
    }

    @Test
    void aStreamOfAnEarlierIncarnationMayTakeOverOnlyOnceTheLaterOneEnded() throws Exception {
        assertThat(stream("9.1", new byte[0]).statusCode()).isEqualTo(204); // ended at once
        // n2's data directory was restored from a backup: it counts its starts from an older number again, and is not shut out.
        assertThat(stream("1.1", framed(MessageCodec.toBytes(append(0, 1, "a")))).statusCode()).isEqualTo(204);
        await(() -> node.loop().status().lastIndex() == 1);
        assertThat(stream("1.1", new byte[0]).statusCode()).as("still no repeats").isEqualTo(400);
    }

    @Test
    void aMalformedFrameEndsTheStreamWithAClearError() throws Exception {
        byte[] frame = MessageCodec.toBytes(append(0, 1, "a"));
        frame[0] = 42;
        HttpResponse<String> response = stream("1.1", framed(frame));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("invalid_body").contains("tag 42");
    }

    @Test
    void aMessageFromAnotherNodeOnAPeersStreamIsRefused() throws Exception {
        Message forged = new Message.RequestVote(100, "n3", "n1", 0, 0);
        HttpResponse<String> response = stream("1.1", framed(MessageCodec.toBytes(forged)));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("on n2's stream");
        assertThat(node.loop().status().term()).isZero();
    }

    /** 200 entries of 1,000-character names: about 220 KB, over the 64 KiB limit of client bodies. */
    private static Message.AppendEntries largeAppend() {
        String[] ids = new String[200];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i + "x".repeat(1000);
        }
        return append(0, 1, ids);
    }

    @Test
    void framesLargerThanTheClientBodyLimitAreDeliveredOnTheStream() throws Exception {
        byte[] frame = MessageCodec.toBytes(largeAppend());
        assertThat(frame.length).isGreaterThan(ClientRequests.MAX_BODY_BYTES);
        transport = new StreamTransport("n2", Map.of("n1", node.base), TOKEN, N2);

        transport.send(List.of(largeAppend()));

        await(() -> node.loop().status().lastIndex() == 200);
    }

    @Test
    void aJsonPeerMessageLargerThanTheClientBodyLimitIsAccepted() throws Exception {
        byte[] json = raftkv.server.Json.MAPPER.writeValueAsBytes(largeAppend());
        assertThat(json.length).isGreaterThan(ClientRequests.MAX_BODY_BYTES);
        HttpRequest request = HttpRequest.newBuilder(node.base.resolve("/raft/append-entries"))
                .header(StreamTransport.TOKEN_HEADER, TOKEN)
                .headers(raftkv.server.identity.TestIdentities.headers("n2", InProcessNode.THREE))
                // An InputStream of unknown length: sent chunked, so only the streamed limit applies.
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(json)))
                .build();
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(204);
        }
        await(() -> node.loop().status().lastIndex() == 200);
    }

    /** A whole stream in one request (Content-Length instead of chunks: the same to the receiver). */
    private HttpResponse<String> stream(String streamId, byte[] body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(node.base.resolve(StreamTransport.STREAM_PATH))
                .header(StreamTransport.TOKEN_HEADER, TOKEN)
                .header(StreamTransport.FROM_HEADER, "n2")
                .header(StreamTransport.STREAM_HEADER, streamId)
                .headers(raftkv.server.identity.TestIdentities.headers("n2", InProcessNode.THREE))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try (HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).build()) {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    private static byte[] framed(byte[] frame) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(frame.length);
        out.write(frame);
        return bytes.toByteArray();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
