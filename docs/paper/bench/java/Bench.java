import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;

/**
 * The Java half of the paper's benchmark pair (docs/paper/bench/go/main.go is the other half; both
 * print the same RESULT lines, which docs/paper/bench/run.sh turns into a table). Standard library
 * only, compiled with --release 21.
 *
 * <pre>
 *   java Bench pingpong|fanout|eventloop REPS     (one warm-up round, then REPS measured rounds)
 *   java Bench memory N                           (N parked virtual threads; one measurement)
 *   java Bench memory-platform N                  (N parked platform threads; one measurement)
 * </pre>
 */
public final class Bench {

    static final int PING_PONG_ROUND_TRIPS = 200_000;
    static final int FAN_OUT_TASKS = 100_000;
    static final int EVENT_LOOP_REQUESTERS = 1_000;
    static final int EVENT_LOOP_REQUESTS_EACH = 100;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: java Bench pingpong|fanout|eventloop REPS | memory|memory-platform N");
            System.exit(2);
        }
        int n = Integer.parseInt(args[1]);
        switch (args[0]) {
            case "pingpong" -> {
                repeat("pingpong-virtual", "ns/roundtrip", n, () -> pingPong(Thread.ofVirtual()));
                repeat("pingpong-platform", "ns/roundtrip", n, () -> pingPong(Thread.ofPlatform()));
            }
            case "fanout" -> repeat("fanout-virtual", "ms", n, Bench::fanOut);
            case "eventloop" -> repeat("eventloop-virtual", "ns/request", n, Bench::eventLoop);
            case "memory" -> memory(n, Thread.ofVirtual(), "memory-virtual");
            case "memory-platform" -> memory(n, Thread.ofPlatform(), "memory-platform");
            default -> {
                System.err.println("unknown benchmark " + args[0]);
                System.exit(2);
            }
        }
    }

    interface Measurement {
        long run() throws Exception;
    }

    /** One warm-up round (JIT), then {@code reps} measured ones, each printed as a RESULT line. */
    static void repeat(String name, String unit, int reps, Measurement m) throws Exception {
        m.run();
        for (int i = 0; i < reps; i++) {
            System.out.println("RESULT " + name + " " + unit + " " + m.run());
        }
    }

    // (a) Two tasks hand a token back and forth through rendezvous queues (Go: unbuffered channels).
    static long pingPong(Thread.Builder builder) throws Exception {
        SynchronousQueue<Integer> ping = new SynchronousQueue<>();
        SynchronousQueue<Integer> pong = new SynchronousQueue<>();
        Thread ponger = builder.start(() -> {
            try {
                for (int i = 0; i < PING_PONG_ROUND_TRIPS; i++) {
                    pong.put(ping.take() + 1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long[] elapsed = new long[1];
        Thread pinger = builder.start(() -> {
            try {
                long start = System.nanoTime();
                int token = 0;
                for (int i = 0; i < PING_PONG_ROUND_TRIPS; i++) {
                    ping.put(token);
                    token = pong.take();
                }
                elapsed[0] = System.nanoTime() - start;
                if (token != PING_PONG_ROUND_TRIPS) {
                    throw new AssertionError("token " + token);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        pinger.join();
        ponger.join();
        return elapsed[0] / PING_PONG_ROUND_TRIPS;
    }

    // (b) 100,000 tasks that each block for 1 ms, started at once, their results gathered.
    static long fanOut() throws Exception {
        long start = System.nanoTime();
        long sum = 0;
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> results = new ArrayList<>(FAN_OUT_TASKS);
            for (int i = 0; i < FAN_OUT_TASKS; i++) {
                int task = i;
                results.add(executor.submit(() -> {
                    Thread.sleep(1);
                    return task;
                }));
            }
            for (Future<Integer> result : results) {
                sum += result.get();
            }
        }
        long elapsed = System.nanoTime() - start;
        if (sum != (long) FAN_OUT_TASKS * (FAN_OUT_TASKS - 1) / 2) {
            throw new AssertionError("sum " + sum);
        }
        return elapsed / 1_000_000;
    }

    // (c) How much memory N parked tasks cost: RSS and the runtime's own account, before and after.
    static void memory(int n, Thread.Builder builder, String name) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch parked = new CountDownLatch(n);
        settle();
        long rssBefore = rssBytes();
        long heapBefore = heapUsed();
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            threads.add(builder.start(() -> {
                parked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        parked.await();
        Thread.sleep(200); // let the last ones reach await()
        settle();
        long rssAfter = rssBytes();
        long heapAfter = heapUsed();
        System.out.println("RESULT " + name + "-rss bytes/task " + (rssAfter - rssBefore) / n);
        System.out.println("RESULT " + name + "-runtime bytes/task " + (heapAfter - heapBefore) / n);
        release.countDown();
        for (Thread t : threads) {
            t.join();
        }
    }

    static void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
    }

    /** Heap in use: a parked virtual thread's stack lives on the heap as a stack-chunk object. */
    static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static long rssBytes() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    // (d) raftkv's event-loop pattern: one owner thread holds the state; requesters (virtual threads)
    // put a request with a reply future on a bounded queue and block on the future.
    record Request(String key, CompletableFuture<Long> reply) {}

    static long eventLoop() throws Exception {
        BlockingQueue<Request> events = new ArrayBlockingQueue<>(10_000);
        Thread owner = Thread.ofPlatform().start(() -> {
            java.util.HashMap<String, Long> state = new java.util.HashMap<>(); // touched by this thread only
            try {
                while (true) {
                    Request r = events.take();
                    if (r.key() == null) {
                        return;
                    }
                    r.reply().complete(state.merge(r.key(), 1L, Long::sum));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long start = System.nanoTime();
        try (ExecutorService requesters = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < EVENT_LOOP_REQUESTERS; i++) {
                String key = "k" + (i % 100);
                requesters.submit(() -> {
                    for (int j = 0; j < EVENT_LOOP_REQUESTS_EACH; j++) {
                        CompletableFuture<Long> reply = new CompletableFuture<>();
                        events.put(new Request(key, reply));
                        reply.join();
                    }
                    return null;
                });
            }
        }
        long elapsed = System.nanoTime() - start;
        events.put(new Request(null, null));
        owner.join();
        return elapsed / ((long) EVENT_LOOP_REQUESTERS * EVENT_LOOP_REQUESTS_EACH);
    }
}
