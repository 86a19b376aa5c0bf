package raftkv.server.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Slowloris: connections that send their request one byte a second, half of them in the headers,
 * half in a body they announced with {@code Content-Length}, each held as long as the server lets
 * it (up to --hold-s). A byte a second keeps a plain idle timeout from ever firing. Meanwhile,
 * every second, a new client asks each node for {@code /status} and writes one key on the target,
 * to see that ordinary requests are still served.
 */
@Command(name = "slow", mixinStandardHelpOptions = true,
        description = "Connections sending one byte a second; how long the server keeps them.")
final class SlowConnections implements Runnable {

    @Option(names = "--target", required = true, description = "Base URL of the node the slow clients use.")
    URI target;

    @Option(names = "--nodes", required = true, split = ",", description = "Base URLs of every node (probed).")
    List<URI> nodes;

    @Option(names = "--connections", defaultValue = "500", description = "Slow connections (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--hold-s", defaultValue = "60", description = "Longest a connection is kept (default ${DEFAULT-VALUE}).")
    int holdSeconds;

    /** How one slow connection ended, after {@code seconds} held. */
    sealed interface End {
        long seconds();

        /** The server closed it (EOF, {@code how} = "closed") or broke it (a reset: its message), unanswered. */
        record Closed(String how, long seconds) implements End {}

        /** The server answered (408, 400, 413, 431, ...) and the connection ended or was left. */
        record Answered(int status, long seconds) implements End {}

        /** Still open when --hold-s ran out: the server would have kept it longer. */
        record StillOpen(long seconds) implements End {}

        /** Never connected (the server or the kernel refused or dropped it). */
        record NotConnected(long seconds) implements End {}
    }

    private enum Slow {
        HEADERS,
        BODY
    }

