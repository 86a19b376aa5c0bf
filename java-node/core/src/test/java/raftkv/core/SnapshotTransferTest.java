package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.entries;
import static raftkv.core.Harness.sent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The leader's side of InstallSnapshot (Raft paper §7, dissertation §5.3): a follower whose next
 * entry was compacted gets the snapshot in chunks; the transfer pins its snapshot (etcd-io/raft's
 * PendingSnapshot), keeps a bounded window of chunks in flight, and resends only after a silence.
 */
class SnapshotTransferTest {

    private static final byte[] DATA = "0123456789".getBytes();
    private static final byte[] FORTY = "0123456789abcdefghijABCDEFGHIJ!@#$%^&*()".getBytes();

    /**
     * n1 leads THREE in term 2 with a snapshot at 6 holding {@code data}, sent in 4-byte chunks, and a
     * log from 5 on (the no-op at 7 committed with n3); n2 has nothing yet.
     */
    private static RaftNode leader(int chunksInFlight, byte[] data) {
        RaftConfig config = Harness.config("n1", THREE).withSnapshots(6, 2).withSnapshotChunkBytes(4)
                .withSnapshotChunksInFlight(chunksInFlight);
        RaftNode n1 = RaftNode.restart(config, new HardState(1, "n1"), new Snapshot(4, 1, THREE, data),
                entries(1, 1, 1, 1, 1, 1), new SplittableRandom(1));
        Harness.elect(n1); // the no-op at 7
        n1.step(Harness.ack(n1, "n3", 7, 1));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(7);
        n1.compact(6, data);
        drain(n1);
        assertThat(n1.firstLogIndex()).isEqualTo(5);
        return n1;
    }

    /** n2 says its log is empty: the leader backs up to index 1, which it no longer holds. */
    private static List<Message.InstallSnapshot> startTransfer(RaftNode n1) {
        n1.step(new Message.AppendEntriesReply(2, "n2", "n1", false, 0, 0, 1, 1));
        return sent(drain(n1), Message.InstallSnapshot.class);
    }

    private static List<Long> offsets(List<Message.InstallSnapshot> chunks) {
        return chunks.stream().map(Message.InstallSnapshot::offset).toList();
    }

    private static List<Long> afterReply(RaftNode n1, long nextOffset) {
        n1.step(new Message.InstallSnapshotReply(2, "n2", "n1", 6, nextOffset, 0));
        return offsets(sent(drain(n1), Message.InstallSnapshot.class));
    }

    /**
     * One tick of n1, its AppendEntries answered as its followers would: n3 keeps up, n2 (receiving
     * the snapshot) rejects. Returns what n1 sent.
     */
    private static Ready tickAnswered(RaftNode n1) {
        n1.tick();
        Ready ready = drain(n1);
        for (Message.AppendEntries ae : sent(ready, Message.AppendEntries.class)) {
            long last = ae.prevLogIndex() + ae.entries().size();
            n1.step(ae.to().equals("n3") ? Harness.ack(n1, "n3", last, ae.round())
                    : new Message.AppendEntriesReply(2, "n2", "n1", false, 0, 0, 1, ae.round()));
        }
        return ready;
    }

    @Test
    void theLeaderSendsTheSnapshotInChunksWhenTheNextEntryWasCompacted_7() {
        RaftNode n1 = leader(1, DATA);
        assertThat(startTransfer(n1)).containsExactly(new Message.InstallSnapshot(2, "n1", "n2", 6, 1, THREE, 0,
                Arrays.copyOf(DATA, 4), false));
        assertThat(afterReply(n1, 4)).containsExactly(4L);
        n1.step(new Message.InstallSnapshotReply(2, "n2", "n1", 6, 8, 0));
        List<Message.InstallSnapshot> last = sent(drain(n1), Message.InstallSnapshot.class);
        assertThat(last).extracting(Message.InstallSnapshot::done).containsExactly(true);
        assertThat(last.getFirst().data()).hasSize(2);
        n1.step(new Message.InstallSnapshotReply(2, "n2", "n1", 6, 10, 6));
        // Installed: replication goes on with AppendEntries from the entry after the snapshot.
        List<Message.AppendEntries> appends = sent(drain(n1), Message.AppendEntries.class);
        assertThat(appends).extracting(Message.AppendEntries::prevLogIndex).containsExactly(6L);
        assertThat(n1.status().matchIndex()).containsEntry("n2", 6L);
    }

