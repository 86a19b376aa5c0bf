package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.server.NodeConfig;
import raftkv.server.transport.MessageCodec;
import raftkv.server.transport.StreamTransport;

/**
 * Slowloris and connection floods: a node (read timeout 1 s, request timeout 1 s, at most 8
 * connections) closes connections whose request head or body trickles in, keeps idle kept-alive
 * connections and peer streams, and holds connections beyond its limit in the backlog until one closes.
 */
class SlowClientTest {

    private static final String TOKEN = "s3cret";
    private static final int READ_TIMEOUT_MS = 1_000;
    private static final int REQUEST_TIMEOUT_MS = 1_000;
    private static final int MAX_CONNECTIONS = 8;

    @TempDir
    Path dir;

    private InProcessNode node;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        // n2 and n3 do not exist: n1 never leads, but n2 may open a peer stream to it.
        node = new InProcessNode(InProcessNode.config(dir, TOKEN, REQUEST_TIMEOUT_MS, "n2", "n3")
                .toBuilder().connections(new NodeConfig.Connections(MAX_CONNECTIONS, 30_000, READ_TIMEOUT_MS)).build());
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket socket : sockets) {
            socket.close();
        }
        node.close();
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(node.base.getHost(), node.base.getPort());
        sockets.add(socket);
        return socket;
    }

    private static void write(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /**
     * Sends {@code start}, then one more byte every 100 ms (far inside the 30 s idle timeout), and
     * returns how many milliseconds passed until the server closed the connection; fails if it is
     * still open after {@code giveUpMillis}.
     */
    private long millisUntilClosedWhileTrickling(String start, long giveUpMillis) throws Exception {
        Socket socket = connect();
        long began = System.nanoTime();
        write(socket, start);
        Thread trickle = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    Thread.sleep(100);
                    write(socket, "a");
                }
            } catch (IOException | InterruptedException e) {
                // closed by the server (or the test is over)
            }
        });
        try {
            socket.setSoTimeout((int) giveUpMillis);
            try {
                assertThat(socket.getInputStream().read()).as("no answer, just the end of the connection").isEqualTo(-1);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the trickling connection was still open after " + giveUpMillis + " ms");
            } catch (IOException e) {
                // reset: closed with our bytes unread, just as good
            }
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        } finally {
            trickle.interrupt();
        }
    }

    private static String readResponseHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed inside the response head");
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** GET /status on {@code socket}, kept alive; returns the status code. */
    private static int getStatus(Socket socket) throws IOException {
        write(socket, "GET /status HTTP/1.1\r\nHost: localhost\r\n\r\n");
        String head = readResponseHead(socket.getInputStream());
        int at = head.toLowerCase().indexOf("content-length:");
        int length = Integer.parseInt(head.substring(at + 15, head.indexOf("\r\n", at)).trim());
        socket.getInputStream().readNBytes(length);
        return Integer.parseInt(head.substring(9, 12));
    }

    @Test
    void aRequestHeadSentByteByByteIsCutOffAfterTheReadTimeout() throws Exception {
        long millis = millisUntilClosedWhileTrickling("GET /status HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", 8_000);

        assertThat(millis).isBetween((long) READ_TIMEOUT_MS, READ_TIMEOUT_MS + 2_000L);
        assertThat(getStatus(connect())).as("the node serves on").isEqualTo(200);
    }

    @Test
    void aBodySentByteByByteIsCutOffAfterTheReadAndRequestTimeouts() throws Exception {
        long millis = millisUntilClosedWhileTrickling("PUT /kv/slow HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":\"", 10_000);

        assertThat(millis).isBetween((long) READ_TIMEOUT_MS + REQUEST_TIMEOUT_MS,
                READ_TIMEOUT_MS + REQUEST_TIMEOUT_MS + 2_000L);
    }

    @Test
    void aConnectionIdleBetweenRequestsIsLeftToTheIdleTimeout() throws Exception {
        Socket socket = connect();
        socket.setSoTimeout(5_000);
        assertThat(getStatus(socket)).isEqualTo(200);

        Thread.sleep(READ_TIMEOUT_MS + REQUEST_TIMEOUT_MS + 1_000);

        assertThat(getStatus(socket)).as("the same connection, after a pause longer than both deadlines")
                .isEqualTo(200);
    }

    @Test
    void aPeerStreamOutlivesBothDeadlinesThroughTrafficAndSilence() throws Exception {
        Socket stream = connect();
        write(stream, "POST " + StreamTransport.STREAM_PATH + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Transfer-Encoding: chunked\r\n" + StreamTransport.TOKEN_HEADER + ": " + TOKEN + "\r\n"
                + StreamTransport.FROM_HEADER + ": n2\r\n" + StreamTransport.STREAM_HEADER + ": 1.1\r\n"
                + raftkv.server.identity.TestIdentities.headLines("n2", InProcessNode.THREE) + "\r\n");
        int sent = 0;
        for (; sent < 12; sent++) { // 3 s of traffic: longer than the 2 s a client request may take
            sendFrame(stream, append(sent));
            Thread.sleep(250);
        }
        Thread.sleep(READ_TIMEOUT_MS + 1_500); // silence longer than the read timeout
        sendFrame(stream, append(sent++));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (node.loop().status().lastIndex() < sent && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(node.loop().status().lastIndex()).as("every frame delivered, in order").isEqualTo(sent);
        stream.setSoTimeout(500);
        assertThatThrownBy(() -> stream.getInputStream().read()).as("the stream is still open, unanswered")
                .isInstanceOf(SocketTimeoutException.class);
    }

    /** Entry {@code i + 1}, which fits only after entry {@code i}. */
    private static Message.AppendEntries append(int i) {
        LogEntry entry = new LogEntry(100, i + 1, new Command.Put("k" + i, "v"), null);
        return new Message.AppendEntries(100, "n2", "n1", i, i == 0 ? 0 : 100, List.of(entry), 0, i + 1);
    }

    private static void sendFrame(Socket stream, Message message) throws IOException {
        byte[] frame = MessageCodec.toBytes(message);
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(chunk);
        data.writeInt(frame.length);
        data.write(frame);
        OutputStream out = stream.getOutputStream();
        out.write((Integer.toHexString(chunk.size()) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        chunk.writeTo(out);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Test
    void connectionsBeyondTheLimitWaitInTheBacklogUntilOneCloses() throws Exception {
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            Socket socket = connect();
            socket.setSoTimeout(5_000);
            assertThat(getStatus(socket)).isEqualTo(200); // accepted and served: it holds a slot
            held.add(socket);
        }
        Socket waiting = connect(); // the kernel completes the handshake; Jetty does not accept it
        waiting.setSoTimeout(1_500);
        write(waiting, "GET /status HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertThatThrownBy(() -> waiting.getInputStream().read()).as("not served while the node is full")
                .isInstanceOf(SocketTimeoutException.class);

        held.getFirst().close();

        waiting.setSoTimeout(5_000);
        assertThat(readResponseHead(waiting.getInputStream())).startsWith("HTTP/1.1 200");
    }
}
