package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.sent;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The leader's inflight window per follower (etcd-io/raft's MaxInflightMsgs): in REPLICATE mode at
 * most {@code maxInflightMessages} AppendEntries with entries go unacknowledged; heartbeats (§5.2)
 * go regardless.
 */
class InflightWindowTest {

    private static final int WINDOW = 3;

    private static List<Message.AppendEntries> toN2(Ready ready) {
        return sent(ready, Message.AppendEntries.class).stream().filter(a -> a.to().equals("n2")).toList();
    }

    private static List<Message.AppendEntries> withEntries(List<Message.AppendEntries> appends) {
        return appends.stream().filter(a -> !a.entries().isEmpty()).toList();
    }

    /**
     * A leader of three sending one entry per message, with a burst large enough that only the
     * window limits it; n2 has acknowledged the no-op at 1 and is in REPLICATE mode.
     */
    private static RaftNode leaderWithWindowOfThree() {
        RaftConfig c = Harness.config("n1", THREE);
        c = new RaftConfig(c.id(), c.members(), 10, 20, 2, 1, 100, c.bugs()).withMaxInflightMessages(WINDOW);
        RaftNode n1 = RaftNode.create(c, new SplittableRandom(42));
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 100));
        drain(n1);
        return n1;
    }

    private static void propose(RaftNode n1, int count) {
        for (int i = 0; i < count; i++) {
            n1.propose(new Command.Put("k" + i, "v"), null);
        }
    }

    /** Proposes ten entries; n2 gets the messages ending at 2, 3 and 4, then its window is full. */
    private static RaftNode leaderWithFullWindow() {
        RaftNode n1 = leaderWithWindowOfThree();
        propose(n1, 10);
        assertThat(toN2(drain(n1))).extracting(a -> a.entries().size()).containsExactly(1, 1, 1);
        return n1;
    }

    @Test
    void aFollowerThatDoesNotAnswerGetsAtMostTheWindowOfAppendEntries() {
        RaftNode n1 = leaderWithWindowOfThree();
        List<Message.AppendEntries> toN2 = new ArrayList<>();
        for (int turn = 0; turn < 4; turn++) {
            propose(n1, 5);
            n1.step(ack(n1, "n3", n1.status().lastLogIndex(), 200 + turn)); // n3 keeps up: commits go on
            toN2.addAll(withEntries(toN2(drain(n1))));
        }
        assertThat(toN2).extracting(Message.AppendEntries::prevLogIndex).containsExactly(1L, 2L, 3L);
    }

    @Test
    void anAckFreesTheWindowAndSendingResumesInTheSameReady() {
        RaftNode n1 = leaderWithFullWindow();
        n1.step(ack(n1, "n2", 3, 200)); // the messages ending at 2 and 3 arrived; the one ending at 4 is in flight
        assertThat(toN2(drain(n1))).extracting(Message.AppendEntries::prevLogIndex).containsExactly(4L, 5L);
        assertThat(toN2(drain(n1))).as("full again: 4, 5 and 6 are in flight").isEmpty();
    }

    @Test
    void aReorderedOlderAckFreesOnlyWhatItAcknowledges() {
        RaftNode n1 = leaderWithFullWindow();
        n1.step(ack(n1, "n2", 3, 201));
        drain(n1); // 5 and 6 go out: in flight 4, 5, 6
        n1.step(ack(n1, "n2", 2, 200)); // the first message's reply, overtaken by the second's
        assertThat(toN2(drain(n1))).isEmpty();
    }

    @Test
    void aRejectionResetsTheWindowAndTheLeaderProbesAgain_5_3() {
        RaftNode n1 = leaderWithFullWindow();
        // n2 lost the messages in flight: it rejects with its log ending at 1.
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n2", "n1", false, 0, 0, 2, 200));
        assertThat(toN2(drain(n1))).as("one probe").singleElement()
                .satisfies(a -> assertThat(a.prevLogIndex()).isEqualTo(1));
        n1.step(ack(n1, "n2", 2, 201));
        assertThat(toN2(drain(n1))).as("REPLICATE again, with the whole window free")
                .extracting(Message.AppendEntries::prevLogIndex).containsExactly(2L, 3L, 4L);
    }

    @Test
    void heartbeatsStillReachAPausedFollower_5_2() {
        RaftNode n1 = leaderWithFullWindow();
        n1.step(ack(n1, "n3", 11, 200));
        drain(n1);
        Harness.tick(n1, 2);
        assertThat(toN2(drain(n1))).as("an empty AppendEntries after the last message in flight")
                .singleElement().satisfies(a -> {
                    assertThat(a.entries()).isEmpty();
                    assertThat(a.prevLogIndex()).isEqualTo(4);
                    assertThat(a.leaderCommit()).isEqualTo(11);
                });
    }

    @Test
    void aHeartbeatAnsweredWithSuccessFreesTheWholeWindow_5_3() {
        RaftNode n1 = leaderWithFullWindow();
        Harness.tick(n1, 2);
        Message.AppendEntries heartbeat = toN2(drain(n1)).getFirst();
        n1.step(ack(n1, "n2", heartbeat.prevLogIndex(), heartbeat.round()));
        assertThat(toN2(drain(n1))).extracting(Message.AppendEntries::prevLogIndex).containsExactly(4L, 5L, 6L);
    }

    @Test
    void heartbeatsToAFollowerThatHoldsEverythingNeverFillItsWindow() {
        RaftNode n1 = leaderWithWindowOfThree();
        Harness.tick(n1, 2 * (WINDOW + 1)); // unanswered empty heartbeats
        drain(n1);
        propose(n1, 1);
        assertThat(withEntries(toN2(drain(n1)))).singleElement()
                .satisfies(a -> assertThat(a.prevLogIndex()).isEqualTo(1));
    }

    @Test
    void theWindowCountsMessagesNotEntries() {
        RaftConfig c = Harness.config("n1", THREE);
        c = new RaftConfig(c.id(), c.members(), 10, 20, 2, 4, 100, c.bugs()).withMaxInflightMessages(2);
        RaftNode n1 = RaftNode.create(c, new SplittableRandom(42));
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 100));
        drain(n1);
        propose(n1, 20);
        assertThat(toN2(drain(n1))).extracting(a -> a.entries().size()).containsExactly(4, 4);
    }
}
