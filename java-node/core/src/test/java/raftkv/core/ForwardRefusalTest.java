package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.sent;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Only certain answers are definite: a node refuses a forwarded proposal ({@link ForwardOutcome.Refused},
 * "never appended, never will be") only when it knows it never appended it, that is when it never led
 * the forward's term. A node that may have appended it stays silent, and the follower's forward ends
 * unknown. A false refusal would let the client retry a command that may still commit: without a
 * session, it would apply twice.
 */
class ForwardRefusalTest {

    /** The incarnation of every node here: they boot once ({@link RaftNode#SINGLE_BOOT}). */
    private static final long BOOT = RaftNode.SINGLE_BOOT;

    private static final Command PUT = new Command.Put("1", "Ada");

    /** n1 of three, leader of term 1, that appended n2's forward 77 at index 2 (after its no-op). */
    private static RaftNode leaderThatAppendedForward77() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1);
        n1.step(forward77());
        assertThat(sent(drain(n1), Message.ForwardedProposalReply.class)).singleElement()
                .satisfies(reply -> assertThat(reply.outcome()).isEqualTo(new ForwardOutcome.Appended(2, 1)));
        return n1;
    }

    private static Message.ForwardedProposal forward77() {
        return new Message.ForwardedProposal(1, "n2", "n1", BOOT, 77, PUT, null);
    }

    /** CheckQuorum (dissertation §6.2): no follower answers, so n1 steps down, still in term 1. */
    private static void stepDownByCheckQuorum(RaftNode n1) {
        for (int i = 0; n1.role() == Role.LEADER; i++) {
            assertThat(i).as("CheckQuorum never deposed n1").isLessThan(3 * n1.config().electionTimeoutMaxTicks());
            n1.tick();
        }
        drain(n1);
        assertThat(n1.currentTerm()).isEqualTo(1);
    }

    private static void assertNoAnswerAndNothingAppended(RaftNode n1, long lastIndexBefore) {
        Ready ready = drain(n1);
        assertThat(sent(ready, Message.ForwardedProposalReply.class)).as("no answer: it may have been appended")
                .isEmpty();
        assertThat(n1.status().lastLogIndex()).as("and not appended again").isEqualTo(lastIndexBefore);
    }

    @Test
    void aLeaderThatSteppedDownDoesNotRefuseACopyOfAForwardItAppended_6_2() {
        RaftNode n1 = leaderThatAppendedForward77();
        stepDownByCheckQuorum(n1);
        n1.step(forward77()); // a copy the network held back
        assertNoAnswerAndNothingAppended(n1, 2);
    }

    @Test
    void aRestartedLeaderDoesNotRefuseACopyOfAForwardItAppended() {
        RaftNode before = leaderThatAppendedForward77();
        // Its record of what it appended was volatile; its vote for itself in term 1 is not (Figure 2).
        RaftNode n1 = Harness.restarted("n1", THREE, new HardState(1, "n1"), List.copyOf(before.log()));
        n1.step(forward77());
        assertNoAnswerAndNothingAppended(n1, 2);
    }

    @Test
    void aReElectedLeaderDoesNotRefuseACopyOfAForwardItAppendedInAnEarlierTerm_5_1() {
        RaftNode before = leaderThatAppendedForward77();
        RaftNode n1 = Harness.restarted("n1", THREE, new HardState(1, "n1"), List.copyOf(before.log()));
        Harness.elect(n1);
        assertThat(n1.currentTerm()).isEqualTo(2);
        long lastIndex = n1.status().lastLogIndex();
        // Term 1 < currentTerm (§5.1), yet "no" would be false: n1's entry at index 2 may still commit,
        // certainly so now that n1 leads again with it in its log.
        n1.step(forward77());
        assertNoAnswerAndNothingAppended(n1, lastIndex);
    }

    @Test
    void aLeaderDeposedByANewerTermDoesNotRefuseACopyOfAForwardItAppended_5_1() {
        RaftNode n1 = leaderThatAppendedForward77();
        n1.step(new Message.AppendEntries(2, "n3", "n1", 0, 0, List.of(), 0, 1)); // n3 leads term 2
        drain(n1);
        assertThat(n1.votedFor()).as("n1 voted for no one in term 2").isNull();
        // Term 1 < currentTerm (§5.1), and n1's vote of term 1 is gone with the term: only "term 1 is
        // over" tells it that it may have led term 1, and appended this forward then.
        n1.step(forward77());
        assertNoAnswerAndNothingAppended(n1, 2);
    }

    @Test
    void aLeaderStaysSilentToACopyOfAForwardItAppendedWhileItStillLeads() {
        RaftNode n1 = leaderThatAppendedForward77();
        n1.step(forward77());
        assertNoAnswerAndNothingAppended(n1, 2);
    }

    @Test
    void aNodeThatNeverLedTheForwardsTermRefusesItAndNamesTheLeader_5_2() {
        // n3 follows n1 in term 1 and voted for no one: it cannot have led term 1 (Election Safety).
        RaftNode n3 = node("n3", THREE);
        n3.step(new Message.AppendEntries(1, "n1", "n3", 0, 0, List.of(), 0, 1));
        drain(n3);
        n3.step(new Message.ForwardedProposal(1, "n2", "n3", BOOT, 5, PUT, null));
        assertThat(sent(drain(n3), Message.ForwardedProposalReply.class))
                .containsExactly(new Message.ForwardedProposalReply(1, "n3", "n2", BOOT, 5, new ForwardOutcome.Refused("n1")));
        assertThat(n3.log()).isEmpty();
    }

    @Test
    void aNodeThatVotedForItselfInTheForwardsTermStaysSilent_5_2() {
        // n1 voted for itself in term 1: as far as it can tell from its persistent state, it may have led it.
        RaftNode n1 = Harness.restarted("n1", THREE, new HardState(1, "n1"), List.of());
        n1.step(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 5, PUT, null));
        assertNoAnswerAndNothingAppended(n1, 0);
    }

    @Test
    void theRetryRefusedForwardBugRefusesACopyOfAForwardItAppended() {
        RaftNode n1 = node("n1", THREE, Bug.RETRY_REFUSED_FORWARD);
        Harness.elect(n1);
        n1.step(forward77());
        drain(n1);
        stepDownByCheckQuorum(n1);
        n1.step(forward77());
        assertThat(sent(drain(n1), Message.ForwardedProposalReply.class)).singleElement()
                .satisfies(reply -> assertThat(reply.outcome()).isInstanceOf(ForwardOutcome.Refused.class));
    }

    @Test
    void theRetryRefusedForwardBugRefusesACopyOfAForwardWhileTheLeaderStillLeads() {
        RaftNode n1 = node("n1", THREE, Bug.RETRY_REFUSED_FORWARD);
        Harness.elect(n1);
        n1.step(forward77());
        drain(n1);
        n1.step(forward77());
        assertThat(sent(drain(n1), Message.ForwardedProposalReply.class))
                .containsExactly(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, 77, new ForwardOutcome.Refused("n1")));
        assertThat(n1.status().lastLogIndex()).as("the bug lies about it, but still appends it once").isEqualTo(2);
    }

    @Test
    void theRetryRefusedForwardBugRefusesAForwardOfAnEarlierTermToTheLeaderOfALaterOne() {
        RaftNode n1 = node("n1", THREE, Bug.RETRY_REFUSED_FORWARD);
        n1.step(new Message.AppendEntries(1, "n3", "n1", 0, 0, List.of(), 0, 1));
        drain(n1);
        Harness.elect(n1);
        assertThat(n1.currentTerm()).isEqualTo(2);
        n1.step(forward77()); // of term 1, which n3 led
        assertThat(sent(drain(n1), Message.ForwardedProposalReply.class))
                .containsExactly(new Message.ForwardedProposalReply(2, "n1", "n2", BOOT, 77, new ForwardOutcome.Refused("n1")));
    }
}
