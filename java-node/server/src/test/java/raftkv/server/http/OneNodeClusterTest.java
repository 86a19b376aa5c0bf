package raftkv.server.http;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A one-node cluster (token "s3cret", 2 s request timeout) started as leader before each test. */
abstract class OneNodeClusterTest {

    @TempDir
    Path dataDir;

    InProcessNode node;

    @BeforeEach
    void startTheNode() throws Exception {
        node = new InProcessNode(dataDir, "s3cret", 2_000);
        node.awaitRole("leader");
    }

    @AfterEach
    void stopTheNode() throws Exception {
        node.close();
    }
}
