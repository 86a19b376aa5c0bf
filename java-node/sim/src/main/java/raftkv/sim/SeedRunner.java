package raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs many seeds, each an independent simulation, on a few threads. Results are reported in seed
 * order, so the summary does not depend on thread scheduling.
 */
final class SeedRunner {

    /** The outcome of a batch of seeds. {@code failures} are in seed order. */
    record Summary(int seeds, List<Simulation.Outcome> failures, long operations, long events, long powerCuts,
            long tornTailsCut, SnapshotCounts snapshots, MembershipNemesis.Counts membership, long wallNanos) {
        double operationsPerSecond() {
            return operations / (wallNanos / 1e9);
        }

        String describe() {
            return String.format(
                    "%d seeds: %d passed, %d failed; %,d client operations, %,d events, %,d power cuts mid-fsync"
                            + " (%,d torn WAL tails cut at restart); %,d snapshots taken, %,d installed from a"
                            + " leader (%,d chunks sent; %,d restored after a delay, %,d Raft messages handled"
                            + " meanwhile), %,d power cuts mid-snapshot; in %.1f s (%,.0f simulated ops/s)",
                    seeds, seeds - failures.size(), failures.size(), operations, events, powerCuts, tornTailsCut,
                    snapshots.saved(), snapshots.installed(), snapshots.chunksSent(), snapshots.restored(),
                    snapshots.stepsWhileRestoring(), snapshots.cutMidSnapshot(),
                    wallNanos / 1e9, operationsPerSecond())
                    + (membership.proposed() == 0 ? "" : String.format("; membership: %,d changes proposed, %,d"
                            + " accepted (%,d removing the leader), %,d rejected, %,d nodes replaced by empty ones",
                            membership.proposed(), membership.accepted(), membership.leaderRemovals(),
                            membership.rejected(), membership.replaced()));
        }
    }

    private SeedRunner() {}

    /**
     * Runs seeds {@code first .. first + count - 1}. With {@code stopAtFirstFailure}, seeds after
     * a failing one that have not started are skipped (finding one failing seed is the goal).
     */
    static Summary run(Simulation.Settings base, long first, int count, int threads, boolean stopAtFirstFailure) {
        long start = System.nanoTime();
        AtomicBoolean failed = new AtomicBoolean();
        List<Future<Simulation.Outcome>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads))) {
            for (long seed = first; seed < first + count; seed++) {
                Simulation.Settings settings = base.withSeed(seed);
                futures.add(pool.submit(() -> {
                    if (stopAtFirstFailure && failed.get()) {
                        return null;
                    }
                    Simulation.Outcome outcome = Simulation.run(settings);
                    if (!outcome.passed()) {
                        failed.set(true);
                    }
                    return outcome;
                }));
            }
            List<Simulation.Outcome> failures = new ArrayList<>();
            long operations = 0;
            long events = 0;
            long powerCuts = 0;
            long tornTailsCut = 0;
            SnapshotCounts snapshots = SnapshotCounts.NONE;
            MembershipNemesis.Counts membership = MembershipNemesis.Counts.NONE;
            int ran = 0;
            for (Future<Simulation.Outcome> future : futures) {
                Simulation.Outcome outcome = future.get();
                if (outcome == null) {
                    continue;
                }
                ran++;
                operations += outcome.history().completions();
                events += outcome.events();
                powerCuts += outcome.powerCuts();
                tornTailsCut += outcome.tornTailsCut();
                snapshots = snapshots.plus(outcome.snapshots());
                membership = membership.plus(outcome.membership());
                if (!outcome.passed()) {
                    failures.add(outcome);
                }
            }
            return new Summary(ran, failures, operations, events, powerCuts, tornTailsCut, snapshots, membership,
                    System.nanoTime() - start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a simulation crashed: " + e.getCause(), e.getCause());
        }
    }
}
