package raftkv.server;

import org.junit.jupiter.api.AfterEach;

/** A test that starts real node processes in {@link #cluster}; every one is killed after each test. */
abstract class NodeProcessesTest {

    NodeProcesses cluster;

    @AfterEach
    void killEveryNode() {
        if (cluster != null) {
            cluster.close();
        }
    }
}
