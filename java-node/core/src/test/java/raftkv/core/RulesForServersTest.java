package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.FIVE;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.sent;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Figure 2's "Rules for Servers" as {@link RulesForServers} applies them, role by role: what all
 * servers do with a newer term (§5.1), and what a candidate, a pre-candidate (§9.6) and a leader do
 * with each message that reaches them in their role.
 */
class RulesForServersTest {

    /** The incarnation of every node here: they boot once ({@link RaftNode#SINGLE_BOOT}). */
    private static final long BOOT = RaftNode.SINGLE_BOOT;

    private static final Command PUT = new Command.Put("1", "Ada");

    /** {@code id} of three, following n1 in term 1. */
    private static RaftNode followerOfN1(String id) {
        RaftNode n = node(id, THREE);
        n.step(new Message.AppendEntries(1, "n1", id, 0, 0, List.of(), 0, 1));
        drain(n);
        return n;
    }

    /** Ticks, without taking a Ready, until the node's election timer starts a PreVote (§9.6). */
    private static void tickUntilPreCandidate(RaftNode n) {
        for (int i = 0; n.role() != Role.PRE_CANDIDATE; i++) {
            assertThat(i).as("the election timer never fired").isLessThan(n.config().electionTimeoutMaxTicks());
            n.tick();
        }
    }

    /** n1 of three, leader of term 2 (n3 led term 1): requests of term 1 reach it late. */
    private static RaftNode leaderOfTerm2() {
        RaftNode n1 = node("n1", THREE);
        n1.step(new Message.AppendEntries(1, "n3", "n1", 0, 0, List.of(), 0, 1));
        drain(n1);
        Harness.elect(n1);
        assertThat(n1.currentTerm()).isEqualTo(2);
        return n1;
    }

    // ---------------------------------------------------------------- all servers (§5.1)

