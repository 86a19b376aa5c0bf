package raftkv.server.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import raftkv.server.bench.ResponseReader.MalformedResponseException;
import raftkv.server.bench.ResponseReader.Response;

/**
 * ConnLoad's pieces: the response reader (framing, the headers and body facts it reports, however
 * the bytes are split), the histogram's percentiles, the 2xx latencies kept apart from the rest,
 * and the requests being kv.lua's.
 */
class ConnLoadTest {

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
            + "{\"a\":\"b\"}\n\n";
    private static final String REFUSED_CHUNKED = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n"
            + chunk("{\"error\":\"ov", ";ext=1")
            + chunk("erloaded\",\"definite\":tr", "") // "definite":true split across two chunks
            + chunk("ue}\n", "")
            + "0\r\nX-Trailer: t\r\n\r\n";
    private static final String UNAVAILABLE_CLOSE = withBody("HTTP/1.1 503 Service Unavailable\r\nCONNECTION: close\r\n"
            + "content-length: ", "{\"error\":\"no_leader\",\"definite\":false}\r\n");

    @Test
    void readsBackToBackAnswersFramedByLengthAndChunksWhateverTheSplit() throws IOException {
        String stream = OK + REFUSED_CHUNKED + UNAVAILABLE_CLOSE;
        List<Response> expected = List.of(
                new Response(200, false, false, false),
                new Response(429, true, true, false),
                new Response(503, false, false, true));
        for (int split = 1; split <= 64; split++) {
            ResponseReader reader = new ResponseReader(new Trickle(stream, split), 128);
            List<Response> got = new ArrayList<>();
            for (int i = 0; i < expected.size(); i++) {
                got.add(reader.read());
            }
            assertThat(got).as("read %d bytes at a time", split).isEqualTo(expected);
        }
    }

    @Test
    void definiteIsLookedForOnlyIn429And503Bodies() throws IOException {
        String ok = "HTTP/1.1 200 OK\r\nRetry-After: 3\r\nContent-Length: 15\r\n\r\n\"definite\":true";
        String s503 = withBody("HTTP/1.1 503 x\r\nContent-Length: ", "{\"error\":\"overloaded\",\"definite\":  true}");
        ResponseReader reader = reader(ok + s503);
        assertThat(reader.read()).isEqualTo(new Response(200, true, false, false));
        // Not the exact bytes raftkv writes (and overload.lua looks for): not counted as definite.
        assertThat(reader.read()).isEqualTo(new Response(503, false, false, false));
    }

    @Test
    void http10AnswerWithoutLengthEndsWithTheConnection() throws IOException {
        ResponseReader reader = reader("HTTP/1.0 429 Slow down\r\n\r\n{\"definite\":true}");
        assertThat(reader.read()).isEqualTo(new Response(429, false, true, true));
    }

    @Test
    void http10KeepAliveStaysOpenAndInterimAnswersAreSkipped() throws IOException {
        ResponseReader reader = reader("HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.0 204 No Content\r\nConnection: Keep-Alive\r\n\r\n"
                + "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n");
        assertThat(reader.read()).isEqualTo(new Response(204, false, false, false));
        assertThat(reader.read().status()).isEqualTo(304); // no body despite Content-Length
    }

    @Test
    void aBodyLongerThanTheBufferIsSkippedAsItStreams() throws IOException {
        String body = "x".repeat(10_000);
        ResponseReader reader = new ResponseReader(new Trickle("HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n"
                + body + OK, 700), 128);
        assertThat(reader.read().status()).isEqualTo(200);
        assertThat(reader.read()).isEqualTo(new Response(200, false, false, false));
    }

