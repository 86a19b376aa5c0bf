package raftkv.server.bench;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.server.Json;

/**
 * The load of {@code make overload} (issue 17): many closed-loop HTTP/1.1 connections sending
 * scripts/bench/kv.lua's requests, with the latency of the 2xx answers kept apart from that of the
 * 429/503/other answers (wrk cannot: its Lua hooks cannot tie an answer to its request, and a node
 * that refuses at once would look fast).
 *
 * <p>One virtual thread per connection ({@link LoadConnection}), each with its own socket and
 * reader, the requests built once for all. Connections are opened at most --max-connecting at a
 * time, so that the ramp, not the kernel's accept backlog, paces them; each starts sending as soon
 * as it is open. Measuring begins when every connection has made its first attempt (or after
 * --timeout s of ramp, whichever is first): the ramp is the warm-up. It lasts --duration s; an
 * answer counts when it is complete inside it. A request not answered within --timeout s counts as
 * a timeout, and its connection is closed and opened again. The whole run ends by duration +
 * timeout + 10 s whatever the server does.
 *
 * <p>Output: one line of JSON on stdout (every counter, 2xx/s, latency percentiles in ms of each
 * status class and of all answers); scripts/overload.sh renders it with jq.
 *
 * <p>{@code java -Xmx512m -cp raftkv-node.jar raftkv.server.bench.ConnLoad --url http://127.0.0.1:9301
 * --connections 10000 --duration 20 --op put --system raftkv}
 */
@Command(name = "conn-load", mixinStandardHelpOptions = true,
        description = "Closed-loop HTTP/1.1 load over many connections; latency of the 2xx answers apart.")
public final class ConnLoad implements Callable<Integer> {

    enum Store { RAFTKV, ETCD }

    enum Op { PUT, GET }

    @Option(names = "--url", required = true, description = "Base URL of the node, e.g. http://127.0.0.1:9301.")
    URI url;

    @Option(names = "--connections", defaultValue = "1000", description = "Connections (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--duration", defaultValue = "20", description = "Seconds measured (default ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--op", defaultValue = "put", description = "put or get (default ${DEFAULT-VALUE}).")
    Op op;

    @Option(names = "--system", defaultValue = "raftkv", description = "raftkv or etcd (default ${DEFAULT-VALUE}).")
    Store system;

    @Option(names = "--keys", defaultValue = "1000", description = "Key space, as kv.lua's (default ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--value-size", defaultValue = "16", description = "Bytes per written value (default ${DEFAULT-VALUE}).")
    int valueSize;

    @Option(names = "--timeout", defaultValue = "10",
            description = "Seconds for a whole answer, and for a connect (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--max-connecting", defaultValue = "500",
            description = "Connects in progress at most (default ${DEFAULT-VALUE}).")
    int maxConnecting;

