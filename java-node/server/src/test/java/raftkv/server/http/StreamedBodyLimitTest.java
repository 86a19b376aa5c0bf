package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import raftkv.server.Json;
import raftkv.server.transport.StreamTransport;

/**
 * Bodies are limited while they stream: a chunked client body is refused with 413 once it passes
 * 64 KiB, without the node reading (or buffering) the rest, and the connection is closed rather
 * than drained. Sent over raw sockets, to control exactly how much of the body ever left the client.
 */
class StreamedBodyLimitTest extends OneNodeClusterTest {

    private static final int KIB = 1024;

    /** What came back on a connection: status, head (lower case), body, and whether it then closed. */
    private record Answer(int status, String head, String body, boolean closedAfter) {}

    /**
     * Sends a chunked request of {@code chunks} copies of {@code chunk} and leaves the body
     * unfinished: an answer can only come from a server that stopped reading within what was sent.
     */
    private Answer unfinishedChunked(String method, String path, byte[] chunk, int chunks, String... headers)
            throws IOException {
        try (Socket socket = new Socket(node.base.getHost(), node.base.getPort())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n");
            for (int i = 0; i < headers.length; i += 2) {
                head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            }
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            for (int i = 0; i < chunks; i++) {
                out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            out.flush();
            return readAnswer(socket);
        }
    }

    /** Reads one response (Content-Length or chunked), then whether the server closes the connection. */
    private static Answer readAnswer(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
        while (!headBytes.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed inside the response head: " + headBytes);
            }
            headBytes.write(b);
        }
        String head = headBytes.toString(StandardCharsets.ISO_8859_1).toLowerCase();
        String body;
        if (head.contains("transfer-encoding: chunked")) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            while (true) {
                int size = Integer.parseInt(readLine(in).trim(), 16);
                if (size == 0) {
                    readLine(in);
                    break;
                }
                all.write(in.readNBytes(size));
                readLine(in);
            }
            body = all.toString(StandardCharsets.UTF_8);
        } else {
            int at = head.indexOf("content-length:");
            int length = Integer.parseInt(head.substring(at + 15, head.indexOf("\r\n", at)).trim());
            body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }
        boolean closed;
        socket.setSoTimeout(1_000); // a kept connection stays silent; a closed one ends at once
        try {
            closed = in.read() < 0;
        } catch (SocketTimeoutException e) {
            closed = false;
        } catch (IOException e) {
            closed = true; // reset: closed with our unread body still in its buffer
        }
        return new Answer(Integer.parseInt(head.substring(9, 12)), head, body, closed);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("closed inside a chunk");
            }
            line.append((char) b);
        }
        return line.toString();
    }

    private static byte[] filler(int bytes) {
        byte[] chunk = new byte[bytes];
        Arrays.fill(chunk, (byte) ' ');
        return chunk;
    }

    private static void assertRefusedAsTooLarge(Answer answer) throws IOException {
        assertThat(answer.status()).as(answer.head() + answer.body()).isEqualTo(413);
        JsonNode body = Json.MAPPER.readTree(answer.body());
        assertThat(body.get("error").asText()).isEqualTo("payload_too_large");
        assertThat(body.get("definite").asBoolean()).isTrue();
        assertThat(answer.head()).contains("connection: close");
        assertThat(answer.closedAfter()).as("the server closes instead of draining the body").isTrue();
    }

    @Test
    void aChunkedClientBodyIsRefusedOnceItPasses64KiBWithoutWaitingForTheRest() throws Exception {
        // 80 KiB sent of a body that never ends: only a server that stops at 64 KiB can answer.
        byte[] chunk = filler(8 * KIB);
        assertRefusedAsTooLarge(unfinishedChunked("PUT", "/kv/big", chunk, 10));
        assertRefusedAsTooLarge(unfinishedChunked("POST", "/kv/big/cas", chunk, 10));
        assertRefusedAsTooLarge(unfinishedChunked("POST", "/sessions", chunk, 10));
        assertRefusedAsTooLarge(unfinishedChunked("POST", "/admin/transfer-leader", chunk, 10,
                StreamTransport.TOKEN_HEADER, "s3cret"));
        assertThat(node.send("GET", "/kv/big", null).statusCode()).isEqualTo(404);
    }

    @Test
    void aChunkedClientBodyUnderTheLimitIsServed() throws Exception {
        // 60 KiB of JSON in 15 chunks: whitespace around a small object is still that object.
        byte[] json = "{\"name\":\"streamed\"}".getBytes(StandardCharsets.UTF_8);
        byte[] chunk = filler(4 * KIB);
        System.arraycopy(json, 0, chunk, chunk.length - json.length, json.length);
        byte[] padding = filler(4 * KIB);
        try (Socket socket = new Socket(node.base.getHost(), node.base.getPort())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /kv/small HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            for (int i = 0; i < 15; i++) {
                byte[] part = i == 14 ? chunk : padding;
                out.write((Integer.toHexString(part.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(part);
                out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Answer answer = readAnswer(socket);
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
            assertThat(answer.closedAfter()).as("a served request keeps its connection").isFalse();
        }
        assertThat(node.send("GET", "/kv/small", null).body()).contains("streamed");
    }

    @Test
    void aSeveralMebibyteUploadIsNeitherReadNorDrained() throws Exception {
        int total = 16 << 20;
        AtomicLong written = new AtomicLong();
        try (Socket socket = new Socket(node.base.getHost(), node.base.getPort())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            CompletableFuture<Boolean> upload = CompletableFuture.supplyAsync(() -> {
                byte[] chunk = filler(16 * KIB);
                try {
                    out.write("PUT /kv/huge HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    while (written.get() < total) {
                        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                        written.addAndGet(chunk.length);
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    return true;
                } catch (IOException e) {
                    return false; // the server closed the connection under us
                }
            });
            Answer answer = readAnswer(socket);
            assertRefusedAsTooLarge(answer);
            assertThat(upload.get(10, TimeUnit.SECONDS)).as("the upload was cut off after " + written.get()
                    + " bytes, not read to its end").isFalse();
        }
        assertThat(node.send("PUT", "/kv/after", "{\"name\":\"fine\"}").statusCode()).isEqualTo(200);
    }
}
