package raftkv.server;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/** A test that starts real node processes in {@link #cluster}; every one is killed after each test. */
abstract class NodeProcessesTest {

    /**
     * How long fresh JVMs may take to start and elect a leader. A liveness bound, not a
     * performance target: at load 20-30 on two cores each JVM took 10-25 s to open its port.
     */
    static final Duration CLUSTER_UP = Duration.ofSeconds(90);

    NodeProcesses cluster;

    @AfterEach
    void killEveryNode() {
        if (cluster != null) {
            cluster.close();
        }
    }
}