    /** How often the watchdog looks for requests past the timeout. */
    private static final long WATCHDOG_TICK_MS = 50;
    /** How long stopping may take once the window is over. */
    private static final long STOP_GRACE_MS = 3_000;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new ConnLoad()).setCaseInsensitiveEnumValuesAllowed(true);
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws InterruptedException, com.fasterxml.jackson.core.JsonProcessingException {
        System.out.println(Json.MAPPER.writeValueAsString(run()));
        System.out.flush();
        return 0;
    }

    /** Runs the load; returns what the JSON line says. */
    Map<String, Object> run() throws InterruptedException {
        if (connections < 1 || durationSeconds < 1 || keys < 1 || timeoutSeconds < 1 || maxConnecting < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "counts and seconds must be ≥ 1");
        }
        long origin = System.nanoTime() - 1;
        LoadConnection.Clock clock = () -> System.nanoTime() - origin; // > 0: 0 means idle in LoadConnection
        long timeoutNanos = TimeUnit.SECONDS.toNanos(timeoutSeconds);
        long windowNanos = TimeUnit.SECONDS.toNanos(durationSeconds);
        Thread hardStop = startHardStop(durationSeconds + timeoutSeconds + 10);
        try {
            return load(clock, timeoutNanos, windowNanos);
        } finally {
            hardStop.interrupt();
        }
    }

    private Map<String, Object> load(LoadConnection.Clock clock, long timeoutNanos, long windowNanos)
            throws InterruptedException {
        LoadStats stats = new LoadStats(windowNanos);
        AtomicInteger open = new AtomicInteger();
        CountDownLatch firstAttempts = new CountDownLatch(connections);
        int port = url.getPort() == -1 ? 80 : url.getPort();
        LoadConnection.Shared shared = new LoadConnection.Shared(new InetSocketAddress(url.getHost(), port),
                requests(system, op, hostHeader(url), keys, valueSize), stats, new Semaphore(maxConnecting),
                firstAttempts, open, (int) TimeUnit.SECONDS.toMillis(timeoutSeconds), clock);
        LoadConnection[] conns = new LoadConnection[connections];
        Thread[] threads = new Thread[connections];
        for (int i = 0; i < connections; i++) {
            conns[i] = new LoadConnection(shared);
            threads[i] = Thread.ofVirtual().name("conn-" + i).start(conns[i]);
        }
        Thread watchdog = Thread.ofPlatform().daemon().name("timeouts").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long now = clock.now();
                for (LoadConnection c : conns) {
                    c.timeOutIfOlder(now - timeoutNanos, now);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(WATCHDOG_TICK_MS));
            }
        });

        firstAttempts.await(timeoutSeconds, TimeUnit.SECONDS);
        long start = clock.now();
        int openAtStart = open.get();
        stats.startWindow(start);
        long end = start + windowNanos;
        for (long left = end - clock.now(); left > 0; left = end - clock.now()) {
            TimeUnit.NANOSECONDS.sleep(left);
        }

        int inFlightAtEnd = 0;
        for (LoadConnection c : conns) {
            inFlightAtEnd += c.inFlight() ? 1 : 0;
        }
        int openAtEnd = open.get();
        watchdog.interrupt();
        for (LoadConnection c : conns) {
            c.stop();
        }
        long joinBy = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_GRACE_MS);
        for (Thread t : threads) {
            long left = joinBy - System.nanoTime();
            if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                break; // virtual threads are daemons: a straggler does not keep the JVM up
            }
        }

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generator", "ConnLoad");
        out.put("system", system.name().toLowerCase(Locale.ROOT));
        out.put("op", op.name().toLowerCase(Locale.ROOT));
        out.put("url", url.toString());
        out.put("connections", connections);
        out.put("duration_s", durationSeconds);
        out.put("timeout_s", timeoutSeconds);
        out.put("keys", keys);
        out.put("value_size", valueSize);
        out.put("ramp_ms", start / 1_000_000);
        out.put("open_at_start", openAtStart);
        out.put("ramp_connect_errors", stats.rampConnectErrors.sum());
        out.putAll(report(stats, durationSeconds));
        out.put("in_flight_at_end", inFlightAtEnd);
        out.put("open_at_end", openAtEnd);
        out.put("latency_ms", stats.latencies());
        return out;
    }

    /** The counters of the window, in the JSON's order. */
    static Map<String, Object> report(LoadStats stats, int durationSeconds) {
        Map<String, Object> m = new LinkedHashMap<>();
        long ok = stats.ok();
        long answers = stats.answers();
        long s429 = stats.status(429);
        long s503 = stats.status(503);
        m.put("answers", answers);
        m.put("ok", ok);
        m.put("ok_per_s", Math.round(ok / (double) durationSeconds));
        m.put("s429", s429);
        m.put("s429_retry_after", stats.s429RetryAfter.sum());
        m.put("s429_definite", stats.s429Definite.sum());
        m.put("s429_retry_after_definite", stats.s429Both.sum());
        m.put("s503", s503);
        m.put("s503_retry_after", stats.s503RetryAfter.sum());
        m.put("s503_definite", stats.s503Definite.sum());
        m.put("s503_retry_after_definite", stats.s503Both.sum());
        m.put("other", answers - ok - s429 - s503);
        m.put("statuses", stats.statuses());
        m.put("connect", stats.connectErrors.sum());
        m.put("read", stats.readErrors.sum());
        m.put("write", stats.writeErrors.sum());
        m.put("timeout", stats.timeouts.sum());
        m.put("malformed", stats.malformed.sum());
        m.put("closed_by_server", stats.closedByServer.sum());
        m.put("reconnects", stats.reconnects.sum());
        return m;
    }

    /**
     * kv.lua's requests, one per key, as wrk.format writes them: the request line, Host, then for a
     * body Content-Type and Content-Length.
     * <pre>
     *   etcd   put: POST /v3/kv/put   {"key":base64(k),"value":base64(v)}
     *          get: POST /v3/kv/range {"key":base64(k)}   (linearizable: serializable defaults to false)
     *   raftkv put: PUT  /kv/k        {"name":v}
     *          get: GET  /kv/k                             (linearizable: ReadIndex)
     * </pre>
     */
    static byte[][] requests(Store system, Op op, String host, int keys, int valueSize) {
        Base64.Encoder b64 = Base64.getEncoder();
        byte[][] requests = new byte[keys][];
        for (int i = 0; i < keys; i++) {
            String key = String.format(Locale.ROOT, "k%04d", i);
            String value = valueOf(i, valueSize);
            String r = switch (system) {
                case ETCD -> op == Op.PUT
                        ? format("POST", "/v3/kv/put", host, "{\"key\":\"" + b64.encodeToString(ascii(key))
                                + "\",\"value\":\"" + b64.encodeToString(ascii(value)) + "\"}")
                        : format("POST", "/v3/kv/range", host, "{\"key\":\"" + b64.encodeToString(ascii(key)) + "\"}");
                case RAFTKV -> op == Op.PUT
                        ? format("PUT", "/kv/" + key, host, "{\"name\":\"" + value + "\"}")
                        : "GET /kv/" + key + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
            };
            requests[i] = ascii(r);
        }
        return requests;
    }

    /** kv.lua's value_of: "v{i}-" padded with x to {@code size} bytes. */
    static String valueOf(int i, int size) {
        String v = "v" + i + "-";
        return v + "x".repeat(Math.max(0, size - v.length()));
    }

    private static String format(String method, String path, String host, String body) {
        return method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + ascii(body).length + "\r\n\r\n" + body;
    }

    /** As wrk sends it: the host, and the port if the URL names one. */
    static String hostHeader(URI url) {
        return url.getHost() + (url.getPort() == -1 ? "" : ":" + url.getPort());
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The bound on the whole run: past it, the JVM halts whatever a server or a thread does. */
    private static Thread startHardStop(long seconds) {
        return Thread.ofPlatform().daemon().name("hard-stop").start(() -> {
            try {
                TimeUnit.SECONDS.sleep(seconds);
            } catch (InterruptedException e) {
                return;
            }
            System.err.printf("ConnLoad: not done after %d s; stopping without a result%n", seconds);
            Runtime.getRuntime().halt(3);
        });
    }
}