    @Test
    void truncatedOrForeignBytesAreErrorsNotAnswers() {
        assertThatThrownBy(() -> reader("").read()).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> reader(OK.substring(0, OK.length() - 3)).read()).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> reader("SSH-2.0-OpenSSH_9.2\r\n\r\n").read())
                .isInstanceOf(MalformedResponseException.class);
        assertThatThrownBy(() -> reader("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n").read())
                .isInstanceOf(MalformedResponseException.class);
        assertThatThrownBy(() -> reader("HTTP/1.1 200 OK\r\nX: " + "y".repeat(200) + "\r\n\r\n").read())
                .as("a head over the 128-byte buffer").isInstanceOf(MalformedResponseException.class);
        assertThatThrownBy(() -> reader("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n").read())
                .isInstanceOf(MalformedResponseException.class);
    }

    @Test
    void histogramPercentilesAreWithinOnePercentAndNeverBelow() {
        LatencyHistogram h = new LatencyHistogram();
        for (long v = 1; v <= 100_000; v++) {
            h.record(v);
        }
        assertThat(h.count()).isEqualTo(100_000);
        assertThat(h.percentile(50)).isBetween(50_000L, 50_400L);
        assertThat(h.percentile(90)).isBetween(90_000L, 90_720L);
        assertThat(h.percentile(99)).isBetween(99_000L, 99_800L);
        assertThat(h.percentile(100)).isEqualTo(100_000L).isEqualTo(h.max());
        assertThat(new LatencyHistogram().percentile(99)).isZero();
        for (long v = 0; v < 50_000_000L; v = v * 11 / 10 + 1) {
            long high = LatencyHistogram.highestIn(LatencyHistogram.bucketOf(v));
            assertThat(high).as("bucket of %d", v).isBetween(v, v + v / 128);
        }
    }

    @Test
    void histogramOfFewValuesGivesTheRecordedOnes() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(12);
        h.record(3_000_000);
        h.record(LatencyHistogram.MAX_VALUE + 5); // clamped, still counted
        assertThat(h.percentile(1)).isEqualTo(12);
        assertThat(h.percentile(50)).isBetween(3_000_000L, 3_000_000L * 129 / 128);
        assertThat(h.max()).isEqualTo(LatencyHistogram.MAX_VALUE);
    }

    @Test
    void instant429sDoNotMakeThe2xxLatencyLookFast() {
        LoadStats stats = new LoadStats(1_000_000_000L);
        stats.startWindow(1_000);
        for (int i = 0; i < 90; i++) {
            stats.answered(new Response(429, true, true, false), 1_000, 1_000 + 50_000); // 50 µs
        }
        for (int i = 0; i < 10; i++) {
            stats.answered(new Response(201, false, false, false), 1_000, 1_000 + 800_000_000L); // 800 ms
        }
        stats.answered(new Response(200, false, false, false), 0, 500); // before the window: not counted
        var latencies = stats.latencies();
        assertThat(latencies.get("2xx")).containsEntry("count", 10L);
        assertThat((double) latencies.get("2xx").get("p50")).isBetween(800.0, 806.3);
        assertThat((double) latencies.get("all").get("p50")).isBetween(0.05, 0.051);
        var report = ConnLoad.report(stats, 1);
        assertThat(report).containsEntry("ok", 10L).containsEntry("s429", 90L)
                .containsEntry("s429_retry_after_definite", 90L).containsEntry("other", 0L);
    }

    @Test
    void requestsAreKvLuas() {
        byte[][] etcd = ConnLoad.requests(ConnLoad.Store.ETCD, ConnLoad.Op.PUT, "127.0.0.1:24791", 1000, 16);
        assertThat(etcd.length).isEqualTo(1000);
        assertThat(new String(etcd[0], StandardCharsets.US_ASCII)).isEqualTo("POST /v3/kv/put HTTP/1.1\r\n"
                + "Host: 127.0.0.1:24791\r\nContent-Type: application/json\r\nContent-Length: 53\r\n\r\n"
                + "{\"key\":\"azAwMDA=\",\"value\":\"djAteHh4eHh4eHh4eHh4eA==\"}");
        byte[][] range = ConnLoad.requests(ConnLoad.Store.ETCD, ConnLoad.Op.GET, "h:1", 10, 16);
        assertThat(new String(range[0], StandardCharsets.US_ASCII)).endsWith("\r\n\r\n{\"key\":\"azAwMDA=\"}");
        byte[][] put = ConnLoad.requests(ConnLoad.Store.RAFTKV, ConnLoad.Op.PUT, "h:1", 1000, 16);
        assertThat(new String(put[999], StandardCharsets.US_ASCII)).isEqualTo("PUT /kv/k0999 HTTP/1.1\r\nHost: h:1\r\n"
                + "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"name\":\"v999-xxxxxxxxxxx\"}");
        byte[][] get = ConnLoad.requests(ConnLoad.Store.RAFTKV, ConnLoad.Op.GET, "h:1", 1000, 16);
        assertThat(new String(get[7], StandardCharsets.US_ASCII)).isEqualTo("GET /kv/k0007 HTTP/1.1\r\nHost: h:1\r\n\r\n");
    }

    @Test
    void aClosedLoopCountsEachAnswerAndTimesOutASilentServer() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // Platform threads: virtual ones in this JVM would share ConnLoad's carrier threads, and
            // their ping-pong with its connections could keep a woken connection waiting for one.
            Thread.ofPlatform().daemon().start(() -> serve(server, accepted));
            ConnLoad load = new ConnLoad();
            load.url = URI.create("http://127.0.0.1:" + server.getLocalPort());
            load.connections = 4;
            load.durationSeconds = 3;
            load.op = ConnLoad.Op.PUT;
            load.system = ConnLoad.Store.RAFTKV;
            load.keys = 10;
            load.valueSize = 16;
            load.timeoutSeconds = 1;
            load.maxConnecting = 2;
            Map<String, Object> out = load.run();

            assertThat(out).containsEntry("open_at_start", 4).containsEntry("connect", 0L)
                    .containsEntry("read", 0L).containsEntry("malformed", 0L);
            // The first connection's server falls silent after 0.3 s, when measuring has
            // begun: one timeout, and the connection is opened again.
            assertThat((long) out.get("timeout")).isEqualTo(1L);
            assertThat((long) out.get("reconnects")).isEqualTo(1L);
            long ok = (long) out.get("ok");
            long s429 = (long) out.get("s429");
            assertThat(ok).isGreaterThan(100);
            assertThat(s429).isBetween(ok - 6, ok + 6); // the server takes turns on each connection
            assertThat(out).containsEntry("s429_retry_after_definite", s429).containsEntry("other", 0L);
        }
    }

    /**
     * Answers 200 and a definite 429 with Retry-After in turn; on the first connection, only for
     * 0.3 s, then never.
     */
    private static void serve(ServerSocket server, AtomicInteger accepted) {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            boolean first = accepted.getAndIncrement() == 0;
            long silentFrom = System.nanoTime() + 300_000_000L;
            Thread.ofPlatform().daemon().start(() -> {
                try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    for (int n = 0; readRequest(in); n++) {
                        if (!first || System.nanoTime() - silentFrom < 0) {
                            out.write((n % 2 == 0 ? withBody("HTTP/1.1 200 OK\r\nContent-Length: ", "{}")
                                    : withBody("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: ",
                                            "{\"error\":\"overloaded\",\"definite\":true}"))
                                    .getBytes(StandardCharsets.US_ASCII));
                        }
                    }
                } catch (IOException e) {
                    // the client closed it
                }
            });
        }
    }

    /** Reads one request (head, then a Content-Length body); false at the end of the stream. */
    private static boolean readRequest(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return false;
            }
            head.append((char) b);
        }
        int at = head.indexOf("Content-Length: ");
        int length = at < 0 ? 0 : Integer.parseInt(head.substring(at + 16, head.indexOf("\r", at)));
        return in.readNBytes(length).length == length;
    }

    private static String chunk(String data, String extension) {
        return Integer.toHexString(data.length()) + extension + "\r\n" + data + "\r\n";
    }

    /** {@code head} ending in "Content-Length: ", then the body's length and the body. */
    private static String withBody(String head, String body) {
        return head + body.length() + "\r\n\r\n" + body;
    }

    private static ResponseReader reader(String s) {
        return new ResponseReader(new ByteArrayInputStream(s.getBytes(StandardCharsets.US_ASCII)), 128);
    }

    /** Gives at most {@code step} bytes per read, as a socket may. */
    private static final class Trickle extends InputStream {
        private final byte[] bytes;
        private final int step;
        private int at;

        Trickle(String s, int step) {
            this.bytes = s.getBytes(StandardCharsets.US_ASCII);
            this.step = step;
        }

        @Override
        public int read() {
            return at < bytes.length ? bytes[at++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (at >= bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, step), bytes.length - at);
            System.arraycopy(bytes, at, b, off, n);
            at += n;
            return n;
        }
    }
}
