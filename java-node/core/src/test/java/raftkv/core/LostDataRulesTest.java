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
}
