package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.drain;

import org.junit.jupiter.api.Test;

/**
 * "matchIndex ... increases monotonically" (Figure 2): a follower whose log turns out shorter than
 * what it acknowledged, in answer to a message sent after that acknowledgement, lost its data.
 */
class LostDataRulesTest {

    @Test
    void aFollowerMissingOnlyItsLastAcknowledgedEntryLostItsData_Figure2() {
        RaftNode n1 = LostDataTest.leaderWithN2At4();
        long round = LostDataTest.nextHeartbeatRound(n1);
        // n2's log ends at 3: the first index it lacks is 4, one it acknowledged.
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 4, round));
        drain(n1);
        assertThat(n1.status().lostData()).containsExactly("n2");
    }

    @Test
    void aFollowerLackingOnlyWhatItNeverAcknowledgedHasNotLostData_5_3() {
        RaftNode n1 = LostDataTest.leaderWithN2At4();
        n1.propose(new Command.Put("k9", "v"), null); // index 5
        drain(n1);
        long round = LostDataTest.nextHeartbeatRound(n1);
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 5, round));
        drain(n1);
        assertThat(n1.status().lostData()).isEmpty();
    }

    @Test
    void aLateDuplicateAcknowledgementDoesNotHideALossOfData_Figure2() {
        RaftNode n1 = LostDataTest.leaderWithN2At4();
        long round = LostDataTest.nextHeartbeatRound(n1); // sent after n2 acknowledged 4
        n1.step(Harness.ack(n1, "n2", 4, 1)); // a copy of that acknowledgement, delivered late: nothing new
        drain(n1);
        // n2 was wiped: its answer to the heartbeat sent after it acknowledged 4 shows an empty log.
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 1, round));
        drain(n1);
        assertThat(n1.status().lostData()).containsExactly("n2");
    }

    @Test
    void aFollowerWithALongerRunOfAnOldTermHasNotLostData_5_3() {
        // n1 holds terms 1, 1, 2, 2 and leads term 3 (its no-op at 5); n2 holds term 2 from 3 to 7.
        RaftNode n1 = Harness.restarted("n1", Harness.THREE, new HardState(2, null), Harness.entries(1, 1, 2, 2));
        Harness.elect(n1);
        assertThat(n1.currentTerm()).isEqualTo(3);
        n1.step(Harness.ack(n1, "n2", 4, 1)); // n2 matches up to 4
        drain(n1);
        n1.propose(new Command.Put("a", "1"), null); // 6
        n1.propose(new Command.Put("b", "2"), null); // 7
        Message.AppendEntries pipelined = Harness.sent(drain(n1), Message.AppendEntries.class).stream()
                .filter(ae -> ae.to().equals("n2") && ae.prevLogIndex() == 5).findFirst().orElseThrow();
        // The message carrying 5 was lost: n2's entry at 5 is of term 2, whose run starts at 3.
        n1.step(new Message.AppendEntriesReply(3, "n2", "n1", false, 0, 2, 3, pipelined.round()));
        Ready ready = drain(n1);
        // A conflict of terms, not a log shorter than acknowledged: "decrement nextIndex and retry (§5.3)".
        assertThat(n1.status().lostData()).isEmpty();
        assertThat(Harness.sent(ready, Message.AppendEntries.class)).filteredOn(ae -> ae.to().equals("n2"))
                .extracting(Message.AppendEntries::prevLogIndex).containsExactly(4L);
    }
}
