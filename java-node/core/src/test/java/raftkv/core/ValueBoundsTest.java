package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Value records reject what cannot be and accept their exact boundaries. */
class ValueBoundsTest {

    @Test
    void aSnapshotCoversAtLeastEntryOneOfTermOne_5_1() {
        assertThat(new Snapshot(1, 1, List.of("n1"), new byte[0]).lastIncludedIndex()).isEqualTo(1);
        assertThatThrownBy(() -> new Snapshot(0, 1, List.of("n1"), new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Snapshot(1, 0, List.of("n1"), new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aStateQuotaIsZeroBytesOrMore() {
        assertThat(new StateQuota(0).maxBytes()).isZero();
        assertThatThrownBy(() -> new StateQuota(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theDefaultQuotaIsHalfTheHeap() {
        assertThat(StateQuota.halfOfHeap(512).maxBytes()).isEqualTo(256);
    }

    @Test
    void utf8LengthCountsOneTwoOrThreeBytesAtTheEncodingBoundaries() {
        assertThat(StateQuota.utf8Length("\u007f")).isEqualTo(1);
        assertThat(StateQuota.utf8Length("\u0080")).isEqualTo(2);
        assertThat(StateQuota.utf8Length("\u07ff")).isEqualTo(2);
        assertThat(StateQuota.utf8Length("\u0800")).isEqualTo(3);
        assertThat(StateQuota.utf8Length("\ud83d\ude00")).isEqualTo(4);
    }
}
