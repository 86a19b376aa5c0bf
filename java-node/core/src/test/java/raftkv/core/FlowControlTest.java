package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.FIVE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.entries;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.restarted;
import static raftkv.core.Harness.sent;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The leader's replication to each follower (§5.3), with etcd-style flow control and hints. */
class FlowControlTest {

    private static List<Message.AppendEntries> toN2(Ready ready) {
        return sent(ready, Message.AppendEntries.class).stream().filter(a -> a.to().equals("n2")).toList();
    }

    /** A leader of three sending one entry per message, at most two messages before hearing back. */
    private static RaftNode smallBurstLeader() {
        RaftConfig c = Harness.config("n1", THREE);
        c = new RaftConfig(c.id(), c.members(), 10, 20, 2, 1, 2, c.bugs());
        RaftNode n1 = RaftNode.create(c, new SplittableRandom(42));
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 100)); // n2 holds the no-op and is keeping up: REPLICATE
        drain(n1);
        return n1;
    }

    @Test
    void leaderSendsAtMostABurstOfAppendsBeforeHearingBack_5_3() {
        RaftNode n1 = smallBurstLeader();
        for (int i = 0; i < 5; i++) {
            n1.propose(new Command.Put("k" + i, "v"), null);
        }
        assertThat(toN2(drain(n1))).extracting(Message.AppendEntries::prevLogIndex).containsExactly(1L, 2L);
        assertThat(toN2(drain(n1))).as("nothing more until n2 answers").isEmpty();
        n1.step(ack(n1, "n2", 2, 200));
        assertThat(toN2(drain(n1))).extracting(Message.AppendEntries::prevLogIndex).containsExactly(3L, 4L);
    }

    @Test
    void leaderStreamsEveryNewEntryToAFollowerThatKeepsUpWithinTheBurst_5_3() {
        RaftNode n1 = smallBurstLeader();
        n1.propose(new Command.Put("a", "v"), null);
        n1.propose(new Command.Put("b", "v"), null);
        assertThat(toN2(drain(n1))).extracting(Message.AppendEntries::prevLogIndex).containsExactly(1L, 2L);
    }

    @Test
    void repliesFromAnEarlierTermAreIgnored_5_1() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(1, null), List.of());
        Harness.elect(n1); // term 2, no-op at 1
        n1.step(new Message.AppendEntriesReply(1, "n2", "n1", true, 1, 0, 0, 100));
        n1.step(new Message.AppendEntriesReply(1, "n3", "n1", true, 1, 0, 0, 100));
        assertThat(n1.commitIndex()).as("term-1 acknowledgements say nothing about term 2").isZero();
    }

    @Test
    void leaderSendsNothingToAFollowerThatHoldsEverything_5_3() {
        RaftNode n1 = smallBurstLeader();
        n1.propose(new Command.Put("k", "v"), null);
        drain(n1);
        n1.step(ack(n1, "n2", 2, 200));
        assertThat(toN2(drain(n1))).isEmpty();
    }

    @Test
    void afterARejectionAndAFullAckLeaderResumesAfterTheAckedEntry_5_3() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(1, null), entries(1, 1, 1, 1));
        Harness.elect(n1); // no-op at 5; nextIndex[n2] = 5
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 2, 100));
        assertThat(toN2(drain(n1))).singleElement().satisfies(a -> assertThat(a.prevLogIndex()).isEqualTo(1));
        n1.step(ack(n1, "n2", 5, 101));
        n1.propose(new Command.Put("k", "v"), null);
        assertThat(toN2(drain(n1))).extracting(Message.AppendEntries::prevLogIndex).containsExactly(5L);
    }

    @Test
    void onRejectionLeaderResumesAfterItsOwnLastEntryOfTheConflictingTerm_5_3() {
        // Leader: 1 2 2 3 (+ no-op of term 4 at 5). n2 holds 1 2 2 2 2 and rejects prev 4 (term 3).
        RaftNode n1 = restarted("n1", FIVE, new HardState(3, null), entries(1, 2, 2, 3));
        Harness.elect(n1);
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 2, 2, 100));
        assertThat(toN2(drain(n1))).singleElement().satisfies(a -> assertThat(a.prevLogIndex()).isEqualTo(3));
    }

    @Test
    void delayedRejectionNeverMovesNextIndexBelowMatchIndex_5_3() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(1, null), entries(1, 1, 1, 1));
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 3, 100));
        drain(n1);
        // The rejection of a probe sent (round 1) before n2 acknowledged 3: it overtook nothing new.
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 1, 1));
        assertThat(toN2(drain(n1))).singleElement().satisfies(a -> assertThat(a.prevLogIndex()).isEqualTo(3));
        assertThat(n1.status().lostData()).isEmpty();
    }

    @Test
    void rejectionHintBeyondTheLeadersLogIsClampedToItsEnd_5_3() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1); // log: the no-op at 1
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 100, 100));
        drain(n1);
        Harness.tick(n1, 2);
        assertThat(toN2(drain(n1))).as("heartbeat").singleElement()
                .satisfies(a -> assertThat(a.prevLogIndex()).isEqualTo(1));
    }

    @Test
    void leaderSendsAHeartbeatEveryHeartbeatIntervalNotEveryTick_5_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        n1.tick();
        assertThat(sent(drain(n1), Message.AppendEntries.class)).isEmpty();
        n1.tick();
        assertThat(sent(drain(n1), Message.AppendEntries.class)).hasSize(4);
    }

    @Test
    void followerIgnoresAppendEntriesRepliesMeantForALeader_5_3() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        n2.step(new Message.AppendEntriesReply(1, "n1", "n2", true, 0, 0, 0, 1));
        assertThat(drain(n2).messages()).isEmpty();
        assertThat(n2.role()).isEqualTo(Role.FOLLOWER);
    }
}
