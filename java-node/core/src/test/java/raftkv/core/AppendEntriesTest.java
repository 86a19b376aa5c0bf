package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Harness.FIVE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.entries;
import static raftkv.core.Harness.entry;
import static raftkv.core.Harness.restarted;
import static raftkv.core.Harness.sent;

import java.util.List;
import org.junit.jupiter.api.Test;

/** AppendEntries RPC, receiver implementation (Figure 2), §5.3 and the follower's side of §5.2. */
class AppendEntriesTest {

    private static Message.AppendEntries append(long term, long prevIndex, long prevTerm, List<LogEntry> entries,
            long leaderCommit) {
        return new Message.AppendEntries(term, "n1", "n2", prevIndex, prevTerm, entries, leaderCommit, 7);
    }

    private static Message.AppendEntriesReply reply(Ready ready) {
        return sent(ready, Message.AppendEntriesReply.class).getFirst();
    }

    @Test
    void replyFalseIfTermLessThanCurrentTerm_5_1() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(3, null), List.of());
        n2.step(append(2, 0, 0, List.of(entry(2, 1)), 0));
        Message.AppendEntriesReply reply = reply(drain(n2));
        assertThat(reply.success()).isFalse();
        assertThat(reply.term()).isEqualTo(3);
        assertThat(n2.log()).isEmpty();
    }

    @Test
    void replyFalseIfLogHasNoEntryAtPrevLogIndex_5_3() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), entries(1, 1));
        n2.step(append(1, 5, 1, List.of(entry(1, 6)), 0));
        Message.AppendEntriesReply reply = reply(drain(n2));
        assertThat(reply.success()).isFalse();
        // Fast backtracking hint: "my log ends at 2, try from 3".
        assertThat(reply.conflictTerm()).isZero();
        assertThat(reply.conflictIndex()).isEqualTo(3);
        assertThat(reply.round()).isEqualTo(7);
        assertThat(n2.log()).hasSize(2);
    }

    @Test
    void replyFalseIfTermAtPrevLogIndexDiffers_5_3_withFirstIndexOfThatTerm() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(4, null), entries(1, 2, 2, 2));
        n2.step(append(4, 4, 3, List.of(), 0));
        Message.AppendEntriesReply reply = reply(drain(n2));
        assertThat(reply.success()).isFalse();
        assertThat(reply.conflictTerm()).isEqualTo(2);
        assertThat(reply.conflictIndex()).isEqualTo(2);
    }

    @Test
    void deleteConflictingEntryAndAllThatFollowIt_5_3() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(2, null), entries(1, 2, 2, 2));
        n2.step(append(3, 1, 1, List.of(entry(3, 2)), 0));
        Ready ready = drain(n2);
        assertThat(reply(ready).success()).isTrue();
        assertThat(n2.log()).extracting(LogEntry::term).containsExactly(1L, 3L);
        // The truncation must reach stable storage too.
        assertThat(ready.truncateFrom()).isEqualTo(2);
        assertThat(ready.entriesToAppend()).containsExactly(entry(3, 2));
    }

    @Test
    void appendOnlyEntriesNotAlreadyInLog_5_3() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(2, null), entries(1, 2, 2));
        // A delayed duplicate carrying only a prefix must not cut off the entries after it.
        n2.step(append(2, 1, 1, List.of(entry(2, 2)), 0));
        Ready ready = drain(n2);
        assertThat(reply(ready).success()).isTrue();
        assertThat(reply(ready).matchIndex()).isEqualTo(2);
        assertThat(n2.log()).hasSize(3);
        assertThat(ready.truncateFrom()).isZero();
        assertThat(ready.entriesToAppend()).isEmpty();
    }

    @Test
    void commitIndexIsMinOfLeaderCommitAndIndexOfLastNewEntry_5_3() {
        // etcd's TestHandleMsgApp: n2 holds 1..4, all of term 1. The message matches at 1 and carries
        // (2, term 1), which n2 already has. "Index of last new entry" is 2, the last index this
        // message vouches for, not n2's last index 4: entries 3 and 4 may not be the leader's.
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), entries(1, 1, 1, 1));
        n2.step(append(1, 1, 1, List.of(entry(1, 2)), 10));
        Ready ready = drain(n2);
        assertThat(reply(ready).success()).isTrue();
        assertThat(reply(ready).matchIndex()).isEqualTo(2);
        assertThat(n2.log()).hasSize(4);
        assertThat(n2.commitIndex()).isEqualTo(2);
        assertThat(ready.committedEntries()).extracting(LogEntry::index).containsExactly(1L, 2L);
    }

    @Test
    void commitIndexAfterTruncatingAConflictCoversOnlyTheNewEntries_5_3() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(2, null), entries(1, 1, 1, 1));
        // The leader has committed 10, but this message only vouches for entries up to 2; n2's
        // entries 2..4 of term 1 conflict with it and go (rule 3) before commitIndex moves (rule 5).
        n2.step(append(2, 1, 1, List.of(entry(2, 2)), 10));
        Ready ready = drain(n2);
        assertThat(n2.commitIndex()).isEqualTo(2);
        assertThat(ready.committedEntries()).extracting(LogEntry::term).containsExactly(1L, 2L);
    }

    @Test
    void committedEntriesAreHandedOutOnceInOrder_5_3() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        n2.step(append(1, 0, 0, List.of(entry(1, 1), entry(1, 2)), 1));
        assertThat(drain(n2).committedEntries()).extracting(LogEntry::index).containsExactly(1L);
        n2.step(append(1, 2, 1, List.of(), 2));
        assertThat(drain(n2).committedEntries()).extracting(LogEntry::index).containsExactly(2L);
        n2.step(append(1, 2, 1, List.of(), 2));
        assertThat(drain(n2).committedEntries()).isEmpty();
    }

    @Test
    void candidateReceivingAppendEntriesFromNewLeaderBecomesFollower_5_2() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        Harness.tickUntilCampaign(n2);
        n2.step(new Message.PreVoteReply(2, "n3", "n2", true));
        n2.step(new Message.PreVoteReply(2, "n4", "n2", true));
        drain(n2);
        assertThat(n2.role()).isEqualTo(Role.CANDIDATE);
        n2.step(new Message.AppendEntries(2, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        assertThat(n2.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n2.leaderId()).isEqualTo("n1");
    }

    @Test
    void appendEntriesFromCurrentLeaderResetsElectionTimer_5_2() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        for (int i = 0; i < 100; i++) {
            n2.tick();
            if (i % 5 == 0) {
                n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, i));
            }
            assertThat(sent(drain(n2), Message.PreVote.class)).isEmpty();
        }
        assertThat(n2.role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void malformedAppendEntriesIsDroppedWithoutTouchingTheLog_5_3() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), entries(1));
        // Entries must follow prevLogIndex one by one (Log Matching, §5.3): index 3 after prev 1 is a gap.
        n2.step(append(1, 1, 1, List.of(entry(1, 3)), 3));
        Ready ready = drain(n2);
        assertThat(ready.messages()).isEmpty();
        assertThat(n2.log()).hasSize(1);
        assertThat(n2.commitIndex()).isZero();
        // An entry claiming a term newer than its leader's cannot come from a real leader either.
        n2.step(append(1, 1, 1, List.of(entry(2, 2)), 0));
        assertThat(drain(n2).messages()).isEmpty();
        assertThat(n2.log()).hasSize(1);
    }

    @Test
    void messagesNotAddressedToUsAreIgnoredButOnesFromOutsideTheConfigurationAreHandled_4_1() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        n2.step(new Message.RequestVote(2, "n1", "n3", 0, 0)); // meant for n3
        n2.step(new Message.RequestVote(1, "n2", "n2", 0, 0)); // from itself
        assertThat(drain(n2).messages()).isEmpty();
        assertThat(n2.currentTerm()).isEqualTo(1);
        // §4.1: "a server ... grants its vote to a candidate that is not part of its latest configuration"
        // (one added by an entry it has not received yet).
        n2.step(new Message.RequestVote(2, "x9", "n2", 0, 0));
        assertThat(drain(n2).messages()).containsExactly(new Message.RequestVoteReply(2, "n2", "x9", true));
    }

    @Test
    void inputsAreRefusedUntilTheLastReadyIsAdvanced() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        n2.ready();
        assertThatThrownBy(n2::tick).isInstanceOf(IllegalStateException.class);
        n2.advance();
        n2.tick();
    }
}
