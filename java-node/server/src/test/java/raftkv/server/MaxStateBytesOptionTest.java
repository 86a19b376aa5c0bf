package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@code --max-state-bytes}: given, it is the quota; absent, half of this JVM's heap; never negative. */
class MaxStateBytesOptionTest {

    private static NodeConfig configOf(String... extra) {
        return CommandLineConfigs.configOf("n1=http://127.0.0.1:9401", extra);
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
