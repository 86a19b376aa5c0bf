package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.server.Json;
import raftkv.server.NodeConfig;

/**
 * Admission control ({@link Admission}): a node holds at most {@code --max-inflight-requests} client
 * requests; beyond, it answers {@code 429 overloaded} at once, definite, with {@code Retry-After},
 * without reading the body; and every request gives its permit back, however it ends.
 */
class AdmissionTest {

    @TempDir
    Path dataDir;

    private InProcessNode node;

    @AfterEach
    void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    /**
     * n1 of three whose peers never answer: an admitted request waits for a leader until its deadline.
     * No waiting room: a request that finds every place taken is refused at once.
     */
    private void startLeaderless(int permits, int requestTimeoutMs) throws IOException {
        startLeaderless(NodeConfig.Limits.DEFAULTS.withMaxInflightRequests(permits).withoutWaiting(), requestTimeoutMs);
    }

    private void startLeaderless(NodeConfig.Limits limits, int requestTimeoutMs) throws IOException {
        node = new InProcessNode(dataDir, limits, null, requestTimeoutMs, "n2", "n3");
    }

    private record Timed(HttpResponse<String> response, long millis) {}

    private CompletableFuture<Timed> sendAsync(String method, String path, String body) {
        return CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime();
            try {
                HttpResponse<String> response = node.send(method, path, body);
                return new Timed(response, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void assertOverloaded(int status, String retryAfter, String body) throws IOException {
        assertThat(status).as(body).isEqualTo(429);
        assertThat(retryAfter).isEqualTo("1");
        JsonNode json = Json.MAPPER.readTree(body);
        assertThat(json.get("error").asText()).isEqualTo("overloaded");
        assertThat(json.get("definite").asBoolean()).as("nothing was proposed").isTrue();
        assertThat(json.get("message").asText()).isNotBlank();
    }

    @Test
    void requestsBeyondTheBoundAreRefused429AtOnceAndEveryPermitComesBack() throws Exception {
        int timeoutMs = 2_000;
        startLeaderless(2, timeoutMs);
        // Two rounds: the second is admitted exactly like the first only if every permit of the
        // first round came back, from the refused requests and from the timed-out ones alike.
        for (int round = 1; round <= 2; round++) {
            List<CompletableFuture<Timed>> requests = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                requests.add(sendAsync("PUT", "/kv/k" + i, "{\"name\":\"v\"}"));
            }
            int refused = 0;
            int waitedForALeader = 0;
            for (CompletableFuture<Timed> request : requests) {
                Timed timed = request.get(20, TimeUnit.SECONDS);
                HttpResponse<String> response = timed.response();
                String retryAfter = response.headers().firstValue("Retry-After").orElse(null);
                if (response.statusCode() == 429) {
                    refused++;
                    assertOverloaded(response.statusCode(), retryAfter, response.body());
                    assertThat(timed.millis()).as("refused at once, not after waiting").isLessThan(timeoutMs);
                } else {
                    waitedForALeader++;
                    // An admitted request waited for a leader and gave up definitely; retrying is welcome.
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
                    assertThat(Json.MAPPER.readTree(response.body()).get("error").asText()).isEqualTo("no_leader");
                    assertThat(retryAfter).isEqualTo("1");
                }
            }
            assertThat(refused).as("round " + round).isEqualTo(3);
            assertThat(waitedForALeader).as("round " + round).isEqualTo(2);
        }
    }

    @Test
    void aRequestBeyondTheBoundWaitsForAPlaceAndOneThatFindsTheWaitingRoomFullIsRefusedAtOnce() throws Exception {
        int timeoutMs = 1_500;
        // One place, one seat in the waiting room, and a wait long enough to outlast the holder.
        startLeaderless(NodeConfig.Limits.DEFAULTS.withMaxInflightRequests(1).withWaiting(1, 4_000), timeoutMs);
        CompletableFuture<Timed> holder = sendAsync("PUT", "/kv/a", "{\"name\":\"v\"}");
        awaitInflight(1);
        CompletableFuture<Timed> waiter = sendAsync("PUT", "/kv/b", "{\"name\":\"v\"}");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (node.waitingForAdmission() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(node.waitingForAdmission()).as("the second request waits for the place").isEqualTo(1);
        Timed refused = sendAsync("PUT", "/kv/c", "{\"name\":\"v\"}").get(20, TimeUnit.SECONDS);
        assertOverloaded(refused.response().statusCode(), refused.response().headers().firstValue("Retry-After")
                .orElse(null), refused.response().body());
        assertThat(refused.millis()).as("the waiting room was full: refused at once").isLessThan(timeoutMs);
        // The holder gives up on a leader (503 no_leader) and its place goes to the waiter, which was
        // admitted, not refused: it waits for a leader in turn and gets the same definite 503.
        assertThat(holder.get(20, TimeUnit.SECONDS).response().statusCode()).isEqualTo(503);
        Timed admitted = waiter.get(20, TimeUnit.SECONDS);
        assertThat(admitted.response().statusCode()).as(admitted.response().body()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(admitted.response().body()).get("error").asText()).isEqualTo("no_leader");
        assertThat(admitted.millis()).as("waited for the holder, then for a leader").isGreaterThanOrEqualTo(2L * timeoutMs - 200);
    }

    @Test
    void aRequestThatWaitsOutItsTimeIsRefused429() throws Exception {
        startLeaderless(NodeConfig.Limits.DEFAULTS.withMaxInflightRequests(1).withWaiting(4, 300), 3_000);
        CompletableFuture<Timed> holder = sendAsync("PUT", "/kv/a", "{\"name\":\"v\"}");
        awaitInflight(1);
        Timed refused = sendAsync("PUT", "/kv/b", "{\"name\":\"v\"}").get(20, TimeUnit.SECONDS);
        assertOverloaded(refused.response().statusCode(), refused.response().headers().firstValue("Retry-After")
                .orElse(null), refused.response().body());
        assertThat(refused.millis()).as("refused after its wait, before the holder's deadline")
                .isGreaterThanOrEqualTo(300).isLessThan(3_000);
        assertThat(holder.get(20, TimeUnit.SECONDS).response().statusCode()).isEqualTo(503);
    }

    @Test
    void aChunkedBodyReservesTheLargestBodySizeFromTheSharedBodyBudget() throws Exception {
        // Ten places, but bodies for one largest body only (64 KiB), and no waiting room.
        startLeaderless(new NodeConfig.Limits(10, 64, 0, 0), 1_000);
        try (Socket holder = new Socket(node.base.getHost(), node.base.getPort())) {
            // A chunked body whose end never comes: its length is unknown, so it reserves 64 KiB.
            OutputStream out = holder.getOutputStream();
            out.write(("PUT /kv/held HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n2\r\n{\"\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            awaitInflight(1);
            HttpResponse<String> refused = node.send("PUT", "/kv/small", "{\"name\":\"v\"}");
            assertOverloaded(refused.statusCode(), refused.headers().firstValue("Retry-After").orElse(null),
                    refused.body());
        }
        // The holder's connection is gone: its reservation comes back, and a small body fits again.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (node.inflightRequests() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        HttpResponse<String> admitted = node.send("PUT", "/kv/small", "{\"name\":\"v\"}");
        assertThat(admitted.statusCode()).as(admitted.body()).isEqualTo(503); // admitted; no leader to commit it
    }

    /** Waits until {@code n} requests hold a place (the node's admission counts them). */
    private void awaitInflight(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (node.inflightRequests() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(node.inflightRequests()).isEqualTo(n);
    }

    @Test
    void aRefusedRequestIsAnsweredBeforeItsBodyIsRead() throws Exception {
        startLeaderless(1, 3_000);
        CompletableFuture<Timed> holder = sendAsync("PUT", "/kv/held", "{\"name\":\"v\"}");
        awaitInflight(1);
        // Headers announcing 10 MiB and not one byte of body: the answer can only come before the
        // body is read. With the permit free, the same request is refused 413 (too large) instead;
        // so ask until the holder has the permit.
        RawAnswer answer = rawPutUntilRefused("Content-Length: 10485760\r\n", "");
        assertOverloaded(answer.status(), answer.header("retry-after"), answer.body());
        // The same for a chunked body, whose first chunk announces 10 MiB.
        answer = rawPutUntilRefused("Transfer-Encoding: chunked\r\n", "a00000\r\n");
        assertOverloaded(answer.status(), answer.header("retry-after"), answer.body());

        assertThat(holder.get(20, TimeUnit.SECONDS).response().statusCode()).isEqualTo(503);
    }

    @Test
    void answersOfEveryKindGiveTheirPermitBack() throws Exception {
        node = new InProcessNode(dataDir, NodeConfig.Limits.DEFAULTS.withMaxInflightRequests(1).withoutWaiting(), null,
                2_000);
        node.awaitRole("leader");
        // One permit: a single one not given back, and every later request would be refused 429.
        for (int i = 0; i < 5; i++) {
            assertThat(node.send("PUT", "/kv/b", "{\"name\":").statusCode()).isEqualTo(400);
            // Over a raw socket: an HTTP client may not read a 413 sent before it finished the body.
            assertThat(rawPut("Content-Length: 10485760\r\n", "").status()).isEqualTo(413);
            assertThat(node.send("PUT", "/kv/bad%20id", "{\"name\":\"v\"}").statusCode()).isEqualTo(400);
            assertThat(node.send("PUT", "/kv/b", "{\"name\":\"v\"}", "X-Client-Seq", "1").statusCode()).isEqualTo(400);
            assertThat(node.send("GET", "/kv/a/b/c", null).statusCode()).isEqualTo(404);
            assertThat(node.send("PATCH", "/kv/a", "{}").statusCode()).isEqualTo(405);
            assertThat(node.send("GET", "/kv/absent", null).statusCode()).isEqualTo(404);
            assertThat(node.send("POST", "/kv/absent/cas", "{\"expected\":\"a\",\"name\":\"b\"}").statusCode())
                    .isEqualTo(404);
            assertThat(node.send("GET", "/debug/kv", null).statusCode()).isEqualTo(200);
            assertThat(node.send("POST", "/sessions", null).statusCode()).isEqualTo(201);
            assertThat(node.send("PUT", "/kv/a", "{\"name\":\"v" + i + "\"}").statusCode()).isEqualTo(200);
        }
        assertThat(node.send("GET", "/kv", null).statusCode()).isEqualTo(200);
    }

    // ---------------------------------------------------------------- a raw HTTP/1.1 exchange

    private record RawAnswer(int status, String head, String body) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    private RawAnswer rawPutUntilRefused(String bodyHeaders, String bodyStart) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (true) {
            RawAnswer answer = rawPut(bodyHeaders, bodyStart);
            if (answer.status() == 429 || System.nanoTime() - deadline > 0) {
                return answer;
            }
            assertThat(answer.status()).as("refused as too large while the permit was free").isEqualTo(413);
            Thread.sleep(20);
        }
    }

    /** Sends the head of a PUT (and {@code bodyStart}, no more), then reads the answer's head and body. */
    private RawAnswer rawPut(String bodyHeaders, String bodyStart) throws IOException {
        try (Socket socket = new Socket(node.base.getHost(), node.base.getPort())) {
            socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /kv/big HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" + bodyHeaders
                    + "\r\n" + bodyStart).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            RawAnswer partial = new RawAnswer(Integer.parseInt(head.substring(9, 12)), head, "");
            String length = partial.header("content-length");
            String body = length != null
                    ? new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.UTF_8)
                    : readChunked(in);
            return new RawAnswer(partial.status(), head, body);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection closed inside the answer's head: " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static String readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int size = Integer.parseInt(sizeLine.trim().toLowerCase(Locale.ROOT), 16);
            if (size == 0) {
                return body.toString(StandardCharsets.UTF_8);
            }
            body.write(in.readNBytes(size));
            readLine(in); // the CRLF after the chunk
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }
}