    @Test
    void onlyTheLeaderOfTheReplysTermActsOnAnInstallSnapshotReply_5_1() {
        RaftNode n1 = leader(1, DATA); // leader of term 2
        n1.step(new Message.InstallSnapshotReply(1, "n2", "n1", 6, 10, 6)); // from an earlier leadership
        assertThat(drain(n1).messages()).isEmpty();
        assertThat(n1.status().matchIndex()).containsEntry("n2", 0L);
        // A reply of its own term that arrives after the leader stepped down (CheckQuorum, §6.2) is late too.
        for (int i = 0; i < 3 * n1.config().electionTimeoutMaxTicks() && n1.role() == Role.LEADER; i++) {
            n1.tick();
            drain(n1);
        }
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n1.currentTerm()).isEqualTo(2);
        n1.step(new Message.InstallSnapshotReply(2, "n2", "n1", 6, 10, 6));
        assertThat(drain(n1).messages()).isEmpty();
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void atMostSnapshotChunksInFlightAreUnacknowledged() {
        RaftNode n1 = leader(3, FORTY); // ten chunks of 4 bytes, three in flight
        assertThat(offsets(startTransfer(n1))).containsExactly(0L, 4L, 8L);
        assertThat(afterReply(n1, 4)).containsExactly(12L); // one acknowledged, one more
        assertThat(afterReply(n1, 4)).isEmpty(); // a duplicate reply acknowledges nothing new
        assertThat(afterReply(n1, 16)).containsExactly(16L, 20L, 24L);
        assertThat(afterReply(n1, 28)).containsExactly(28L, 32L, 36L);
        assertThat(afterReply(n1, 32)).isEmpty(); // the last chunk is on its way
    }

    @Test
    void heartbeatsAndReadIndexRoundsCarryNoChunk() {
        RaftNode n1 = leader(2, FORTY);
        assertThat(offsets(startTransfer(n1))).containsExactly(0L, 4L);
        int retransmitTicks = n1.config().electionTimeoutMinTicks();
        int ticks = 20 * retransmitTicks;
        int chunks = 0;
        int heartbeatsToN2 = 0;
        for (int i = 1; i <= ticks; i++) {
            Ready ready = tickAnswered(n1);
            List<Message.InstallSnapshot> sentChunks = sent(ready, Message.InstallSnapshot.class);
            if (i % retransmitTicks != 0) {
                assertThat(sentChunks).as("tick %d", i).isEmpty(); // between retransmits: heartbeats only
            }
            chunks += sentChunks.size();
            for (Message.AppendEntries ae : sent(ready, Message.AppendEntries.class)) {
                if (ae.to().equals("n2")) {
                    heartbeatsToN2++;
                    // At the compaction boundary, empty: the follower still hears from its leader.
                    assertThat(ae.prevLogIndex()).isEqualTo(4);
                    assertThat(ae.entries()).isEmpty();
                }
            }
        }
        assertThat(n1.role()).isEqualTo(Role.LEADER); // n2's rejections count for CheckQuorum
        assertThat(heartbeatsToN2).isEqualTo(ticks / n1.config().heartbeatTicks());
        // Bounded by the window once per retransmit timeout, not one chunk per heartbeat.
        assertThat(chunks).isEqualTo(2 * (ticks / retransmitTicks));
        // A ReadIndex round (§6.4) is a heartbeat round: it carries no chunk either.
        n1.read(1);
        Ready read = drain(n1);
        assertThat(sent(read, Message.InstallSnapshot.class)).isEmpty();
        assertThat(sent(read, Message.AppendEntries.class)).extracting(Message.AppendEntries::to)
                .containsExactly("n2", "n3");
    }

