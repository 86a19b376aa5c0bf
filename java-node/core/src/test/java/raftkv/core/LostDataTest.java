package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.sent;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A follower whose data directory was wiped answers its leader with a log shorter than the match
 * index it acknowledged before. Figure 2's matchIndex only grows, so the leader used to drop every such
 * rejection as stale and probe again at once: 14.7 M messages in four minutes (issue 20). Now it marks
 * the follower as one that lost its data, once, and sends it heartbeats only.
 */
class LostDataTest {

    /** n1 leads THREE with entries 1..4 that n2 acknowledged; returns the next round it will send. */
    static RaftNode leaderWithN2At4() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1);
        for (int i = 0; i < 3; i++) {
            n1.propose(new Command.Put("k" + i, "v"), null);
        }
        drain(n1);
        n1.step(ack(n1, "n2", 4, 1));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(4);
        return n1;
    }

    /** The round of the next AppendEntries n1 sends n2: a heartbeat. */
    static long nextHeartbeatRound(RaftNode n1) {
        for (int i = 0; i < n1.config().heartbeatTicks(); i++) {
            n1.tick();
        }
        return sent(drain(n1), Message.AppendEntries.class).stream().filter(m -> m.to().equals("n2")).findFirst()
                .orElseThrow().round();
    }

    @Test
    void aFollowerReportingALogShorterThanItsMatchIndexIsMarkedLostDataOnce() {
        RaftNode n1 = leaderWithN2At4();
        long round = nextHeartbeatRound(n1); // sent after n2 acknowledged 4
        // n2 was wiped and restarted: its log is empty.
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 1, round));
        Ready ready = drain(n1);
        assertThat(n1.status().lostData()).containsExactly("n2");
        assertThat(sent(ready, Message.AppendEntries.class)).as("no probe in answer: no reject loop").isEmpty();
        // Its next rejections change nothing and are answered by nothing.
        for (int i = 0; i < 100; i++) {
            n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 1, round + i));
            assertThat(drain(n1).messages()).isEmpty();
        }
        assertThat(n1.status().lostData()).containsExactly("n2");
    }

    @Test
    void aLostDataFollowerGetsHeartbeatsOnlyAtTheHeartbeatRate_5_2() {
        RaftNode n1 = leaderWithN2At4();
        long round = nextHeartbeatRound(n1);
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 1, round));
        drain(n1);
        n1.propose(new Command.Put("k", "v"), null);
        int toN2 = 0;
        int ticks = 10 * n1.config().heartbeatTicks();
        for (int i = 0; i < ticks; i++) {
            n1.tick();
            for (Message.AppendEntries m : sent(drain(n1), Message.AppendEntries.class)) {
                if (m.to().equals("n2")) {
                    toN2++;
                    assertThat(m.entries()).as("heartbeats carry no entries to it").isEmpty();
                    // Every answer is a rejection again: still nothing sent in reply.
                    n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 1, m.round()));
                    assertThat(drain(n1).messages()).isEmpty();
                }
            }
        }
        // One per heartbeat period (the phase may cost the last one), not one per rejection.
        assertThat(toN2).isBetween(ticks / n1.config().heartbeatTicks() - 1, ticks / n1.config().heartbeatTicks());
    }

    @Test
    void aLostDataFollowerCountsForNothing_5_3() {
        RaftNode n1 = leaderWithN2At4();
        long round = nextHeartbeatRound(n1);
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 1, round));
        drain(n1);
        n1.propose(new Command.Put("k", "v"), null); // index 5
        drain(n1);
        n1.step(ack(n1, "n2", 5, round + 1)); // whatever it claims now
        assertThat(n1.commitIndex()).isEqualTo(4);
        n1.step(ack(n1, "n3", 5, round + 1));
        assertThat(n1.commitIndex()).isEqualTo(5);
    }

    @Test
    void aRejectionOfAMessageSentBeforeTheAcknowledgementIsStaleNotLostData_5_3() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1); // round 1 carried the no-op, to n2 and n3 (rounds 1 and 2)
        n1.propose(new Command.Put("k", "v"), null);
        drain(n1);
        n1.step(ack(n1, "n2", 2, 3));
        // A rejection of round 1, delivered late: n2's log was empty when it read that message.
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 1, 1));
        drain(n1);
        assertThat(n1.status().lostData()).isEmpty();
        assertThat(n1.status().matchIndex()).containsEntry("n2", 2L);
    }

    @Test
    void aRejectionOfAnEarlierTermsAppendEntriesIsNotLostData_5_1() {
        // n1 led term 1, now leads term 2; n2, already in term 2, rejects one of n1's term-1 messages
        // (rule 1: conflict index 0). Its round belongs to term 1's count, which says nothing here.
        RaftNode n1 = leaderWithN2At4();
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 0, 1_000));
        drain(n1);
        assertThat(n1.status().lostData()).isEmpty();
    }

    @Test
    void removingALostDataFollowerForgetsIt() {
        RaftNode n1 = leaderWithN2At4();
        long round = nextHeartbeatRound(n1);
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 1, round));
        drain(n1);
        assertThat(n1.proposeConfigChange(new ConfigChange.Remove("n2")))
                .isInstanceOf(ConfigChangeResult.Accepted.class);
        assertThat(n1.status().lostData()).isEmpty();
        assertThat(n1.status().matchIndex()).doesNotContainKey("n2");
        assertThat(List.copyOf(n1.configuration().voterIds())).containsExactly("n1", "n3");
    }
}
