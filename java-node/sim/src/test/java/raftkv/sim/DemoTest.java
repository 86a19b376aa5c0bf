package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code make demo SEED=n} tells the same story every time, and the story ends well. */
class DemoTest {

    private static String demo(long seed) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Demo.run(seed, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theSameSeedPrintsByteIdenticalOutput() {
        assertThat(demo(7)).isEqualTo(demo(7));
    }

    @Test
    void theDemoElectsFailsOverHealsAndEndsWithOneMap() {
        for (long seed = 1; seed <= 5; seed++) {
            String out = demo(seed);
            assertThat(out)
                    .as("seed " + seed + ":\n" + out)
                    .contains("is elected leader of term 1")
                    .contains("write 1 => Ada -> ok")
                    .contains("PARTITION")
                    .contains("is elected leader of term 2")
                    .contains("HEAL")
                    .contains("RESTART")
                    .contains("every node holds the same map")
                    .contains("{1=Lovelace, 2=Grace, 3=Edsger, 4=Barbara, 5=Leslie}")
                    .contains("all held")
                    .contains("operations: linearizable");
        }
    }
}