    @Test
    void aHeartbeatAcknowledgedAfterTheInstallEndsTheTransferWhoseLastReplyWasLost_5_3() {
        RaftNode n1 = leader(1, DATA);
        startTransfer(n1);
        afterReply(n1, 4);
        afterReply(n1, 8); // the last chunk went out; n2 installed the snapshot, and its reply was lost
        Message.AppendEntries heartbeat = null;
        for (int i = 0; heartbeat == null; i++) {
            assertThat(i).as("no heartbeat to n2").isLessThan(n1.config().heartbeatTicks());
            n1.tick();
            heartbeat = sent(drain(n1), Message.AppendEntries.class).stream().filter(ae -> ae.to().equals("n2"))
                    .findFirst().orElse(null);
        }
        assertThat(heartbeat.prevLogIndex()).as("at the compaction boundary").isEqualTo(4);
        // n2's log now starts after the snapshot at 6: the heartbeat lies inside it, and succeeds there.
        n1.step(new Message.AppendEntriesReply(2, "n2", "n1", true, 6, 0, 0, heartbeat.round()));
        Ready ready = drain(n1);
        // Leaders: "If successful: update nextIndex and matchIndex for follower (§5.3)": the transfer
        // is over, and replication goes on from the entry after the snapshot.
        assertThat(n1.status().matchIndex()).containsEntry("n2", 6L);
        assertThat(sent(ready, Message.AppendEntries.class)).filteredOn(ae -> ae.to().equals("n2"))
                .extracting(Message.AppendEntries::prevLogIndex).containsExactly(6L);
        assertThat(sent(ready, Message.InstallSnapshot.class)).isEmpty();
        // The replies to the last chunks come after all, late: the transfer is over, they change nothing.
        n1.step(new Message.InstallSnapshotReply(2, "n2", "n1", 6, 8, 0));
        n1.step(new Message.InstallSnapshotReply(2, "n2", "n1", 6, 10, 6));
        Ready late = drain(n1);
        assertThat(sent(late, Message.InstallSnapshot.class)).isEmpty();
        assertThat(n1.status().matchIndex()).containsEntry("n2", 6L);
    }

    @Test
    void aFollowerWhoseLogEndsRightBeforeTheCompactionBoundaryGetsTheSnapshot_7() {
        RaftNode n1 = leader(1, DATA);
        // n2's log ends at 3: its next entry is 4, the compaction boundary, whose entry n1 no longer
        // holds (only its term): no AppendEntries can start there.
        n1.step(new Message.AppendEntriesReply(2, "n2", "n1", false, 0, 0, 4, 1));
        assertThat(sent(drain(n1), Message.InstallSnapshot.class)).extracting(Message.InstallSnapshot::offset)
                .containsExactly(0L);
        // Its heartbeats sit at the boundary too, and their rounds keep growing (§6.4 counts on them).
        List<Long> rounds = new ArrayList<>();
        for (int i = 0; i < 2 * n1.config().heartbeatTicks(); i++) {
            n1.tick();
            for (Message.AppendEntries ae : sent(drain(n1), Message.AppendEntries.class)) {
                if (ae.to().equals("n2")) {
                    assertThat(ae.prevLogIndex()).isEqualTo(4);
                    assertThat(ae.entries()).isEmpty();
                    rounds.add(ae.round());
                }
            }
        }
        assertThat(rounds).hasSize(2);
        assertThat(rounds.getLast()).isGreaterThan(rounds.getFirst());
    }

    @Test
    void aFollowerReceivingTheSnapshotIsToldOfItsForwardsCommitByTheTransferNotByExtraHeartbeats() {
        RaftNode n1 = leader(1, DATA);
        startTransfer(n1);
        // n2 forwards a client's write while its snapshot is on the way: it is appended at 8.
        n1.step(new Message.ForwardedProposal(2, "n2", "n1", RaftNode.SINGLE_BOOT, 5, new Command.Put("k", "v"), null));
        drain(n1);
        n1.step(Harness.ack(n1, "n3", 8, 2));
        Ready ready = drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(8);
        // n2 cannot apply 8 before it installs the snapshot: the boundary heartbeats and the transfer's
        // end tell it soon enough.
        assertThat(sent(ready, Message.AppendEntries.class)).noneMatch(ae -> ae.to().equals("n2"));
    }

