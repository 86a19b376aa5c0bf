package raftkv.server.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.server.Json;

/**
 * A load generator: concurrent writers (PUT, each with its own client session) and readers
 * (linearizable GET), each a virtual thread sending to a random node, for a bounded time and a
 * bounded number of operations. Prints throughput and p50/p99 latency per kind.
 *
 * <p>{@code java -cp raftkv-node.jar raftkv.server.bench.Bench --nodes http://127.0.0.1:9101,...}
 */
@Command(name = "raftkv-bench", mixinStandardHelpOptions = true, description = "Load-test a raftkv cluster.")
public final class Bench implements Callable<Integer> {

    @Option(names = "--nodes", required = true, split = ",", description = "Base URLs of the nodes.")
    List<URI> nodes;

    @Option(names = "--writers", defaultValue = "16", description = "Concurrent writers (default ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--readers", defaultValue = "16", description = "Concurrent readers (default ${DEFAULT-VALUE}).")
    int readers;

    @Option(names = "--duration-s", defaultValue = "15", description = "Measured seconds (default ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--warmup-s", defaultValue = "5", description = "Unmeasured warm-up seconds (default ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--keys", defaultValue = "1000", description = "Distinct ids (default ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--max-ops", defaultValue = "2000000", description = "Stop after this many operations in all.")
    long maxOps;

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();
    private final AtomicLong opsStarted = new AtomicLong();

    /** Latencies of one worker, in nanoseconds, and its failures. */
    private static final class Recorder {
        long[] latencies = new long[1024];
        int count;
        long errors;

        void record(long nanos) {
            if (count == latencies.length) {
                latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = nanos;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Bench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        System.out.printf("bench: %d writers, %d readers, %d ids, %d s warm-up + %d s against %s%n", writers, readers,
                keys, warmupSeconds, durationSeconds, nodes);
        long warmupEnd = System.nanoTime() + Duration.ofSeconds(warmupSeconds).toNanos();
        long end = warmupEnd + Duration.ofSeconds(durationSeconds).toNanos();
        List<Recorder> writes = new ArrayList<>();
        List<Recorder> reads = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            Recorder recorder = new Recorder();
            writes.add(recorder);
            String clientId = openSession();
            threads.add(Thread.ofVirtual().start(() -> work(recorder, warmupEnd, end, seq -> {
                String body = "{\"name\":\"v" + seq + "\"}";
                return HttpRequest.newBuilder(target("/kv/k" + random(keys)))
                        .header("X-Client-Id", clientId)
                        .header("X-Client-Seq", Long.toString(seq))
                        .PUT(HttpRequest.BodyPublishers.ofString(body));
            })));
        }
        for (int r = 0; r < readers; r++) {
            Recorder recorder = new Recorder();
            reads.add(recorder);
            threads.add(Thread.ofVirtual().start(() -> work(recorder, warmupEnd, end,
                    seq -> HttpRequest.newBuilder(target("/kv/k" + random(keys))).GET())));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        report("writes", writes);
        report("reads", reads);
        return 0;
    }

    private interface RequestMaker {
        HttpRequest.Builder make(long sequence);
    }

    private void work(Recorder recorder, long warmupEnd, long end, RequestMaker maker) {
        long sequence = 0;
        while (System.nanoTime() < end && opsStarted.incrementAndGet() <= maxOps) {
            HttpRequest request = maker.make(++sequence).timeout(Duration.ofSeconds(10)).build();
            long start = System.nanoTime();
            boolean ok;
            try {
                int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                ok = status == 200 || status == 404;
            } catch (Exception e) {
                ok = false;
            }
            long elapsed = System.nanoTime() - start;
            if (start >= warmupEnd) {
                if (ok) {
                    recorder.record(elapsed);
                } else {
                    recorder.errors++;
                }
            }
        }
    }

    /** Registers a client session (POST /sessions) and returns the id the cluster issued. */
    private String openSession() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(target("/sessions")).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException("POST /sessions answered " + response.statusCode() + ": " + response.body());
        }
        return Json.MAPPER.readTree(response.body()).get("client_id").asText();
    }

    private URI target(String path) {
        return nodes.get(random(nodes.size())).resolve(path);
    }

    private static int random(int bound) {
        return ThreadLocalRandom.current().nextInt(bound);
    }

    private void report(String kind, List<Recorder> recorders) {
        long[] all = recorders.stream().flatMapToLong(r -> Arrays.stream(r.latencies, 0, r.count)).sorted().toArray();
        long errors = recorders.stream().mapToLong(r -> r.errors).sum();
        if (all.length == 0) {
            System.out.printf("%-6s: no successful operations (%d errors)%n", kind, errors);
            return;
        }
        System.out.printf("%-6s: %8d ok, %5d errors, %8.0f ops/s, p50 %6.2f ms, p99 %6.2f ms, max %7.2f ms%n", kind,
                all.length, errors, all.length / (double) durationSeconds, percentile(all, 0.50),
                percentile(all, 0.99), all[all.length - 1] / 1e6);
    }

    private static double percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }
}