    @Test
    void aHigherTermAppendEntriesNamesItsSenderLeaderEvenIfItsEntriesAreDropped_5_1() {
        RaftNode n2 = node("n2", THREE);
        // Only the leader of term 1 sends AppendEntries of term 1 (§5.2): whatever it carries, n2 now
        // knows term 1's leader and forwards to it. Here the entries do not follow prevLogIndex.
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(Harness.entry(1, 5)), 0, 1));
        assertThat(n2.currentTerm()).isEqualTo(1);
        assertThat(n2.leaderId()).isEqualTo("n1");
        assertThat(n2.log()).as("the malformed entries are dropped").isEmpty();
        assertThat(n2.proposeOrForward(PUT, null, 1)).isEqualTo(new ProposalResult.Forwarded(1, "n1"));
    }

    @Test
    void aHigherTermInstallSnapshotNamesItsSenderLeaderEvenIfTheChunkIsDropped_5_1() {
        RaftNode n2 = node("n2", THREE);
        n2.step(new Message.InstallSnapshot(1, "n1", "n2", 1, 1, THREE, -1, new byte[1], true)); // offset < 0
        assertThat(n2.currentTerm()).isEqualTo(1);
        assertThat(n2.leaderId()).isEqualTo("n1");
        assertThat(sent(drain(n2), Message.InstallSnapshotReply.class)).as("the chunk is dropped").isEmpty();
    }

    @Test
    void aHigherTermRequestVoteNamesNoLeader_5_1() {
        RaftNode n2 = followerOfN1("n2");
        Harness.tick(n2, n2.config().electionTimeoutMinTicks()); // not within leader stickiness (§4.2.3)
        n2.step(new Message.RequestVote(2, "n3", "n2", 0, 0));
        assertThat(n2.currentTerm()).isEqualTo(2);
        assertThat(n2.leaderId()).isNull();
    }

    // ---------------------------------------------------------------- candidates and pre-candidates

    @Test
    void aPreCandidateDoesNotCountALateVoteOfTheCampaignItGaveUp_5_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(1, "n2", "n1", true));
        n1.step(new Message.PreVoteReply(1, "n3", "n1", true));
        assertThat(n1.role()).isEqualTo(Role.CANDIDATE);
        drain(n1);
        Harness.tickUntilCampaign(n1); // no vote came in time: a PreVote for term 2, still in term 1
        assertThat(n1.role()).isEqualTo(Role.PRE_CANDIDATE);
        n1.step(new Message.PreVoteReply(2, "n2", "n1", true));
        // n4's vote for term 1 arrives late. With n2's PreVote grant it would make three of five, but
        // a PreVote is no vote: n1 holds only two votes of term 1 (its own and n4's). Counting it
        // would make a second leader of term 1 possible (Election Safety).
        n1.step(new Message.RequestVoteReply(1, "n4", "n1", true));
        assertThat(n1.role()).isEqualTo(Role.PRE_CANDIDATE);
        assertThat(n1.currentTerm()).isEqualTo(1);
    }

    @Test
    void aCandidateRefusesAVoteOfItsOwnTermHavingVotedForItself_5_2() {
        RaftNode n1 = node("n1", THREE);
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(1, "n2", "n1", true));
        drain(n1);
        assertThat(n1.role()).isEqualTo(Role.CANDIDATE);
        n1.step(new Message.RequestVote(1, "n3", "n1", 0, 0));
        assertThat(sent(drain(n1), Message.RequestVoteReply.class))
                .containsExactly(new Message.RequestVoteReply(1, "n1", "n3", false));
    }

    @Test
    void aPreCandidateThatNeverLedTheForwardsTermRefusesIt_5_2() {
        RaftNode n3 = followerOfN1("n3");
        Harness.tickUntilCampaign(n3);
        assertThat(n3.role()).isEqualTo(Role.PRE_CANDIDATE);
        // Still term 1, and n3 voted for no one in it: it cannot have appended a forward of term 1.
        n3.step(new Message.ForwardedProposal(1, "n2", "n3", BOOT, 5, PUT, null));
        assertThat(sent(drain(n3), Message.ForwardedProposalReply.class))
                .containsExactly(new Message.ForwardedProposalReply(1, "n3", "n2", BOOT, 5, new ForwardOutcome.Refused(null)));
        assertThat(n3.log()).isEmpty();
    }

    @Test
    void aPreCandidateStillTakesTheLeadersAnswersToWhatItForwardedAsAFollower_6_4() {
        RaftNode n2 = followerOfN1("n2");
        n2.proposeOrForward(PUT, null, 77);
        n2.readOrForward(78);
        drain(n2);
        tickUntilPreCandidate(n2);
        // The answers were on their way: they are facts whatever n2's role is now.
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, 77, new ForwardOutcome.Appended(2, 1)));
        n2.step(new Message.ReadIndexReply(1, "n1", "n2", BOOT, 78, 1));
        Ready ready = drain(n2);
        assertThat(ready.forwardAnswers()).containsExactly(new ForwardAnswer(77, new ForwardOutcome.Appended(2, 1)));
        assertThat(ready.readStates()).containsExactly(new ReadState(78, 1));
        assertThat(ready.forwardsUnanswered()).isEmpty();
        assertThat(ready.droppedReads()).isEmpty();
    }

    // ---------------------------------------------------------------- leaders

    @Test
    void aLeaderRefusesAVoteOfAnOlderTerm_5_1() {
        RaftNode n1 = leaderOfTerm2();
        n1.step(new Message.RequestVote(1, "n3", "n1", 0, 0));
        assertThat(sent(drain(n1), Message.RequestVoteReply.class))
                .containsExactly(new Message.RequestVoteReply(2, "n1", "n3", false));
        assertThat(n1.role()).isEqualTo(Role.LEADER);
    }

    @Test
    void aLeaderRejectsAnAppendEntriesOfAnOlderTermWithItsOwnTerm_5_1() {
        RaftNode n1 = leaderOfTerm2();
        n1.step(new Message.AppendEntries(1, "n3", "n1", 0, 0, List.of(), 0, 7));
        assertThat(sent(drain(n1), Message.AppendEntriesReply.class))
                .containsExactly(new Message.AppendEntriesReply(2, "n1", "n3", false, 0, 0, 0, 7));
        assertThat(n1.role()).isEqualTo(Role.LEADER);
    }

    @Test
    void aLeaderAnswersAnInstallSnapshotOfAnOlderTermWithItsOwnTerm_5_1() {
        RaftNode n1 = leaderOfTerm2();
        n1.step(new Message.InstallSnapshot(1, "n3", "n1", 1, 1, THREE, 0, new byte[1], true));
        assertThat(sent(drain(n1), Message.InstallSnapshotReply.class))
                .containsExactly(new Message.InstallSnapshotReply(2, "n1", "n3", 1, 0, 0));
        assertThat(n1.snapshotIndex()).isZero();
    }

    @Test
    void aNodeElectedBeforeItsForwardsWereAnsweredStillTakesTheAnswers_6_4() {
        RaftNode n2 = followerOfN1("n2");
        n2.proposeOrForward(PUT, null, 77);
        n2.readOrForward(78);
        drain(n2);
        tickUntilPreCandidate(n2);
        n2.step(new Message.PreVoteReply(2, "n3", "n2", true));
        n2.step(new Message.RequestVoteReply(2, "n3", "n2", true));
        assertThat(n2.role()).isEqualTo(Role.LEADER);
        // n1's answers, of term 1, were on their way: where it appended the forward, and that its
        // commit index was a valid read index after the request reached it.
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, 77, new ForwardOutcome.Appended(2, 1)));
        n2.step(new Message.ReadIndexReply(1, "n1", "n2", BOOT, 78, 1));
        Ready ready = drain(n2);
        assertThat(ready.forwardAnswers()).containsExactly(new ForwardAnswer(77, new ForwardOutcome.Appended(2, 1)));
        assertThat(ready.readStates()).containsExactly(new ReadState(78, 1));
        assertThat(ready.forwardsUnanswered()).isEmpty();
        assertThat(ready.droppedReads()).isEmpty();
    }
}