    @Test
    void aRejectedHeartbeatDoesNotRestartTheTransfer() {
        RaftNode n1 = leader(2, FORTY);
        startTransfer(n1);
        assertThat(afterReply(n1, 4)).containsExactly(8L);
        n1.step(new Message.AppendEntriesReply(2, "n2", "n1", false, 0, 0, 1, 50)); // its log is still empty
        assertThat(sent(drain(n1), Message.InstallSnapshot.class)).isEmpty();
        assertThat(afterReply(n1, 8)).containsExactly(12L);
    }

    @Test
    void aLostChunkIsSentAgainAfterTheRetransmitTimeout() {
        RaftNode n1 = leader(2, FORTY);
        assertThat(offsets(startTransfer(n1))).containsExactly(0L, 4L);
        // Chunk 0 is lost; n2 ignores chunk 4, which overtook it, and asks for offset 0.
        assertThat(afterReply(n1, 0)).isEmpty();
        for (int i = 1; i < n1.config().electionTimeoutMinTicks(); i++) {
            assertThat(sent(tickAnswered(n1), Message.InstallSnapshot.class)).as("tick %d", i).isEmpty();
        }
        assertThat(offsets(sent(tickAnswered(n1), Message.InstallSnapshot.class))).containsExactly(0L, 4L);
        assertThat(afterReply(n1, 4)).containsExactly(8L);
        // A follower that restarted lost its partial snapshot and asks for offset 0: after a silence
        // of the same length the transfer starts over from there.
        assertThat(afterReply(n1, 0)).isEmpty();
        List<Long> resent = new ArrayList<>();
        for (int i = 0; i < n1.config().electionTimeoutMinTicks(); i++) {
            resent.addAll(offsets(sent(tickAnswered(n1), Message.InstallSnapshot.class)));
        }
        assertThat(resent).containsExactly(0L, 4L);
    }

    /** One tick of n1 with n2 down: only n3 answers. Returns the offsets of the chunks n1 sent. */
    private static List<Long> tickWithN2Down(RaftNode n1) {
        n1.tick();
        Ready ready = drain(n1);
        for (Message.AppendEntries ae : sent(ready, Message.AppendEntries.class)) {
            if (ae.to().equals("n3")) {
                n1.step(Harness.ack(n1, "n3", ae.prevLogIndex() + ae.entries().size(), ae.round()));
            }
        }
        return offsets(sent(ready, Message.InstallSnapshot.class));
    }

    /** Ticks n1 (n2 down) until it sends chunks again; returns how many ticks that took. */
    private static int ticksUntilResent(RaftNode n1) {
        for (int ticks = 1; ticks <= 100 * n1.config().electionTimeoutMinTicks(); ticks++) {
            if (!tickWithN2Down(n1).isEmpty()) {
                return ticks;
            }
        }
        throw new AssertionError("never resent");
    }

