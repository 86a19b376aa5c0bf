package raftkv.server.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import raftkv.core.Command;
import raftkv.server.NodeConfig;
import raftkv.server.NodeStatus;
import raftkv.server.ReadOutcome;
import raftkv.server.RunningNode;
import raftkv.server.WriteOutcome;

/**
 * Log compaction, measured (issue 10): a one-node cluster takes {@code writes} puts (over a fixed
 * set of ids, through the event loop, fsync on), then reports the log it holds, the heap after a
 * full GC and the data directory's size; then it is closed and restarted from its data directory,
 * and the time until it serves a linearizable read is measured.
 *
 * <p>{@code java -cp raftkv-node.jar raftkv.server.bench.CompactionBench DATA_DIR [writes] [snapshot-entries] [trailing]}
 */
public final class CompactionBench {

    private static final int WRITERS = 64;
    private static final int KEYS = 1000;

    private CompactionBench() {}

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(args[0]);
        long writes = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000;
        int snapshotEntries = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        int trailing = args.length > 3 ? Integer.parseInt(args[3]) : 1_000;
        NodeConfig config = NodeConfig.builder("n1", new TreeMap<>(Map.of("n1", URI.create("http://127.0.0.1:1"))), dataDir)
                .timing(5, 100, 200, 20)
                .snapshots(snapshotEntries, trailing)
                .build();

        RunningNode node = start(config);
        while (!"leader".equals(node.loop().status().role())) {
            Thread.sleep(5); // a one-node cluster elects itself after one election timeout
        }
        long start = System.nanoTime();
        AtomicLong next = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            writers.add(Thread.ofVirtual().start(() -> {
                for (long i = next.getAndIncrement(); i < writes; i = next.getAndIncrement()) {
                    CompletableFuture<WriteOutcome> reply =
                            node.loop().propose(new Command.Put("id" + (i % KEYS), "name-" + i), null);
                    if (!(reply.join() instanceof WriteOutcome.Applied)) {
                        failed.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread writer : writers) {
            writer.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        NodeStatus status = node.loop().status();
        System.out.printf("%,d writes in %.1f s (%,.0f/s), %d not applied%n", writes, seconds, writes / seconds,
                failed.get());
        System.out.printf("log: %,d entries held (threshold %,d + tail %,d = %,d), snapshot at %,d, last index %,d%n",
                status.logEntries(), snapshotEntries, trailing, snapshotEntries + trailing, status.snapshotIndex(),
                status.lastIndex());
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        System.gc();
        System.out.printf("heap after full GC: %.1f MiB used%n", memory.getHeapMemoryUsage().getUsed() / 1048576.0);
        System.out.printf("data directory: %s%n", describe(dataDir));
        node.close();

        long restartStart = System.nanoTime();
        RunningNode restarted = start(config);
        while (true) {
            ReadOutcome<Integer> read = restarted.loop().read(kv -> kv.size()).join();
            if (read instanceof ReadOutcome.Served<Integer> served) {
                System.out.printf("restart: serving a linearizable read after %d ms (map of %d ids, applied %d)%n",
                        (System.nanoTime() - restartStart) / 1_000_000, served.value(),
                        restarted.loop().status().lastApplied());
                break;
            }
            Thread.sleep(1);
        }
        restarted.close();
    }

    private static RunningNode start(NodeConfig config) throws IOException {
        return RunningNode.start(config, new SplittableRandom(1), e -> {
            e.printStackTrace();
            Runtime.getRuntime().halt(1);
        });
    }

    private static String describe(Path dir) throws IOException {
        StringBuilder out = new StringBuilder();
        long total = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                long size = Files.size(f);
                total += size;
                out.append(f.getFileName()).append(' ').append(String.format("%,d", size)).append(" B, ");
            }
        }
        return out.append(String.format("total %,d B", total)).toString();
    }
}
