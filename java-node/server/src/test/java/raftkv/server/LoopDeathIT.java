package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crash fast: a node whose event loop dies, or any of whose threads dies of an Error, ends its
 * process at once with a non-zero status. A live process that serves nothing is the worst failure
 * for a supervisor or for Jepsen, since nothing restarts it; a dead one is what Raft is built for.
 */
class LoopDeathIT extends NodeProcessesTest {

    @ParameterizedTest
    @EnumSource(LoopKillingNode.Death.class)
    void aNodeEndsWithinASecondOfAnErrorWithANonZeroStatus(LoopKillingNode.Death death) throws Exception {
        cluster = NodeProcesses.fresh("loop-death-" + death, 1); // one node: it elects itself
        cluster.startThrough("n1", LoopKillingNode.class, death.name());
        Process process = cluster.process("n1");
        CompletableFuture<Long> exitedAt = process.onExit().thenApply(p -> System.currentTimeMillis());

        long exited = exitedAt.get(CLUSTER_UP.toSeconds(), TimeUnit.SECONDS);

        String log = Files.readString(cluster.logFile("n1"));
        int at = log.indexOf(LoopKillingNode.DIES_AT);
        assertThat(at).as("the node got as far as dying; its log:\n" + log).isNotNegative();
        long died = Long.parseLong(log.substring(at + LoopKillingNode.DIES_AT.length()).lines().findFirst()
                .orElseThrow().trim());
        assertThat(process.exitValue()).as(log).isEqualTo(RaftkvNode.EXIT_FAILED);
        assertThat(exited - died).as("milliseconds from the Error to the end of the process").isLessThan(1_000);
    }
}
