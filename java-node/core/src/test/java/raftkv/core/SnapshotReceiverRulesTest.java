package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The InstallSnapshot receiver's chunk rules (extended Raft paper Figure 13, dissertation Figure 5.3)
 * as {@link SnapshotReceiver} applies them, with what it asks of its {@link SnapshotSink}.
 */
class SnapshotReceiverRulesTest {

    private static final List<String> THREE = List.of("n1", "n2", "n3");
    private static final byte[] DATA = "0123456789".getBytes();

    /** What the receiver asked of its sink, in order; the data itself goes to an in-memory sink. */
    private final List<String> calls = new ArrayList<>();

    private final SnapshotSink sink = new SnapshotSink() {
        private final SnapshotSink memory = SnapshotSink.inMemory();

        @Override
        public void begin(long lastIncludedIndex, long lastIncludedTerm, ClusterConfig configuration) {
            calls.add("begin " + lastIncludedIndex);
            memory.begin(lastIncludedIndex, lastIncludedTerm, configuration);
        }

        @Override
        public void append(byte[] chunk) {
            calls.add("append " + chunk.length);
            memory.append(chunk);
        }

        @Override
        public SnapshotData finish() {
            calls.add("finish");
            return memory.finish();
        }

        @Override
        public void discard() {
            calls.add("discard");
            memory.discard();
        }

        @Override
        public void drop(SnapshotData finished) {
            calls.add("drop " + finished.size());
            memory.drop(finished);
        }
    };

    private final SnapshotReceiver receiver = new SnapshotReceiver(sink);

    /** A chunk of the snapshot at {@code index} (term 1) sent by the leader of {@code leaderTerm}. */
    private static Message.InstallSnapshot chunk(long leaderTerm, long index, int offset, int length) {
        return new Message.InstallSnapshot(leaderTerm, "n1", "n2", index, 1, THREE, offset,
                Arrays.copyOfRange(DATA, offset, offset + length), offset + length == DATA.length);
    }

    @Test
    void aPartialSnapshotCoveringOnlyCommittedEntriesIsDiscarded_Figure13Rule5() {
        receiver.discardThrough(10);
        assertThat(calls).as("nothing under way: nothing to discard").isEmpty();
        receiver.accept(chunk(2, 5, 0, 4));
        receiver.discardThrough(4);
        assertThat(calls).as("it holds entry 5, which is not committed here").containsExactly("begin 5", "append 4");
        receiver.discardThrough(5);
        assertThat(calls).containsExactly("begin 5", "append 4", "discard");
        // Forgotten: the next chunk of that transfer cannot continue it, and only a first chunk starts one.
        assertThat(receiver.accept(chunk(2, 5, 4, 4))).isEqualTo(new SnapshotReceiver.Outcome.Ignored(0));
        receiver.discardThrough(5);
        assertThat(calls).as("discarded once").containsOnlyOnce("discard");
    }

    @Test
    void aCompleteSnapshotTheLogMakesUnneededIsDroppedFromTheSink_Figure13Rule6() {
        receiver.accept(chunk(2, 5, 0, 4));
        receiver.accept(chunk(2, 5, 4, 4));
        SnapshotReceiver.Outcome last = receiver.accept(chunk(2, 5, 8, 2));
        assertThat(last).isInstanceOf(SnapshotReceiver.Outcome.Complete.class);
        Snapshot complete = ((SnapshotReceiver.Outcome.Complete) last).snapshot();
        receiver.discardComplete(complete);
        assertThat(calls).endsWith("finish", "drop 10");
    }

    @Test
    void aFinishedTransferIsOverAndAFirstChunkStartsTheNextOne_Figure13Rule2() {
        receiver.accept(chunk(2, 5, 0, 4));
        receiver.accept(chunk(2, 5, 4, 4));
        receiver.accept(chunk(2, 5, 8, 2));
        // "5. Save snapshot file, discard any existing or partial snapshot": nothing is under way, so a
        // late copy of a middle chunk continues nothing.
        assertThat(receiver.accept(chunk(2, 5, 4, 4))).isEqualTo(new SnapshotReceiver.Outcome.Ignored(0));
        assertThat(receiver.accept(chunk(2, 7, 0, 4))).isEqualTo(new SnapshotReceiver.Outcome.Accepted(4));
        assertThat(calls).endsWith("begin 7", "append 4");
    }

    @Test
    void aLaterLeadersTransferStartsOverEvenForTheSameSnapshot_Figure13Rule2() {
        receiver.accept(chunk(2, 5, 0, 4));
        receiver.accept(chunk(2, 5, 4, 4));
        // The leader of term 3 sends the snapshot at 5 too, from its first byte: its own transfer.
        assertThat(receiver.accept(chunk(3, 5, 0, 4))).isEqualTo(new SnapshotReceiver.Outcome.Accepted(4));
        assertThat(calls).endsWith("begin 5", "append 4");
        assertThat(calls).filteredOn(c -> c.startsWith("begin")).hasSize(2);
        // And the earlier leader's chunks are outdated now.
        assertThat(receiver.accept(chunk(2, 5, 8, 2))).isEqualTo(new SnapshotReceiver.Outcome.Outdated());
    }

    /** n2 of three, a fresh follower that receives snapshots into {@link #sink}. */
    private RaftNode follower() {
        return RaftNode.restart(Harness.config("n2", THREE), HardState.INITIAL, Optional.empty(), List.of(),
                new SplittableRandom(42), sink);
    }

    @Test
    void aFollowerDiscardsAPartialSnapshotOnceItCommittedItsEntriesFromTheLog_Figure13Rule5() {
        RaftNode n2 = follower();
        n2.step(chunk(2, 3, 0, 4));
        n2.step(new Message.AppendEntries(2, "n1", "n2", 0, 0, Harness.entries(1, 1, 1), 3, 1));
        assertThat(n2.commitIndex()).isEqualTo(3);
        n2.step(chunk(2, 3, 4, 4));
        assertThat(calls).containsExactly("begin 3", "append 4", "discard");
        assertThat(Harness.sent(Harness.drain(n2), Message.InstallSnapshotReply.class)).last()
                .isEqualTo(new Message.InstallSnapshotReply(2, "n2", "n1", 3, 0, 3));
    }

    @Test
    void aFollowerWhoseLogHoldsTheSnapshotsLastEntryDropsTheSnapshot_Figure13Rule6() {
        RaftNode n2 = follower();
        n2.step(new Message.AppendEntries(2, "n1", "n2", 0, 0, Harness.entries(1, 1, 1), 0, 1));
        n2.step(chunk(2, 3, 0, DATA.length));
        // "6. If existing log entry has same index and term as snapshot's last included entry, retain
        // log entries following it and reply": the snapshot is not installed, and its data not kept.
        assertThat(calls).endsWith("finish", "drop 10");
        assertThat(n2.snapshotIndex()).isZero();
        assertThat(n2.commitIndex()).isEqualTo(3);
    }
}
