package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One snapshot transfer's window and retransmit timer ({@link SnapshotTransfer}): what the leader
 * sends next, and when a silence makes it send again from the follower's last word.
 */
class SnapshotTransferRulesTest {

    private static final int RETRANSMIT = 5;

    /** 40 bytes in 4-byte chunks, 3 in flight. */
    private static SnapshotTransfer transfer() {
        byte[] data = "0123456789abcdefghijABCDEFGHIJ!@#$%^&*()".getBytes();
        return new SnapshotTransfer(new Snapshot(6, 1, List.of("n1", "n2", "n3"), data), 4, 3);
    }

    private static void sendWindow(SnapshotTransfer t) {
        while (t.windowHasRoom()) {
            t.nextChunk();
        }
    }

    private static int ticksUntilRewind(SnapshotTransfer t) {
        for (int i = 1; i <= 10 * RETRANSMIT; i++) {
            if (t.tickRewinds(RETRANSMIT)) {
                return i;
            }
        }
        throw new AssertionError("never rewound");
    }

    @Test
    void aRepeatedReplyWithoutNewBytesDoesNotPutOffTheRewind() {
        SnapshotTransfer t = transfer();
        sendWindow(t); // 0, 4, 8
        t.acknowledged(4);
        for (int i = 1; i < RETRANSMIT; i++) {
            assertThat(t.tickRewinds(RETRANSMIT)).isFalse();
        }
        t.acknowledged(4); // the same word again: the chunk at 4 (or its reply) is still missing
        assertThat(t.tickRewinds(RETRANSMIT)).as("a retransmit timeout since the last progress").isTrue();
        assertThat(t.nextChunk().offset()).as("from the follower's last word").isEqualTo(4);
    }

    @Test
    void anOvertakenReplyDoesNotShrinkWhatTheFollowerHolds() {
        SnapshotTransfer t = transfer();
        sendWindow(t); // 0, 4, 8
        t.acknowledged(8);
        t.acknowledged(4); // older, delivered late
        assertThat(t.nextChunk().offset()).isEqualTo(12);
        assertThat(t.windowHasRoom()).as("8 and 12 in flight, room for one more").isTrue();
        assertThat(t.nextChunk().offset()).isEqualTo(16);
        assertThat(t.windowHasRoom()).isFalse();
    }

    @Test
    void aFollowerThatGotFurtherThanARewindAssumedIsSentWhatItLacks() {
        SnapshotTransfer t = transfer();
        sendWindow(t); // 0, 4, 8
        t.acknowledged(4);
        assertThat(ticksUntilRewind(t)).isEqualTo(RETRANSMIT);
        assertThat(t.nextChunk().offset()).isEqualTo(4); // the rewind resends from 4 ...
        t.acknowledged(12); // ... but the chunks at 4 and 8 had arrived after all
        assertThat(t.nextChunk().offset()).isEqualTo(12);
    }
}