    @Override
    public void run() {
        System.out.printf("slow: %d connections to %s sending a byte a second (half headers, half body), held up to"
                + " %d s%n", connections, target, holdSeconds);
        // Written by the connections' virtual threads: concurrent lists, no synchronized (pinning on Java 21).
        List<End> headerEnds = new CopyOnWriteArrayList<>();
        List<End> bodyEnds = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            Slow slow = i % 2 == 0 ? Slow.HEADERS : Slow.BODY;
            int n = i;
            threads.add(Thread.ofVirtual().start(() -> {
                End end = hold(n, slow);
                (slow == Slow.HEADERS ? headerEnds : bodyEnds).add(end);
            }));
        }
        Probes probes = probeWhile(threads);
        List<End> all;
        report("slow headers", headerEnds);
        report("slow body", bodyEnds);
        all = new ArrayList<>(headerEnds);
        all.addAll(bodyEnds);
        System.out.printf("slow: meanwhile %s%n", probes);
        System.out.printf("NOTE: %d slow connections: %s; meanwhile %s%n", connections, summary(all), probes);
    }

    private End hold(int n, Slow slow) {
        long start = System.nanoTime();
        String head = "PUT /kv/slow-" + n + " HTTP/1.1\r\nHost: " + HostileClients.hostOf(target)
                + "\r\nContent-Type: application/json\r\n";
        // More bytes than --hold-s seconds can deliver, so the request is never complete.
        String padding = "x".repeat(holdSeconds + 100);
        byte[] fast = slow == Slow.HEADERS ? head.getBytes(StandardCharsets.US_ASCII)
                : (head + "Content-Length: " + (padding.length() + 12) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] trickle = (slow == Slow.HEADERS ? "X-Slow: " + padding : "{\"name\":\"" + padding)
                .getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket()) {
            try {
                socket.connect(new InetSocketAddress(target.getHost(), target.getPort()), 5_000);
            } catch (IOException e) {
                return new End.NotConnected(secondsSince(start));
            }
            // Reading with a one-second timeout is the pacing: it also notices at once when the
            // server answers or closes.
            socket.setSoTimeout(1_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(fast);
            for (int i = 0; i < trickle.length && secondsSince(start) < holdSeconds; i++) {
                out.write(trickle[i]);
                out.flush();
                try {
                    int status = HostileClients.readStatus(in);
                    return status > 0 ? new End.Answered(status, secondsSince(start))
                            : new End.Closed("closed", secondsSince(start));
                } catch (SocketTimeoutException e) {
                    // nothing from the server within the second: still held, send the next byte
                }
            }
            return new End.StillOpen(secondsSince(start));
        } catch (IOException e) {
            // A reset, or a broken pipe on the next byte after the server went away.
            return new End.Closed(e.getClass().getSimpleName() + ": " + e.getMessage(), secondsSince(start));
        }
    }

    /** Latencies (ms) and failures of the ordinary requests sent while the slow clients hold on. */
    record Probes(long[] statusMillis, long statusFailed, long[] putMillis, long putFailed) {
        @Override
        public String toString() {
            return String.format("/status %d answered (max %d ms), %d failed; PUT %d answered (p50 %d ms, max %d ms),"
                            + " %d failed", statusMillis.length, HostileClients.percentile(statusMillis, 1), statusFailed,
                    putMillis.length, HostileClients.percentile(putMillis, 0.5), HostileClients.percentile(putMillis, 1),
                    putFailed);
        }
    }

    /** Once a second until every slow connection has ended (bounded by --hold-s + 15 s). */
    private Probes probeWhile(List<Thread> threads) {
        List<Long> status = new ArrayList<>();
        List<Long> puts = new ArrayList<>();
        long statusFailed = 0;
        long putFailed = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(holdSeconds + 15L);
        for (int round = 0; threads.stream().anyMatch(Thread::isAlive) && System.nanoTime() < deadline; round++) {
            long roundStart = System.nanoTime();
            // A new client each round: a new user opens a new connection, which is what a
            // server short of connections would refuse.
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(2)).build()) {
                for (URI node : nodes) {
                    long ms = timed(client, HttpRequest.newBuilder(node.resolve("/status")).GET());
                    if (ms >= 0) {
                        status.add(ms);
                    } else {
                        statusFailed++;
                    }
                }
                long ms = timed(client, HttpRequest.newBuilder(target.resolve("/kv/probe"))
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"p" + round + "\"}")));
                if (ms >= 0) {
                    puts.add(ms);
                } else {
                    putFailed++;
                }
            }
            sleepUntil(roundStart + TimeUnit.SECONDS.toNanos(1));
        }
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return new Probes(status.stream().mapToLong(Long::longValue).toArray(), statusFailed,
                puts.stream().mapToLong(Long::longValue).toArray(), putFailed);
    }

    /** Milliseconds to a 2xx answer, or -1 for any other answer or none within 5 s. */
    private static long timed(HttpClient client, HttpRequest.Builder request) {
        long start = System.nanoTime();
        try {
            int status = client.send(request.timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            return status / 100 == 2 ? TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void report(String group, List<End> ends) {
        System.out.printf("slow: %-12s %s%n", group + ":", summary(ends));
    }

    private String summary(List<End> ends) {
        HostileClients.Tally how = new HostileClients.Tally();
        List<Long> closedAfter = new ArrayList<>();
        for (End end : ends) {
            switch (end) {
                case End.Closed c -> how.add(c.how().equals("closed") ? "closed by server" : "broken (" + c.how() + ")");
                case End.Answered a -> how.add("answered " + a.status());
                case End.StillOpen s -> how.add("still open at " + holdSeconds + " s");
                case End.NotConnected x -> how.add("not connected");
            }
            if (end instanceof End.Closed || end instanceof End.Answered) {
                closedAfter.add(end.seconds());
            }
        }
        long[] held = closedAfter.stream().mapToLong(Long::longValue).toArray();
        return how + (held.length == 0 ? ""
                : String.format("; ended by the server after median %d s, max %d s", HostileClients.percentile(held, 0.5),
                        HostileClients.percentile(held, 1)));
    }

    private static long secondsSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
    }

    private static void sleepUntil(long nanos) {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
