package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.FIVE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.sent;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Linearizable reads by ReadIndex (dissertation §6.4). */
class ReadIndexTest {

    /** A leader of term 1 whose no-op (index 1) is committed. */
    private static RaftNode leaderWithCommittedNoop() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 1));
        n1.step(ack(n1, "n3", 1, 1));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(1);
        return n1;
    }

    private static long roundOfHeartbeat(Ready ready) {
        return sent(ready, Message.AppendEntries.class).getFirst().round();
    }

    @Test
    void readIsServedOnlyAfterAMajorityConfirmsLeadership_6_4() {
        RaftNode n1 = leaderWithCommittedNoop();
        assertThat(n1.read(42)).isEqualTo(new ReadResult.Registered());
        Ready heartbeats = drain(n1);
        assertThat(sent(heartbeats, Message.AppendEntries.class)).hasSize(4);
        assertThat(heartbeats.readStates()).isEmpty();
        long round = roundOfHeartbeat(heartbeats);
        // Replies to messages sent BEFORE the read arrived prove nothing about now.
        n1.step(ack(n1, "n2", 1, round - 1));
        n1.step(ack(n1, "n3", 1, round - 1));
        assertThat(drain(n1).readStates()).isEmpty();
        n1.step(ack(n1, "n2", 1, round));
        assertThat(drain(n1).readStates()).isEmpty(); // leader + n2: 2 of 5
        n1.step(ack(n1, "n4", 1, round + 3));
        assertThat(drain(n1).readStates()).containsExactly(new ReadState(42, 1));
    }

    @Test
    void readWaitsUntilLeaderCommittedAnEntryOfItsTerm_6_4_8() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1); // no-op at index 1 not committed yet
        n1.read(7);
        long round = roundOfHeartbeat(drain(n1));
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", true, 0, 0, 0, round));
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n3", "n1", true, 0, 0, 0, round));
        assertThat(drain(n1).readStates()).as("leadership confirmed, but no entry of term 1 committed").isEmpty();
        n1.step(ack(n1, "n2", 1, round + 10));
        n1.step(ack(n1, "n3", 1, round + 10));
        assertThat(drain(n1).readStates()).containsExactly(new ReadState(7, 1));
    }

    @Test
    void followerRefusesReadAndNamesTheLeader_6_4() {
        RaftNode n2 = node("n2", FIVE);
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        assertThat(n2.read(1)).isEqualTo(new ReadResult.NotLeader("n1"));
        assertThat(drain(n2).readStates()).isEmpty();
    }

    @Test
    void pendingReadsAreDroppedWhenLeadershipIsLost_6_4() {
        RaftNode n1 = leaderWithCommittedNoop();
        n1.read(9);
        drain(n1);
        n1.step(new Message.AppendEntries(n1.currentTerm() + 1, "n2", "n1", 1, 1, List.of(), 1, 1));
        Ready ready = drain(n1);
        assertThat(ready.droppedReads()).containsExactly(9L);
        assertThat(ready.readStates()).isEmpty();
    }

    @Test
    void bugStaleReadServesImmediatelyEvenOnFollower() {
        RaftNode n2 = node("n2", FIVE, Bug.STALE_READ);
        assertThat(n2.read(3)).isEqualTo(new ReadResult.Registered());
        assertThat(drain(n2).readStates()).containsExactly(new ReadState(3, 0));
    }

    @Test
    void bugStaleReadServesAFollowersReadLocallyEvenWhenItKnowsTheLeader() {
        RaftNode n2 = node("n2", FIVE, Bug.STALE_READ);
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        assertThat(n2.readOrForward(3)).isEqualTo(new ReadResult.Registered());
        Ready ready = drain(n2);
        assertThat(ready.readStates()).containsExactly(new ReadState(3, 0));
        assertThat(sent(ready, Message.ReadIndexRequest.class)).isEmpty();
    }
}
