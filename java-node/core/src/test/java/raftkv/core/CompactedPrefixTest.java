package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.entry;
import static raftkv.core.Harness.sent;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A follower whose log starts after a snapshot receives an AppendEntries that starts inside it: the
 * snapshot's entries are committed, hence the leader's too (Leader Completeness, §5.4), so only the
 * part after the snapshot is checked and appended (§5.3, §7).
 */
class CompactedPrefixTest {

    /** n2 restarted from a snapshot at index 4 of term 1, with no log entries after it. */
    private static RaftNode followerWithSnapshotAt4() {
        RaftNode n2 = RaftNode.restart(Harness.config("n2", THREE), new HardState(1, "n1"),
                new Snapshot(4, 1, THREE, new byte[0]), List.of(), new SplittableRandom(1));
        drain(n2);
        assertThat(n2.firstLogIndex()).isEqualTo(5);
        return n2;
    }

    private static Message.AppendEntriesReply reply(RaftNode n2, Message.AppendEntries m) {
        n2.step(m);
        List<Message.AppendEntriesReply> replies = sent(drain(n2), Message.AppendEntriesReply.class);
        assertThat(replies).hasSize(1);
        return replies.get(0);
    }

    @Test
    void entriesPastTheSnapshotAreAppendedAfterItsCompactedPrefix_5_4() {
        RaftNode n2 = followerWithSnapshotAt4();
        Message.AppendEntriesReply r = reply(n2, new Message.AppendEntries(1, "n1", "n2", 2, 1,
                List.of(entry(1, 3), entry(1, 4), entry(1, 5), entry(1, 6)), 4, 7));
        assertThat(r.success()).isTrue();
        assertThat(r.matchIndex()).isEqualTo(6);
        assertThat(n2.status().lastLogIndex()).isEqualTo(6);
    }

    @Test
    void aMessageWhollyInsideTheSnapshotIsAcknowledgedUpToTheSnapshot_5_4() {
        RaftNode n2 = followerWithSnapshotAt4();
        Message.AppendEntriesReply r = reply(n2, new Message.AppendEntries(1, "n1", "n2", 1, 1,
                List.of(entry(1, 2), entry(1, 3)), 4, 8));
        assertThat(r.success()).isTrue();
        assertThat(r.matchIndex()).isEqualTo(4);
        assertThat(n2.status().lastLogIndex()).isEqualTo(4);
    }
}
