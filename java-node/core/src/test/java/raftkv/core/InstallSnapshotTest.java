package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.entries;
import static raftkv.core.Harness.sent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * InstallSnapshot (dissertation Figure 5.3, extended Raft paper Figure 13): each receiver rule, and
 * chunks that arrive twice, out of order or late. The leader's side is {@link SnapshotTransferTest}.
 */
class InstallSnapshotTest {

    private static final byte[] DATA = "0123456789".getBytes();

    private static Message.InstallSnapshot chunk(long term, long offset, int length, boolean done) {
        return new Message.InstallSnapshot(term, "n1", "n2", 5, 2, THREE, offset,
                Arrays.copyOfRange(DATA, (int) offset, (int) offset + length), done);
    }

    private static RaftNode follower(List<LogEntry> log) {
        return Harness.restarted("n2", THREE, new HardState(2, null), log);
    }

    private static Message.InstallSnapshotReply reply(RaftNode n) {
        List<Message.InstallSnapshotReply> replies = sent(drain(n), Message.InstallSnapshotReply.class);
        assertThat(replies).hasSize(1);
        return replies.getFirst();
    }

    @Test
    void replyImmediatelyIfTermLessThanCurrentTerm_Figure13Rule1() {
        RaftNode n = Harness.restarted("n2", THREE, new HardState(3, null), List.of());
        n.step(chunk(2, 0, 10, true));
        Ready ready = drain(n);
        assertThat(sent(ready, Message.InstallSnapshotReply.class))
                .containsExactly(new Message.InstallSnapshotReply(3, "n2", "n1", 5, 0, 0));
        assertThat(ready.snapshot()).isNull();
        assertThat(n.snapshotIndex()).isZero();
    }

    @Test
    void replyAndWaitForMoreDataChunksIfDoneIsFalse_Figure13Rules2To4() {
        RaftNode n = follower(List.of());
        n.step(chunk(2, 0, 4, false));
        assertThat(reply(n).nextOffset()).isEqualTo(4); // "Write data into snapshot file at given offset"
        n.step(chunk(2, 4, 3, false));
        Message.InstallSnapshotReply r = reply(n);
        assertThat(r.nextOffset()).isEqualTo(7);
        assertThat(r.matchIndex()).isZero();
        assertThat(n.snapshotIndex()).isZero(); // nothing installed yet
        n.step(chunk(2, 4, 3, false)); // a duplicate is not written again: the reply repeats the end
        assertThat(reply(n).nextOffset()).isEqualTo(7);
        n.step(chunk(2, 7, 3, true));
        assertThat(reply(n).matchIndex()).isEqualTo(5);
        assertThat(n.snapshot().data().readAll()).isEqualTo(DATA);
    }

    @Test
    void createNewSnapshotFileOnlyWithTheFirstChunkOfANewerSnapshot_Figure13Rules2And5() {
        RaftNode n = follower(List.of());
        n.step(chunk(2, 0, 4, false)); // the first chunk of snapshot 5 creates its file
        drain(n);
        // The middle of a newer snapshot cannot start it: the receiver asks for its first chunk and
        // keeps the transfer under way.
        n.step(new Message.InstallSnapshot(2, "n1", "n2", 6, 2, THREE, 4, new byte[1], false));
        assertThat(reply(n)).isEqualTo(new Message.InstallSnapshotReply(2, "n2", "n1", 6, 0, 0));
        n.step(chunk(2, 4, 2, false));
        assertThat(reply(n).nextOffset()).isEqualTo(6);
        // The first chunk of a newer snapshot starts it: "discard any existing or partial snapshot with
        // a smaller index" (rule 5).
        byte[] newer = "abcdefgh".getBytes();
        n.step(new Message.InstallSnapshot(2, "n1", "n2", 6, 2, THREE, 0, Arrays.copyOf(newer, 3), false));
        assertThat(reply(n)).isEqualTo(new Message.InstallSnapshotReply(2, "n2", "n1", 6, 3, 0));
        // A late chunk of the older snapshot is dropped without a reply: its sender has moved on.
        n.step(chunk(2, 6, 4, true));
        assertThat(drain(n).messages()).isEmpty();
        n.step(new Message.InstallSnapshot(2, "n1", "n2", 6, 2, THREE, 3, Arrays.copyOfRange(newer, 3, 8), true));
        assertThat(reply(n).matchIndex()).isEqualTo(6);
        assertThat(n.snapshot()).isEqualTo(new Snapshot(6, 2, THREE, newer));
    }

