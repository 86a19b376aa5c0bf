package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import raftkv.server.Json;

/**
 * Requests that Jetty refuses before any route sees them (bad percent-encoding, control characters
 * and non-UTF-8 bytes in the path, a 10 KB path, oversized headers) still get the documented JSON
 * error body with {@code definite}, never an HTML page, and the node goes on serving. Sent over a
 * raw socket, because a well-behaved HTTP client would refuse to send most of them.
 */
class HostileInputTest extends OneNodeClusterTest {

    private record RawResponse(int status, String head, String body) {}

    /** Sends {@code requestLine} and {@code headers} as bytes, exactly, and reads the whole answer. */
    private RawResponse sendRaw(byte[] requestLine, String headers) throws IOException {
        try (Socket socket = new Socket(node.base.getHost(), node.base.getPort())) {
            socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(requestLine);
            out.write((" HTTP/1.1\r\nHost: localhost\r\n" + headers + "Content-Length: 0\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            assertThat(split).as("a complete HTTP response: " + text).isPositive();
            String head = text.substring(0, split);
            String body = text.substring(split + 4);
            if (head.toLowerCase().contains("transfer-encoding: chunked")) {
                body = dechunk(body);
            }
            return new RawResponse(Integer.parseInt(head.substring(9, 12)), head, body);
        }
    }

    private static String dechunk(String chunked) {
        StringBuilder body = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, lineEnd).trim(), 16);
            if (size == 0) {
                return body.toString();
            }
            body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
    }

    private RawResponse send(String method, String path) throws IOException {
        return sendRaw((method + " " + path).getBytes(StandardCharsets.ISO_8859_1), "");
    }

    /** A 4xx answer whose body is the API's JSON error, definite (nothing was attempted). */
    private static void assertJsonError(RawResponse response) throws IOException {
        assertThat(response.status()).as(response.head() + "\n" + response.body()).isBetween(400, 499);
        assertThat(response.head().toLowerCase()).contains("content-type: application/json");
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("error").asText()).as(response.body()).isNotBlank();
        assertThat(body.get("message").asText()).isNotBlank();
        assertThat(body.get("definite").asBoolean()).isTrue();
    }

    @Test
    void controlCharactersInThePathGetAJsonError() throws Exception {
        assertJsonError(send("PUT", "/kv/%00%01"));
    }

    @Test
    void badPercentEncodingGetsAJsonError() throws Exception {
        assertJsonError(send("GET", "/kv/%zz"));
        assertJsonError(send("GET", "/kv/%"));
    }

    @Test
    void nonUtf8BytesInThePathGetAJsonError() throws Exception {
        assertJsonError(send("GET", "/kv/%ff%fe"));
        byte[] raw = "GET /kv/\u00ff\u00fe".getBytes(StandardCharsets.ISO_8859_1);
        assertJsonError(sendRaw(raw, ""));
    }

    @Test
    void aTenKilobytePathGetsAJsonError() throws Exception {
        assertJsonError(send("GET", "/kv/" + "a".repeat(10_000)));
    }

    @Test
    void oversizedHeadersGetAJsonError() throws Exception {
        assertJsonError(sendRaw("GET /kv/a".getBytes(StandardCharsets.ISO_8859_1),
                "X-Padding: " + "p".repeat(20_000) + "\r\n"));
    }

    @Test
    void theNodeKeepsServingAfterHostileInput() throws Exception {
        for (int i = 0; i < 10; i++) {
            send("PUT", "/kv/%00%01");
            send("GET", "/kv/%zz");
        }
        assertThat(node.send("PUT", "/kv/still", "{\"name\":\"alive\"}").statusCode()).isEqualTo(200);
    }
}
