package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * 500 seeds (or {@code -Draftkv.sim.seeds=n}, as {@code make mutation-sim} sets) of 5-node clusters
 * under every fault mix: after every step the safety invariants hold,
 * after the heal a leader emerges and all nodes converge, and every history is linearizable.
 */
class RandomizedSimulationTest {

    static final int SEEDS = Integer.getInteger("raftkv.sim.seeds", 500);

    @Test
    void faultySeedsKeepEveryInvariantAndStayLinearizable() {
        int threads = Runtime.getRuntime().availableProcessors();
        SeedRunner.Summary summary = SeedRunner.run(Simulation.Settings.of(1), 1, SEEDS, threads, false);
        System.out.println("[sim] " + summary.describe());
        String failures = summary.failures().stream()
                .map(f -> "seed " + f.settings().seed() + ": " + f.failure() + "\n  replay: " + f.settings().reproduce())
                .collect(Collectors.joining("\n"));
        assertThat(summary.seeds()).isEqualTo(SEEDS);
        assertThat(summary.failures()).as(failures).isEmpty();
        // Every run did real work: clients completed operations under faults.
        assertThat(summary.operations()).isGreaterThan(SEEDS * 100L);
        // Snapshots were taken everywhere, and followers left behind the compacted prefix (by
        // partitions or crashes) caught up through InstallSnapshot.
        assertThat(summary.snapshots().saved()).isGreaterThan(SEEDS * 5L);
        assertThat(summary.snapshots().installed()).isGreaterThan(SEEDS / 2L);
    }

    @Test
    void aSeedReplaysTheSameRunExactly() {
        Simulation.Outcome first = Simulation.run(Simulation.Settings.of(42));
        Simulation.Outcome second = Simulation.run(Simulation.Settings.of(42));
        assertThat(first.history().events()).isNotEmpty().isEqualTo(second.history().events());
        assertThat(first.events()).isEqualTo(second.events());
        Simulation.Outcome other = Simulation.run(Simulation.Settings.of(43));
        assertThat(other.history().events()).isNotEqualTo(first.history().events());
    }

    @Test
    void everyFaultMixRunsCleanWithoutBugs() {
        for (FaultMix mix : FaultMix.ALL) {
            Simulation.Outcome outcome = Simulation.run(Simulation.Settings.of(3).withMix(mix));
            assertThat(outcome.failure()).as(mix.name()).isNull();
            assertThat(outcome.history().count(History.Type.OK)).as(mix.name() + " ok ops").isPositive();
        }
    }
}
