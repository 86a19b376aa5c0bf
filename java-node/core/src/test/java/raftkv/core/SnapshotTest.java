package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.entries;
import static raftkv.core.Harness.sent;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Log compaction (dissertation §5.1): the log on an offset, taking snapshots, restarting from one. */
class SnapshotTest {

    private static Snapshot snapshotOf(KvStore kv, long term) {
        return new Snapshot(kv.lastApplied(), term, THREE, kv.snapshotBytes());
    }

    @Test
    void termLookupAtTheSnapshotBoundaryUsesTheSnapshotsTerm_5_1() {
        RaftLog log = new RaftLog(0, 0, entries(1, 1, 2, 2, 3));
        log.compactBefore(4);
        assertThat(log.prevIndex()).isEqualTo(3);
        assertThat(log.firstIndex()).isEqualTo(4);
        assertThat(log.termAt(3)).isEqualTo(2); // the boundary: the compacted entry's term is still known
        assertThat(log.termAt(4)).isEqualTo(2);
        assertThat(log.termAt(6)).isEqualTo(-1);
        assertThatThrownBy(() -> log.termAt(2)).hasMessageContaining("compacted");
        assertThat(log.slice(4, 5)).extracting(LogEntry::index).containsExactly(4L, 5L);
        assertThat(log.get(5).term()).isEqualTo(3);
        // Fast backtracking stays inside what the log holds; the boundary counts for its term.
        assertThat(log.firstIndexOfTerm(2, 4)).isEqualTo(4);
        assertThat(log.lastIndexOfTerm(2)).isEqualTo(4);
        log.compactBefore(6);
        assertThat(log.lastIndexOfTerm(3)).isEqualTo(5);
        assertThat(log.lastIndexOfTerm(1)).isZero();
        // An empty log after compaction ends with the snapshot's entry (§5.4.1 compares with it).
        assertThat(log.lastIndex()).isEqualTo(5);
        assertThat(log.lastTerm()).isEqualTo(3);
        assertThat(log.isUpToDate(5, 3)).isTrue();
        assertThat(log.isUpToDate(4, 3)).isFalse();
    }

    @Test
    void compactingKeepsAppendingAfterTheLastEntry() {
        RaftLog log = new RaftLog(0, 0, entries(1, 1, 1));
        log.compactBefore(2);
        log.compactBefore(1); // never moves back
        assertThat(log.firstIndex()).isEqualTo(2);
        log.append(Harness.entry(2, 4));
        assertThatThrownBy(() -> log.append(Harness.entry(2, 6))).hasMessageContaining("gap");
        log.truncateFrom(3);
        assertThat(log.view()).extracting(LogEntry::index).containsExactly(2L);
    }

    @Test
    void snapshotBytesAreDeterministicAndHoldTheSessionTable_6_3() {
        KvStore a = new KvStore();
        KvStore b = new KvStore();
        List<LogEntry> log = List.of(
                new LogEntry(1, 1, new Command.OpenSession(), null),
                new LogEntry(1, 2, new Command.Put("x", "1"), new Session("1", 1)),
                new LogEntry(1, 3, new Command.Put("y", "ü".repeat(40_000)), null));
        log.forEach(a::apply);
        log.forEach(b::apply);
        assertThat(a.snapshotBytes()).isEqualTo(b.snapshotBytes());

        KvStore restored = new KvStore();
        restored.restore(snapshotOf(a, 1));
        assertThat(restored.copyOfMap()).isEqualTo(a.copyOfMap());
        assertThat(restored.lastApplied()).isEqualTo(3);
        assertThat(restored.sessionCount()).isEqualTo(1);
        // The retried command is answered from the session table, not executed again (§6.3).
        assertThat(restored.apply(new LogEntry(2, 4, new Command.Put("x", "1"), new Session("1", 1))))
                .isEqualTo(new Result.Ok("1"));
        assertThat(restored.lookup(new Session("1", 1))).isEqualTo(new CommandStatus.Executed(new Result.Ok("1")));
        assertThat(restored.snapshotBytes()).isNotEqualTo(a.snapshotBytes());
    }

