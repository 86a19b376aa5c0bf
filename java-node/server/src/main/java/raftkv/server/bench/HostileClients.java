package raftkv.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import raftkv.server.Json;

/**
 * The hostile clients of {@code make overload} (issue 17): clients that do nothing a careful client
 * would, each of which once took a node down. Three of them, one per subcommand:
 *
 * <ul>
 *   <li>{@code chunked}: many concurrent {@code Transfer-Encoding: chunked} PUTs of a huge body
 *       ({@link ChunkedUploads});
 *   <li>{@code slow}: hundreds of connections that send one byte a second ({@link SlowConnections});
 *   <li>{@code sessions}: a flood of {@code POST /sessions} beside clients that rely on their
 *       sessions for exactly-once writes ({@link SessionFlood}).
 * </ul>
 *
 * <p>Each prints what it saw, then one line {@code NOTE: ...} that scripts/overload.sh puts in its
 * table. They measure only what a client can see; the script watches the nodes (leader changes,
 * {@code /status} latency, RSS) meanwhile. Every loop is bounded in count and in time.
 *
 * <p>{@code java -cp raftkv-node.jar raftkv.server.bench.HostileClients chunked --target http://127.0.0.1:9301}
 */
@Command(name = "hostile-clients", mixinStandardHelpOptions = true,
        description = "Hostile clients against a raftkv node (make overload).",
        subcommands = {ChunkedUploads.class, SlowConnections.class, SessionFlood.class})
public final class HostileClients implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new HostileClients()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    // ---------------------------------------------------------------- shared by the three

    /** Counts of things by name (a status, an error code), printable in a stable order. */
    static final class Tally {
        private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

        void add(String what) {
            counts.computeIfAbsent(what, k -> new LongAdder()).increment();
        }

        long get(String what) {
            LongAdder n = counts.get(what);
            return n == null ? 0 : n.sum();
        }

        long total() {
            return counts.values().stream().mapToLong(LongAdder::sum).sum();
        }

        @Override
        public String toString() {
            Map<String, Long> sorted = new TreeMap<>();
            counts.forEach((k, v) -> sorted.put(k, v.sum()));
            StringBuilder s = new StringBuilder();
            sorted.forEach((k, v) -> s.append(s.isEmpty() ? "" : ", ").append(k).append(" ×").append(v));
            return s.isEmpty() ? "none" : s.toString();
        }
    }

    /** The p-th percentile (0..1) of {@code values}, or 0 for none; sorts a copy. */
    static long percentile(long[] values, double p) {
        if (values.length == 0) {
            return 0;
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1))];
    }

    /** The {@code "error"} code of a JSON error body, or "-" when the body has none. */
    static String errorCode(String body) {
        try {
            JsonNode error = Json.MAPPER.readTree(body).get("error");
            return error == null ? "-" : error.asText();
        } catch (IOException | RuntimeException e) {
            return "-";
        }
    }

    /** A status and an error code as one name, e.g. {@code 429 overloaded} or {@code 201}. */
    static String statusName(int status, String body) {
        String code = status >= 400 ? errorCode(body) : "-";
        return code.equals("-") ? Integer.toString(status) : status + " " + code;
    }

    /**
     * Reads the status line of an HTTP response (up to 16 KiB) from a raw socket's stream and
     * returns the status, or -1 if the stream ended first or the line is not HTTP. The caller set
     * the socket's read timeout.
     */
    static int readStatus(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && head.size() < 16_384) {
            head.write(b);
            if (b == '\n') {
                break; // the status line is all we need
            }
        }
        String line = head.toString(StandardCharsets.ISO_8859_1);
        String[] parts = line.split(" ");
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            return -1;
        }
        try {
            return Integer.parseInt(parts[1].trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static String hostOf(URI target) {
        return target.getHost() + ":" + target.getPort();
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
    }

    static String kib(long bytes) {
        return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
    }
}
