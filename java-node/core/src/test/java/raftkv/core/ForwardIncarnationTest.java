package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.sent;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Forwards carry the follower's incarnation, a random number drawn at every boot, beside an id that
 * grows within the boot. The leader deduplicates per (follower, incarnation), so a follower whose
 * clock stepped back across a restart (or whose counter simply started again) is not taken for a
 * sender of duplicates; and a reply to an earlier boot's request never answers one of this boot.
 */
class ForwardIncarnationTest {

    private static final Command PUT = new Command.Put("1", "Ada");
    private static final long EARLIER_BOOT = 0x7a5cL;
    private static final long THIS_BOOT = -0x3e1dL;

    /** n1 of three, leader of term 1 with its no-op (index 1) committed. */
    private static RaftNode leader() {
        RaftNode n1 = Harness.node("n1", THREE);
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 1));
        drain(n1);
        return n1;
    }

    /** n2 of three in its boot {@link #THIS_BOOT}, following n1 in term 1. */
    private static RaftNode followerOfN1() {
        RaftNode n2 = RaftNode.restart(Harness.config("n2", THREE), HardState.INITIAL, Optional.empty(), List.of(),
                new SplittableRandom(42), SnapshotSink.inMemory(), THIS_BOOT);
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        return n2;
    }

    private static Message.ForwardedProposal forward(long incarnation, long id) {
        return new Message.ForwardedProposal(1, "n2", "n1", incarnation, id, PUT, null);
    }

    private static List<Message.ForwardedProposalReply> replies(RaftNode n1) {
        return sent(drain(n1), Message.ForwardedProposalReply.class);
    }

    @Test
    void aRestartedFollowersForwardsAreTakenInWhateverTheirIds() {
        RaftNode n1 = leader();
        n1.step(forward(EARLIER_BOOT, 1_765_000_000_000_000L)); // ids from a clock, before the restart
        drain(n1);
        // n2 restarted, its clock stepped back (or its counter starts again): a smaller id, a new incarnation.
        n1.step(forward(THIS_BOOT, 1));
        assertThat(replies(n1)).containsExactly(new Message.ForwardedProposalReply(1, "n1", "n2", THIS_BOOT, 1,
                new ForwardOutcome.Appended(3, 1)));
    }

    @Test
    void aCopyOfAnEarlierBootsForwardIsStillADuplicate() {
        RaftNode n1 = leader();
        n1.step(forward(EARLIER_BOOT, 500));
        drain(n1);
        n1.step(forward(THIS_BOOT, 1));
        drain(n1);
        long lastIndex = n1.status().lastLogIndex();
        n1.step(forward(EARLIER_BOOT, 500)); // a copy the network held back
        n1.step(forward(EARLIER_BOOT, 499)); // overtaken by 500
        n1.step(forward(THIS_BOOT, 1));
        assertThat(replies(n1)).isEmpty();
        assertThat(n1.status().lastLogIndex()).as("each appended once").isEqualTo(lastIndex);
    }

    @Test
    void aReplyToAnEarlierBootsForwardSettlesNothing() {
        RaftNode n2 = followerOfN1();
        n2.proposeOrForward(PUT, null, 1);
        assertThat(sent(drain(n2), Message.ForwardedProposal.class)).singleElement()
                .satisfies(fp -> assertThat(fp.incarnation()).isEqualTo(THIS_BOOT));
        // The last boot's forward 1 was appended at index 2; this boot's forward 1 is another command.
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", EARLIER_BOOT, 1, new ForwardOutcome.Appended(2, 1)));
        assertThat(drain(n2).forwardAnswers()).isEmpty();
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", THIS_BOOT, 1, new ForwardOutcome.Appended(3, 1)));
        assertThat(drain(n2).forwardAnswers())
                .containsExactly(new ForwardAnswer(1, new ForwardOutcome.Appended(3, 1)));
    }

    @Test
    void aReadIndexReplyToAnEarlierBootsRequestServesNothing_6_4() {
        RaftNode n2 = followerOfN1();
        n2.readOrForward(9);
        assertThat(sent(drain(n2), Message.ReadIndexRequest.class))
                .containsExactly(new Message.ReadIndexRequest(1, "n2", "n1", THIS_BOOT, 9));
        // Confirmed before this boot's read was even asked: it could miss a write acknowledged since.
        n2.step(new Message.ReadIndexReply(1, "n1", "n2", EARLIER_BOOT, 9, 4));
        assertThat(drain(n2).readStates()).isEmpty();
        n2.step(new Message.ReadIndexReply(1, "n1", "n2", THIS_BOOT, 9, 5));
        assertThat(drain(n2).readStates()).containsExactly(new ReadState(9, 5));
    }

    @Test
    void theLeaderAnswersAForwardedReadWithTheAskersIncarnation_6_4() {
        RaftNode n1 = leader();
        n1.step(new Message.ReadIndexRequest(1, "n2", "n1", THIS_BOOT, 9));
        long round = sent(drain(n1), Message.AppendEntries.class).getFirst().round();
        n1.step(ack(n1, "n3", 1, round));
        assertThat(sent(drain(n1), Message.ReadIndexReply.class))
                .containsExactly(new Message.ReadIndexReply(1, "n1", "n2", THIS_BOOT, 9, 1));
    }
}