    @Test
    void resendsToASilentFollowerBackOffExponentiallyUpToABound() {
        RaftNode n1 = leader(2, FORTY);
        assertThat(offsets(startTransfer(n1))).containsExactly(0L, 4L); // and n2 goes down
        int timeout = n1.config().electionTimeoutMinTicks();
        List<Integer> waits = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            waits.add(ticksUntilResent(n1));
        }
        assertThat(waits).containsExactly(timeout, 2 * timeout, 4 * timeout, 8 * timeout, 8 * timeout, 8 * timeout);
        assertThat(SnapshotTransfer.MAX_BACKOFF).isEqualTo(8);
    }

    @Test
    void aWordFromTheSilentFollowerEndsTheBackoff() {
        RaftNode n1 = leader(2, FORTY);
        startTransfer(n1);
        int timeout = n1.config().electionTimeoutMinTicks();
        for (int i = 0; i < 4; i++) {
            ticksUntilResent(n1); // backed off to 8 timeouts
        }
        // n2 restarted and rejects a heartbeat (its log is empty): it is up again.
        n1.step(new Message.AppendEntriesReply(2, "n2", "n1", false, 0, 0, 1, 1));
        drain(n1);
        assertThat(ticksUntilResent(n1)).isEqualTo(timeout);
        // A reply to a chunk counts too.
        ticksUntilResent(n1);
        assertThat(afterReply(n1, 0)).isEmpty();
        assertThat(ticksUntilResent(n1)).isEqualTo(timeout);
    }

    /**
     * n2 (a real follower with an empty log) gets chunk 0 of the snapshot at 6; then n1 commits entries
     * up to 10 and snapshots at {@code newSnapshotAt}. Returns the InstallSnapshot messages n1 sends
     * from then on, exchanging messages with n2 until both are quiet.
     */
    private static List<Message.InstallSnapshot> newerSnapshotMidTransfer(RaftNode n1, RaftNode n2, long newSnapshotAt) {
        List<Message> toN2 = new ArrayList<>(startTransfer(n1));
        assertThat(toN2).hasSize(1);
        List<Message> toN1 = deliver(toN2, n2);
        for (int i = 0; i < 3; i++) {
            n1.propose(new Command.Put("k" + i, "v"), null);
        }
        drain(n1);
        n1.step(Harness.ack(n1, "n3", 10, 100));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(10);
        n1.compact(newSnapshotAt, FORTY);
        drain(n1);
        List<Message.InstallSnapshot> chunks = new ArrayList<>();
        while (!toN1.isEmpty()) {
            toN2 = deliver(toN1, n1).stream().filter(m -> m.to().equals("n2")).toList();
            toN2.stream().filter(Message.InstallSnapshot.class::isInstance)
                    .forEach(m -> chunks.add((Message.InstallSnapshot) m));
            toN1 = deliver(toN2, n2);
        }
        return chunks;
    }

    private static List<Message> deliver(List<? extends Message> messages, RaftNode to) {
        messages.stream().filter(m -> m.to().equals(to.id())).forEach(to::step);
        return drain(to).messages();
    }

    @Test
    void aNewerSnapshotTakenMidTransferDoesNotRestartIt_thenASecondTransferCatchesUp() {
        RaftNode n1 = leader(1, DATA);
        RaftNode n2 = Harness.restarted("n2", THREE, new HardState(1, null), List.of());
        List<Message.InstallSnapshot> chunks = newerSnapshotMidTransfer(n1, n2, 10); // compacts up to 8
        // The pinned snapshot goes on from offset 4 to its end; only then does the newer one start.
        assertThat(chunks).extracting(m -> m.lastIncludedIndex() + "@" + m.offset())
                .startsWith("6@4", "6@8", "10@0")
                .doesNotContain("6@0");
        assertThat(n2.snapshot()).isEqualTo(new Snapshot(10, 2, THREE, FORTY));
        assertThat(n1.status().matchIndex()).containsEntry("n2", 10L);
    }

    @Test
    void aNewerSnapshotTakenMidTransferDoesNotRestartIt_thenAppendEntriesCatchUp() {
        RaftNode n1 = leader(1, DATA);
        RaftNode n2 = Harness.restarted("n2", THREE, new HardState(1, null), List.of());
        List<Message.InstallSnapshot> chunks = newerSnapshotMidTransfer(n1, n2, 8); // keeps 7 on in the log
        assertThat(chunks).extracting(m -> m.lastIncludedIndex() + "@" + m.offset()).containsExactly("6@4", "6@8");
        assertThat(n2.snapshot()).isEqualTo(new Snapshot(6, 1, THREE, DATA));
        assertThat(n2.log()).extracting(LogEntry::index).containsExactly(7L, 8L, 9L, 10L);
        assertThat(n1.status().matchIndex()).containsEntry("n2", 10L);
    }
}
