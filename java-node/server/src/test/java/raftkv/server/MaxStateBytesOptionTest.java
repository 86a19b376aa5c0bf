package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --max-state-bytes}: given, it is the quota; absent, half of this JVM's heap; never negative. */
class MaxStateBytesOptionTest {

    private static NodeConfig configOf(String... extra) {
        String[] required = {"--id", "n1", "--listen", "127.0.0.1:9401", "--peers", "n1=http://127.0.0.1:9401",
                "--data-dir", "/tmp/unused"};
        String[] args = new String[required.length + extra.length];
        System.arraycopy(required, 0, args, 0, required.length);
        System.arraycopy(extra, 0, args, required.length, extra.length);
        RaftkvNode options = new RaftkvNode();
        new CommandLine(options).parseArgs(args);
        return options.toConfig();
    }

    @Test
    void theOptionSetsTheStateMachinesQuota() {
        assertThat(configOf("--max-state-bytes", "123456789").quota().maxBytes()).isEqualTo(123_456_789L);
    }

    @Test
    void withoutTheOptionTheQuotaIsHalfTheHeap() {
        assertThat(configOf().quota().maxBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 2);
    }

    @Test
    void aNegativeQuotaIsRefused() {
        assertThatThrownBy(() -> configOf("--max-state-bytes", "-1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--max-state-bytes");
    }
}