    @Test
    void aSnapshotWithoutSessionsForgetsThem_BugSnapshotDropsSessions() {
        KvStore kv = new KvStore();
        kv.apply(new LogEntry(1, 1, new Command.OpenSession(), null));
        KvStore restored = new KvStore();
        restored.restore(new Snapshot(1, 1, THREE, kv.freezeWithoutSessions().toBytes()));
        assertThat(restored.sessionCount()).isZero();
    }

    @Test
    void restoringMalformedBytesFailsAndChangesNothing() {
        KvStore kv = new KvStore();
        kv.apply(new LogEntry(1, 1, new Command.Put("a", "b"), null));
        byte[] bytes = kv.snapshotBytes();
        KvStore target = new KvStore();
        target.apply(new LogEntry(1, 1, new Command.Put("keep", "me"), null));
        assertThatThrownBy(() -> target.restore(new Snapshot(1, 1, THREE, java.util.Arrays.copyOf(bytes, bytes.length - 1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> target.restore(new Snapshot(2, 1, THREE, bytes))) // another index
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(target.copyOfMap()).containsEntry("keep", "me");
    }

    @Test
    void aSnapshotIsTakenOnceTheAppliedLogPassesTheThresholdKeepingATail_5_1() {
        RaftConfig config = Harness.config("n1", List.of("n1")).withTiming(10, 11, 2).withSnapshots(5, 2);
        RaftNode n1 = RaftNode.create(config, new SplittableRandom(1));
        while (n1.role() != Role.LEADER) { // a single node elects itself when its timer fires
            n1.tick();
            drain(n1);
        }
        for (int i = 0; i < 4; i++) {
            n1.propose(new Command.Put("k" + i, "v"), null);
            drain(n1);
        }
        assertThat(n1.commitIndex()).isEqualTo(5); // the no-op and four puts
        assertThat(n1.snapshotDue(4)).isFalse();
        assertThat(n1.snapshotDue(5)).isTrue();
        n1.compact(5, new byte[] {1, 2});
        Ready ready = drain(n1);
        assertThat(ready.snapshot()).isEqualTo(new SnapshotChange.Taken(new Snapshot(5, 1, List.of("n1"), new byte[] {1, 2}), 4));
        assertThat(ready.mustPersist()).isTrue();
        assertThat(n1.firstLogIndex()).isEqualTo(4);
        assertThat(n1.snapshotIndex()).isEqualTo(5);
        assertThat(n1.snapshotDue(9)).isFalse();
        assertThat(n1.snapshotDue(10)).isTrue();
        assertThatThrownBy(() -> n1.compact(5, new byte[0])).hasMessageContaining("cannot snapshot");
        assertThatThrownBy(() -> n1.compact(6, new byte[0])).hasMessageContaining("cannot snapshot");
    }

    @Test
    void aRestartedNodeStartsFromItsSnapshotAndTheLogAfterIt() {
        Snapshot snapshot = new Snapshot(3, 2, THREE, new byte[0]);
        RaftNode n = RaftNode.restart(Harness.config("n1", THREE), new HardState(2, null), snapshot,
                entries(1, 1, 2, 2, 2), new SplittableRandom(1));
        assertThat(n.commitIndex()).isEqualTo(3);
        assertThat(n.firstLogIndex()).isEqualTo(4);
        assertThat(n.log()).extracting(LogEntry::index).containsExactly(4L, 5L);
        assertThat(n.termAt(3)).isEqualTo(2); // the snapshot's last entry
        assertThat(n.termAt(5)).isEqualTo(2);
        assertThat(n.termAt(6)).isEqualTo(-1);
        assertThat(drain(n).committedEntries()).isEmpty(); // the state machine starts from the snapshot
        // A log that starts right after the snapshot continues it; one that starts later lost entries.
        RaftNode continued = RaftNode.restart(Harness.config("n1", THREE), HardState.INITIAL, snapshot,
                List.of(Harness.entry(2, 4)), new SplittableRandom(1));
        assertThat(continued.log()).extracting(LogEntry::index).containsExactly(4L);
        assertThatThrownBy(() -> RaftNode.restart(Harness.config("n1", THREE), HardState.INITIAL, snapshot,
                List.of(Harness.entry(2, 5)), new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the log starts at 5, leaving a gap after the snapshot of index 3");
    }

    @Test
    void theConsistencyCheckAtTheSnapshotBoundaryComparesWithTheSnapshotsTerm_5_3() {
        // "Reply false if log doesn't contain an entry at prevLogIndex whose term matches prevLogTerm":
        // at the snapshot's last index the log holds no entry, but it still knows that entry's term.
        RaftNode n = RaftNode.restart(Harness.config("n2", THREE), new HardState(2, null),
                new Snapshot(3, 2, THREE, new byte[0]), List.of(), new SplittableRandom(1));
        n.step(new Message.AppendEntries(2, "n1", "n2", 3, 1, List.of(Harness.entry(2, 4)), 4, 7));
        Ready rejected = drain(n);
        assertThat(sent(rejected, Message.AppendEntriesReply.class)).extracting(Message.AppendEntriesReply::success)
                .containsExactly(false);
        assertThat(n.log()).isEmpty();
        assertThat(n.commitIndex()).isEqualTo(3);
        n.step(new Message.AppendEntries(2, "n1", "n2", 3, 2, List.of(Harness.entry(2, 4)), 4, 8));
        assertThat(sent(drain(n), Message.AppendEntriesReply.class)).containsExactly(
                new Message.AppendEntriesReply(2, "n2", "n1", true, 4, 0, 0, 8));
        assertThat(n.commitIndex()).isEqualTo(4);
    }

    @Test
    void anAppendEntriesStartingInsideTheSnapshotIsCheckedAfterIt_5_3() {
        RaftNode n = RaftNode.restart(Harness.config("n2", THREE), new HardState(2, null),
                new Snapshot(3, 2, THREE, new byte[0]), List.of(), new SplittableRandom(1));
        n.step(new Message.AppendEntries(2, "n1", "n2", 1, 1, entries(1, 2, 2, 2).subList(1, 4), 4, 7));
        Ready ready = drain(n);
        assertThat(sent(ready, Message.AppendEntriesReply.class)).containsExactly(
                new Message.AppendEntriesReply(2, "n2", "n1", true, 4, 0, 0, 7));
        assertThat(n.log()).extracting(LogEntry::index).containsExactly(4L);
        assertThat(n.commitIndex()).isEqualTo(4);
        // Wholly inside the snapshot: committed entries, accepted as they are.
        n.step(new Message.AppendEntries(2, "n1", "n2", 0, 0, entries(1, 2), 4, 8));
        assertThat(sent(drain(n), Message.AppendEntriesReply.class)).containsExactly(
                new Message.AppendEntriesReply(2, "n2", "n1", true, 3, 0, 0, 8));
    }

    @Test
    void aDriversSnapshotMustEndWithACommittedEntryOfTheLogsTerm_5_1() {
        RaftConfig config = Harness.config("n1", List.of("n1")).withTiming(10, 11, 2).withSnapshots(5, 2);
        RaftNode n1 = RaftNode.create(config, new SplittableRandom(1));
        while (n1.role() != Role.LEADER) {
            n1.tick();
            drain(n1);
        }
        for (int i = 0; i < 4; i++) {
            n1.propose(new Command.Put("k" + i, "v"), null);
            drain(n1);
        }
        assertThat(n1.commitIndex()).isEqualTo(5);

        assertThatThrownBy(() -> n1.compact(new Snapshot(6, 1, List.of("n1"), new byte[0])))
                .as("past the commit index").hasMessageContaining("cannot snapshot at 6");
        assertThatThrownBy(() -> n1.compact(new Snapshot(5, 2, List.of("n1"), new byte[0])))
                .as("another term than the log's entry 5").hasMessageContaining("does not end with");
        assertThat(n1.snapshotIndex()).as("neither was taken").isZero();

        n1.compact(new Snapshot(5, 1, List.of("n1"), new byte[] {7}));
        assertThat(n1.snapshotIndex()).isEqualTo(5);
    }
}