    @Test
    void aLateDuplicateOfTheFirstChunkDoesNotResetTheTransfer() {
        RaftNode n = follower(List.of());
        n.step(chunk(2, 0, 4, false));
        drain(n);
        n.step(chunk(2, 4, 4, false));
        drain(n);
        n.step(chunk(2, 0, 4, false)); // chunk 0 again, delivered twice by the network
        assertThat(reply(n)).isEqualTo(new Message.InstallSnapshotReply(2, "n2", "n1", 5, 8, 0));
        n.step(chunk(2, 8, 2, true));
        assertThat(reply(n).matchIndex()).isEqualTo(5);
        assertThat(n.snapshot().data().readAll()).isEqualTo(DATA);
        // And once the snapshot is installed, a duplicate of its first chunk is answered from the commit
        // index: it starts no transfer and installs nothing.
        n.step(chunk(2, 0, 4, false));
        Ready ready = drain(n);
        assertThat(sent(ready, Message.InstallSnapshotReply.class))
                .containsExactly(new Message.InstallSnapshotReply(2, "n2", "n1", 5, 0, 5));
        assertThat(ready.snapshot()).isNull();
    }

    @Test
    void aChunkThatOvertookALostOneIsIgnoredAndTheMissingOneAskedFor() {
        RaftNode n = follower(List.of());
        n.step(chunk(2, 0, 3, false));
        drain(n);
        n.step(chunk(2, 6, 4, true)); // bytes 3..6 are missing: not written, even though done is set
        assertThat(reply(n)).isEqualTo(new Message.InstallSnapshotReply(2, "n2", "n1", 5, 3, 0));
        assertThat(n.snapshotIndex()).isZero();
        n.step(chunk(2, 3, 3, false));
        assertThat(reply(n).nextOffset()).isEqualTo(6);
        n.step(chunk(2, 6, 4, true));
        assertThat(reply(n).matchIndex()).isEqualTo(5);
        assertThat(n.snapshot().data().readAll()).isEqualTo(DATA);
    }

    @Test
    void aLaterLeadersTransferReplacesAnEarlierLeadersEvenOfAnOlderSnapshot() {
        // A new leader's latest snapshot may be older than the one the last leader was sending: its
        // transfer must be able to start, or the follower would wait for chunks that never come.
        RaftNode n = follower(List.of());
        n.step(chunk(2, 0, 4, false)); // snapshot 5 from n1, leader of term 2
        drain(n);
        n.step(new Message.InstallSnapshot(3, "n3", "n2", 4, 2, THREE, 0, DATA, true));
        Ready ready = drain(n);
        assertThat(sent(ready, Message.InstallSnapshotReply.class))
                .containsExactly(new Message.InstallSnapshotReply(3, "n2", "n3", 4, 10, 4));
        assertThat(n.snapshot()).isEqualTo(new Snapshot(4, 2, THREE, DATA));
        n.step(new Message.InstallSnapshot(2, "n1", "n2", 5, 2, THREE, 4, new byte[4], false));
        assertThat(sent(drain(n), Message.InstallSnapshotReply.class)).extracting(Message.InstallSnapshotReply::term)
                .containsExactly(3L); // rule 1: the old leader's chunk is refused by term
    }

    @Test
    void anAppendEntriesThatCannotMatchDuringATransferLeavesItAlone_Figure2Rule2() {
        // The leader's heartbeats to a follower receiving a snapshot start at its compaction boundary,
        // which the follower's log does not reach: rejected, and the chunks received so far are kept.
        RaftNode n = follower(List.of());
        n.step(chunk(2, 0, 4, false));
        drain(n);
        n.step(new Message.AppendEntries(2, "n1", "n2", 5, 2, List.of(), 5, 1));
        assertThat(sent(drain(n), Message.AppendEntriesReply.class)).extracting(Message.AppendEntriesReply::success)
                .containsExactly(false);
        n.step(chunk(2, 4, 6, true));
        assertThat(reply(n).matchIndex()).isEqualTo(5);
        assertThat(n.snapshot().data().readAll()).isEqualTo(DATA);
    }

