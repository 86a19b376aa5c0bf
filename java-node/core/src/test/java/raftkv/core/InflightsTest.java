package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The inflight window on its own: a bounded FIFO of the last indexes of unacknowledged AppendEntries. */
class InflightsTest {

    private static Inflights holding(int capacity, long... lastIndexes) {
        Inflights window = new Inflights(capacity);
        for (long lastIndex : lastIndexes) {
            window.add(lastIndex);
        }
        return window;
    }

    @Test
    void theWindowIsFullOnceCapacityMessagesAreInFlight() {
        Inflights window = holding(3, 2, 4);
        assertThat(window.full()).isFalse();
        window.add(6);
        assertThat(window.full()).isTrue();
        assertThat(window.count()).isEqualTo(3);
    }

    @Test
    void anAckFreesEveryMessageEndingAtOrBeforeTheAckedIndex() {
        Inflights window = holding(4, 3, 5, 7, 9);
        window.freeUpTo(6);
        assertThat(window.count()).as("the messages ending at 3 and 5 arrived").isEqualTo(2);
        window.freeUpTo(7);
        assertThat(window.count()).as("an ack of exactly a message's last index frees it").isEqualTo(1);
        assertThat(window.full()).isFalse();
    }

    @Test
    void anAckBelowTheOldestMessageFreesNothing() {
        Inflights window = holding(2, 5, 8);
        window.freeUpTo(4);
        assertThat(window.full()).isTrue();
    }

    @Test
    void aStaleAckAfterANewerOneChangesNothing() {
        Inflights window = holding(3, 2, 4, 6);
        window.freeUpTo(4);
        window.freeUpTo(2); // a reordered reply to the first message
        assertThat(window.count()).isEqualTo(1);
    }

    @Test
    void resetForgetsEveryMessageInFlight() {
        Inflights window = holding(2, 1, 2);
        window.reset();
        assertThat(window.count()).isZero();
        window.add(1); // a new stream may start anywhere once reset
        assertThat(window.count()).isEqualTo(1);
    }

    @Test
    void addingToAFullWindowIsRefused() {
        Inflights window = holding(1, 5);
        assertThatThrownBy(() -> window.add(6)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void messagesMustEndAtIncreasingIndexesUntilAReset() {
        Inflights window = holding(4, 5);
        assertThatThrownBy(() -> window.add(5)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> window.add(3)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aWindowHoldsAtLeastOneMessage() {
        assertThatThrownBy(() -> new Inflights(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
