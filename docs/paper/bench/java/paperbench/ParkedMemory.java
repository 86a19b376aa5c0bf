package paperbench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * (c) What N parked tasks cost, at a stack depth: RSS and the runtime's own account (heap: a parked
 * virtual thread's frames live on the heap as stack-chunk objects), before and after. One
 * measurement per process; docs/paper/bench/measure.sh runs several. Go: go/main.go, same frames.
 *
 * <pre>  java paperbench.ParkedMemory virtual|platform N DEPTH</pre>
 *
 * DEPTH 0 parks at once; DEPTH 44 (run.sh's default) parks under 44 frames of {@link #descend},
 * each holding three longs that live across the call: as deep as a raftkv write handler waits for
 * the event loop under Jetty, Javalin and its own frames (measured, docs/paper/bench/README.md).
 */
public final class ParkedMemory {

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !(args[0].equals("virtual") || args[0].equals("platform"))) {
            System.err.println("usage: java paperbench.ParkedMemory virtual|platform N DEPTH");
            System.exit(2);
        }
        int n = Integer.parseInt(args[1]);
        int depth = Integer.parseInt(args[2]);
        Thread.Builder builder = args[0].equals("virtual") ? Thread.ofVirtual() : Thread.ofPlatform();
        String name = "memory-" + args[0] + "-d" + depth;
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch parked = new CountDownLatch(n);
        settle();
        long rssBefore = rssBytes();
        long heapBefore = heapUsed();
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long seed = i;
            threads.add(builder.start(() -> {
                try {
                    descend(depth, parked, release, seed);
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

    /** {@code depth} frames, each with three longs live across the call, then parks. */
    static long descend(int depth, CountDownLatch parked, CountDownLatch release, long a) throws InterruptedException {
        long b = a * 31 + depth;
        long c = b ^ (b >>> 7);
        long d = c + depth;
        if (depth == 0) {
            parked.countDown();
            release.await();
            return b + c + d;
        }
        return descend(depth - 1, parked, release, d) + b + c;
    }

    static void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
    }

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
}
