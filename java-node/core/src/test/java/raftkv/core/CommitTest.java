package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.FIVE;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.entries;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.restarted;
import static raftkv.core.Harness.sent;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The leader's rules (Figure 2, "Rules for Servers: Leaders"): replication and commitment, §5.3, §5.4.2. */
class CommitTest {

    @Test
    void commitEntryOfCurrentTermOnceAMajorityHoldsIt_5_3() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        ProposalResult.Appended put = (ProposalResult.Appended) n1.propose(new Command.Put("1", "Ada"), null);
        assertThat(put.index()).isEqualTo(2);
        drain(n1);
        n1.step(ack(n1, "n2", 2, 100));
        assertThat(n1.commitIndex()).isZero(); // leader + n2 = 2 of 5
        n1.step(ack(n1, "n3", 2, 100));
        assertThat(n1.commitIndex()).isEqualTo(2);
        assertThat(drain(n1).committedEntries()).extracting(LogEntry::index).containsExactly(1L, 2L);
    }

    @Test
    void aLateOlderAcknowledgementDoesNotLowerMatchIndex_Figure2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        n1.propose(new Command.Put("1", "Ada"), null); // index 2
        drain(n1);
        n1.step(ack(n1, "n2", 2, 100));
        n1.step(ack(n1, "n2", 1, 99)); // an acknowledgement of an older message, delivered late
        // matchIndex: "index of highest log entry known to be replicated on server (initialized to 0,
        // increases monotonically)". n2 still holds index 2, and with n3 that is a majority of five.
        assertThat(n1.status().matchIndex()).containsEntry("n2", 2L);
        n1.step(ack(n1, "n3", 2, 101));
        assertThat(n1.commitIndex()).isEqualTo(2);
    }

    @Test
    void leaderCountsItsOwnEntryOnlyOnceItIsPersisted_5_3() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1);
        n1.propose(new Command.Put("1", "Ada"), null);
        // n2 acknowledges entry 2 before the leader has handed it out for persisting: n2 alone is
        // not a majority of three, so nothing may commit yet.
        n1.step(ack(n1, "n2", 2, 100));
        assertThat(n1.commitIndex()).isEqualTo(1);
        Ready ready = n1.ready();
        assertThat(ready.entriesToAppend()).extracting(LogEntry::index).containsExactly(2L);
        n1.advance(); // the driver fsynced entry 2: leader + n2 is a majority
        assertThat(n1.commitIndex()).isEqualTo(2);
    }

    @Test
    void neverCommitEntryOfPreviousTermByCountingReplicas_5_4_2() {
        // Figure 8: n1 leads term 4 with an entry of term 2 at index 2 that only it and n2 hold.
        RaftNode n1 = restarted("n1", FIVE, new HardState(3, null), entries(1, 2));
        Harness.elect(n1); // term 4; no-op appended at index 3
        n1.step(ack(n1, "n2", 2, 100));
        n1.step(ack(n1, "n3", 2, 100));
        assertThat(n1.commitIndex()).as("index 2 is on a majority but is of term 2").isZero();
        n1.step(ack(n1, "n2", 3, 101));
        n1.step(ack(n1, "n3", 3, 101));
        assertThat(n1.commitIndex()).as("the no-op of term 4 commits, and index 2 with it").isEqualTo(3);
    }

    @Test
    void bugCommitPreviousTermCommitsOldEntryByCountingReplicas() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(3, null), entries(1, 2), Bug.COMMIT_PREVIOUS_TERM);
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 2, 100));
        n1.step(ack(n1, "n3", 2, 100));
        assertThat(n1.commitIndex()).isEqualTo(2);
    }

    @Test
    void bugAckBeforeCommitCommitsOnTheLeaderAlone() {
        RaftNode n1 = node("n1", FIVE, Bug.ACK_BEFORE_COMMIT);
        Harness.elect(n1);
        n1.propose(new Command.Put("1", "Ada"), null);
        assertThat(n1.commitIndex()).isEqualTo(2);
    }

    @Test
    void onRejectionLeaderSkipsFollowersWholeConflictingTerm_5_3() {
        // Leader log terms: 1 1 1 4 4 (+ no-op of term 5). Follower holds 1 2 2 2 2 2 2.
        RaftNode n1 = restarted("n1", FIVE, new HardState(4, null), entries(1, 1, 1, 4, 4));
        Harness.elect(n1);
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 2, 2, 100));
        Ready ready = drain(n1);
        Message.AppendEntries retry = sent(ready, Message.AppendEntries.class).stream()
                .filter(a -> a.to().equals("n2")).findFirst().orElseThrow();
        // The leader has no entry of term 2, so it jumps straight to the follower's first index of term 2.
        assertThat(retry.prevLogIndex()).isEqualTo(1);
        assertThat(retry.entries()).extracting(LogEntry::index).containsExactly(2L, 3L, 4L, 5L, 6L);
    }

    @Test
    void onRejectionForShortLogLeaderResumesAtFollowersLogEnd_5_3() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(1, null), entries(1, 1, 1, 1));
        Harness.elect(n1);
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 2, 100));
        Message.AppendEntries retry = sent(drain(n1), Message.AppendEntries.class).stream()
                .filter(a -> a.to().equals("n2")).findFirst().orElseThrow();
        assertThat(retry.prevLogIndex()).isEqualTo(1);
    }

    @Test
    void leaderReplicatesOptimisticallyOnceFollowerCaughtUp_5_3() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 100));
        drain(n1);
        n1.propose(new Command.Put("1", "Ada"), null);
        n1.propose(new Command.Put("2", "Grace"), null);
        List<Message.AppendEntries> toN2 = sent(drain(n1), Message.AppendEntries.class).stream()
                .filter(a -> a.to().equals("n2")).toList();
        // Both proposals of this Ready travel in one message, right after what n2 acknowledged.
        assertThat(toN2).singleElement().satisfies(a -> {
            assertThat(a.prevLogIndex()).isEqualTo(1);
            assertThat(a.entries()).extracting(LogEntry::index).containsExactly(2L, 3L);
        });
        // The next proposal follows on without waiting for n2's reply (nextIndex advanced optimistically).
        n1.propose(new Command.Put("3", "Barbara"), null);
        List<Message.AppendEntries> next = sent(drain(n1), Message.AppendEntries.class).stream()
                .filter(a -> a.to().equals("n2")).toList();
        assertThat(next).extracting(Message.AppendEntries::prevLogIndex).containsExactly(3L);
    }

    @Test
    void followerStillProbingGetsOneMessageAtATime_5_3() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1); // n2 has not answered yet: PROBE, the no-op is in flight
        n1.propose(new Command.Put("1", "Ada"), null);
        assertThat(sent(drain(n1), Message.AppendEntries.class)).noneMatch(a -> a.to().equals("n2"));
    }

    @Test
    void checkQuorumLeaderStepsDownWithoutMajorityContact_6_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        int ticks = 0;
        while (n1.role() == Role.LEADER && ticks < 100) {
            n1.tick();
            ticks++;
            drain(n1);
            n1.step(ack(n1, "n2", 1, 100)); // only n2 answers: 2 of 5
        }
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
        assertThat(ticks).as("a new leader steps down after the longest election timeout")
                .isEqualTo(n1.config().electionTimeoutMaxTicks());
        assertThat(n1.propose(new Command.Put("1", "Ada"), null)).isInstanceOf(ProposalResult.NotLeader.class);
    }

    @Test
    void newLeaderGetsTheLongestElectionTimeoutBeforeItsFirstCheckQuorum_6_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        tickAndDrain(n1, n1.config().electionTimeoutMaxTicks() - 1); // no follower has answered yet
        assertThat(n1.role()).as("slow first round trips do not depose a new leader").isEqualTo(Role.LEADER);
        majorityAnswers(n1); // just in time
        tickAndDrain(n1, 1);
        assertThat(n1.role()).isEqualTo(Role.LEADER);
    }

    @Test
    void afterItsFirstCheckQuorumALeaderIsCheckedEveryMinimumElectionTimeout_6_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        majorityAnswers(n1);
        tickAndDrain(n1, n1.config().electionTimeoutMaxTicks()); // first check: a majority was heard
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        tickAndDrain(n1, n1.config().electionTimeoutMinTicks() - 1);
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        tickAndDrain(n1, 1); // nobody answered in this period
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
    }

    /** n2 and n3 acknowledge the leader's messages: with n1 itself, 3 of 5. */
    private static void majorityAnswers(RaftNode n1) {
        n1.step(ack(n1, "n2", 1, 100));
        n1.step(ack(n1, "n3", 1, 100));
        drain(n1);
    }

    private static void tickAndDrain(RaftNode node, int ticks) {
        Harness.tick(node, ticks);
        drain(node);
    }

    @Test
    void checkQuorumLeaderKeepsOfficeWithMajorityContact_6_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        for (int i = 0; i < 60; i++) {
            n1.tick();
            drain(n1);
            n1.step(ack(n1, "n2", 1, 100));
            n1.step(ack(n1, "n3", 1, 100));
        }
        assertThat(n1.role()).isEqualTo(Role.LEADER);
    }
}
