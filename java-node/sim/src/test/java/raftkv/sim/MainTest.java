package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: exit codes, summaries and the replay line. */
class MainTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void runPassesACleanSeedAndWritesItsHistoryAsEdn(@TempDir Path dir) throws IOException {
        Path edn = dir.resolve("history.edn");
        int exit = Main.run(new String[] {"run", "--seed", "5", "--edn", edn.toString()}, out);
        assertThat(exit).as(output()).isZero();
        assertThat(output()).contains("1 seeds: 1 passed, 0 failed").contains("written to " + edn);
        assertThat(Files.readAllLines(edn)).isNotEmpty().allMatch(line -> line.startsWith("{:type :"));
    }

    @Test
    void aFailingSeedPrintsOneReplayLineAndExitsNonZero() throws IOException {
        int exit = Main.run(new String[] {"run", "--seed", "1", "--bug", "stale-read", "--faults", "partitions"}, out);
        assertThat(exit).isEqualTo(1);
        assertThat(output()).contains("FAIL seed 1 (partitions): Linearizability")
                .contains("replay: java -jar java-node/sim/target/raftkv-sim.jar run --seed 1 --bug stale-read"
                        + " --faults partitions");
    }

    @Test
    void anUnknownBugIsAUsageError() throws IOException {
        assertThat(Main.run(new String[] {"run", "--bug", "no-such-bug"}, out)).isEqualTo(2);
        assertThat(output()).contains("unknown bug 'no-such-bug'").contains("usage:");
    }
}