    @Test
    void ifExistingEntryHasSameIndexAndTermRetainLogEntriesFollowingIt_Figure13Rule6() {
        RaftNode n = follower(entries(1, 1, 2, 2, 2, 2));
        n.step(chunk(2, 0, 10, true));
        Ready ready = drain(n);
        assertThat(sent(ready, Message.InstallSnapshotReply.class).getFirst().matchIndex()).isEqualTo(5);
        assertThat(ready.snapshot()).isNull(); // the log already holds it all
        assertThat(n.log()).hasSize(6);
        assertThat(n.commitIndex()).isEqualTo(5);
        assertThat(ready.committedEntries()).extracting(LogEntry::index).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void otherwiseDiscardTheEntireLogAndResetTheStateMachine_Figure13Rules7And8() {
        RaftNode n = follower(entries(1, 1, 1, 1, 1, 1)); // entry 5 has term 1, the snapshot's has term 2
        n.step(chunk(2, 0, 10, true));
        Ready ready = drain(n);
        assertThat(ready.snapshot()).isEqualTo(new SnapshotChange.Installed(new Snapshot(5, 2, THREE, DATA)));
        assertThat(ready.truncateFrom()).isZero(); // installing discards the stored log as a whole
        assertThat(ready.committedEntries()).isEmpty(); // the state machine restarts from the snapshot
        assertThat(sent(ready, Message.InstallSnapshotReply.class).getFirst().matchIndex()).isEqualTo(5);
        assertThat(n.log()).isEmpty();
        assertThat(n.firstLogIndex()).isEqualTo(6);
        assertThat(n.commitIndex()).isEqualTo(5);
        // The log goes on after the snapshot.
        n.step(new Message.AppendEntries(2, "n1", "n2", 5, 2, List.of(Harness.entry(2, 6)), 6, 1));
        Ready next = drain(n);
        assertThat(next.entriesToAppend()).extracting(LogEntry::index).containsExactly(6L);
        assertThat(next.committedEntries()).extracting(LogEntry::index).containsExactly(6L);
    }

    @Test
    void aSnapshotAtOrBelowTheCommitIndexIsNotInstalled() {
        RaftNode n = follower(entries(1, 1, 1, 1, 1, 1, 1));
        n.step(new Message.AppendEntries(2, "n1", "n2", 7, 1, List.of(), 7, 1));
        drain(n);
        n.step(chunk(2, 0, 10, true));
        Ready ready = drain(n);
        assertThat(ready.snapshot()).isNull();
        assertThat(sent(ready, Message.InstallSnapshotReply.class).getFirst().matchIndex()).isEqualTo(7);
        assertThat(n.log()).hasSize(7);
        // At the commit index: even a snapshot whose last term differs from the log's leaves it alone
        // (only a faulty leader could send it; the committed entry there is the one that counts).
        RaftNode atCommit = follower(entries(1, 1, 1, 1, 1));
        atCommit.step(new Message.AppendEntries(2, "n1", "n2", 5, 1, List.of(), 5, 1));
        drain(atCommit);
        atCommit.step(chunk(2, 0, 10, true)); // index 5, term 2
        Ready atReady = drain(atCommit);
        assertThat(atReady.snapshot()).isNull();
        assertThat(atCommit.log()).hasSize(5);
        assertThat(sent(atReady, Message.InstallSnapshotReply.class).getFirst().matchIndex()).isEqualTo(5);
    }

    @Test
    void aMalformedInstallSnapshotIsDroppedWithoutAReply() {
        RaftNode n = follower(List.of());
        List<Message.InstallSnapshot> malformed = List.of(
                new Message.InstallSnapshot(2, "n1", "n2", 5, 2, THREE, -1, DATA, true), // a negative offset
                new Message.InstallSnapshot(2, "n1", "n2", 5, 2, THREE, Integer.MAX_VALUE - 5, DATA, true), // past 2 GiB
                new Message.InstallSnapshot(2, "n1", "n2", 0, 2, THREE, 0, DATA, true), // index 0 holds no entry
                new Message.InstallSnapshot(2, "n1", "n2", 5, 0, THREE, 0, DATA, true), // no entry has term 0
                new Message.InstallSnapshot(2, "n1", "n2", 5, 3, THREE, 0, DATA, true)); // a term after the sender's
        for (Message.InstallSnapshot m : malformed) {
            n.step(m);
            Ready ready = drain(n);
            assertThat(ready.messages()).as("reply to %s", m).isEmpty();
            assertThat(ready.snapshot()).isNull();
        }
        assertThat(n.snapshotIndex()).isZero();
        assertThat(n.commitIndex()).isZero();
        // Just inside the limits: a chunk ending at the largest int offset is answered (this receiver
        // is not assembling that snapshot, so it asks for offset 0).
        n.step(new Message.InstallSnapshot(2, "n1", "n2", 5, 2, THREE, Integer.MAX_VALUE - 10, DATA, false));
        assertThat(reply(n).nextOffset()).isZero();
    }

    @Test
    void theSmallestWellFormedSnapshotIsInstalled_Figure13Rules7And8() {
        // Index 1, last term 1, sent in term 1 itself: each at the edge of what the receiver accepts.
        RaftNode n = Harness.restarted("n2", THREE, new HardState(1, null), List.of());
        n.step(new Message.InstallSnapshot(1, "n1", "n2", 1, 1, THREE, 0, DATA, true));
        Ready ready = drain(n);
        assertThat(ready.snapshot()).isEqualTo(new SnapshotChange.Installed(new Snapshot(1, 1, THREE, DATA)));
        assertThat(sent(ready, Message.InstallSnapshotReply.class))
                .containsExactly(new Message.InstallSnapshotReply(1, "n2", "n1", 1, 10, 1));
        assertThat(n.commitIndex()).isEqualTo(1);
    }

    @Test
    void followerLearnsTheLeaderFromItsFirstInstallSnapshot_5_2() {
        RaftNode n2 = follower(List.of());
        n2.step(new Message.RequestVote(3, "n3", "n2", 0, 0)); // term 3, leader unknown
        drain(n2);
        assertThat(n2.leaderId()).isNull();
        n2.step(new Message.InstallSnapshot(3, "n3", "n2", 5, 2, THREE, 0, new byte[4], false));
        drain(n2);
        assertThat(n2.leaderId()).isEqualTo("n3");
    }

    @Test
    void aCandidateReceivingInstallSnapshotFromTheNewLeaderBecomesFollower_5_2() {
        RaftNode n2 = Harness.restarted("n2", THREE, new HardState(1, null), List.of());
        Harness.tickUntilCampaign(n2);
        n2.step(new Message.PreVoteReply(2, "n3", "n2", true));
        drain(n2);
        assertThat(n2.role()).isEqualTo(Role.CANDIDATE);
        assertThat(n2.currentTerm()).isEqualTo(2);
        n2.step(chunk(2, 0, 10, true)); // from n1, leader of term 2
        drain(n2);
        assertThat(n2.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n2.leaderId()).isEqualTo("n1");
        assertThat(n2.snapshotIndex()).isEqualTo(5);
    }

    @Test
    void theDriverResetsTheStateMachineFromAnInstalledSnapshot_Figure13Rule8() throws Exception {
        KvStore source = new KvStore();
        source.apply(new LogEntry(2, 1, new Command.OpenSession(), null));
        source.apply(new LogEntry(2, 2, new Command.Put("x", "y"), new Session("1", 1)));
        byte[] bytes = source.snapshotBytes();
        List<String> trace = new ArrayList<>();
        KvStore kv = new KvStore();
        StableStorage storage = new StableStorage() {
            @Override
            public void persist(HardState hardState, long truncateFrom, List<LogEntry> entries) {}

            @Override
            public void saveSnapshot(Snapshot snapshot, long firstKeptIndex) {
                trace.add("saved");
            }

            @Override
            public void installSnapshot(Snapshot snapshot) {
                trace.add("installed " + snapshot.lastIncludedIndex() + " (kv at " + kv.lastApplied() + ")");
            }
        };
        Driver<String, String> driver = new Driver<>(follower(List.of()), kv, storage,
                messages -> messages.forEach(m -> trace.add("sent " + m.getClass().getSimpleName())),
                TracingAnswers.withoutForwards(trace), Driver.Observer.NONE);
        driver.step(new Message.InstallSnapshot(2, "n1", "n2", 2, 2, THREE, 0, bytes, true));
        driver.handleReady();
        assertThat(trace).containsExactly("installed 2 (kv at 0)", "sent InstallSnapshotReply");
        assertThat(kv.lastApplied()).isEqualTo(2);
        assertThat(kv.get("x")).isEqualTo(new Result.Ok("y"));
        assertThat(kv.sessionCount()).isEqualTo(1);
    }
}
