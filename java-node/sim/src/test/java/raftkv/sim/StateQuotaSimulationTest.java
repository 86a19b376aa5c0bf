package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.core.StateQuota;

/**
 * A state quota in a whole simulated cluster under faults: every node refuses the same writes at the
 * same indexes (the invariants compare each index's result across nodes, snapshots included), and
 * the histories, where a refused write is a definite failure, stay linearizable.
 */
class StateQuotaSimulationTest {

    /** Room for two ids with the longest name and a third with the shortest: most writes to the third are refused. */
    private static final StateQuota SMALL = new StateQuota(
            2 * StateQuota.entryBytes("1", "Barbara") + StateQuota.entryBytes("3", "Ada"));

    @Test
    void writesBeyondTheQuotaAreRefusedAlikeOnEveryNodeAndTheHistoryStaysLinearizable() {
        for (FaultMix mix : List.of(FaultMix.CALM, FaultMix.MIXED, FaultMix.PARTITIONS)) {
            Simulation.Outcome outcome = Simulation.run(Simulation.Settings.of(18).withMix(mix).withQuota(SMALL));
            assertThat(outcome.failure()).as(mix.name()).isNull();
            assertThat(outcome.quotaRefusals()).as(mix.name() + " writes refused by the quota").isPositive();
            assertThat(outcome.history().count(History.Type.OK)).as(mix.name() + " ok ops").isPositive();
        }
    }
}
