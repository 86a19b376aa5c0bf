package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.FIVE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.restarted;
import static raftkv.core.Harness.sent;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The campaign from both sides: PreVote (§9.6), candidates (§5.2) and stepping down (§5.1). */
class CampaignTest {

    /** A node whose election timeout is always exactly 10 ticks. */
    private static RaftNode fixedTimeout(String id, List<String> members) {
        return RaftNode.create(Harness.config(id, members).withTiming(10, 11, 2), new SplittableRandom(1));
    }

    private static Ready tickOnce(RaftNode n) {
        n.tick();
        return drain(n);
    }

    @Test
    void singleNodeClusterElectsItselfOnFirstTimeout_5_2() {
        RaftNode n1 = fixedTimeout("n1", List.of("n1"));
        Harness.tick(n1, 10);
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        assertThat(n1.currentTerm()).isEqualTo(1);
    }

    @Test
    void preVotesOfAnEarlierRoundDoNotCount_9_6() {
        RaftNode n1 = fixedTimeout("n1", FIVE);
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(1, "n2", "n1", true));
        Harness.tickUntilCampaign(n1); // the round timed out: a new one starts from scratch
        n1.step(new Message.PreVoteReply(1, "n3", "n1", true));
        assertThat(n1.role()).as("n1 + n3 are 2 of 5").isEqualTo(Role.PRE_CANDIDATE);
    }

    @Test
    void preCandidateWaitsAFullElectionTimeoutBeforeRetrying_5_2() {
        RaftNode n1 = fixedTimeout("n1", FIVE);
        Harness.tickUntilCampaign(n1);
        for (int i = 0; i < 9; i++) {
            assertThat(sent(tickOnce(n1), Message.PreVote.class)).isEmpty();
        }
        assertThat(sent(tickOnce(n1), Message.PreVote.class)).hasSize(4);
    }

    @Test
    void candidateWaitsAFullElectionTimeoutBeforeRetrying_5_2() {
        RaftNode n1 = fixedTimeout("n1", FIVE);
        Harness.tickUntilCampaign(n1);
        Harness.tick(n1, 9);
        n1.step(new Message.PreVoteReply(1, "n2", "n1", true));
        n1.step(new Message.PreVoteReply(1, "n3", "n1", true));
        drain(n1);
        assertThat(n1.role()).isEqualTo(Role.CANDIDATE);
        for (int i = 0; i < 9; i++) {
            assertThat(tickOnce(n1).messages()).isEmpty(); // the timer restarted with the candidacy
        }
        assertThat(sent(tickOnce(n1), Message.PreVote.class)).hasSize(4);
    }

    @Test
    void preVoteForTheReceiversOwnTermIsDenied_9_6() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(3, null), List.of());
        Harness.tick(n2, 25);
        drain(n2);
        n2.step(new Message.PreVote(3, "n1", "n2", 0, 0));
        Message.PreVoteReply reply = sent(drain(n2), Message.PreVoteReply.class).getFirst();
        assertThat(reply.voteGranted()).isFalse();
        assertThat(reply.term()).as("a denial carries the receiver's term").isEqualTo(3);
    }

    @Test
    void preVoteGrantCarriesTheCampaignTerm_9_6() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(3, null), List.of());
        Harness.tick(n2, 25);
        drain(n2);
        n2.step(new Message.PreVote(4, "n1", "n2", 0, 0));
        assertThat(sent(drain(n2), Message.PreVoteReply.class))
                .containsExactly(new Message.PreVoteReply(4, "n2", "n1", true));
    }

    @Test
    void preVoteRejectionOfTheSameTermDoesNotEndTheCampaign_9_6() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(2, null), List.of());
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(2, "n2", "n1", false));
        assertThat(n1.role()).isEqualTo(Role.PRE_CANDIDATE);
        assertThat(n1.currentTerm()).isEqualTo(2);
    }

    @Test
    void latePreVoteGrantsAreIgnoredOnceTheElectionStarted_9_6() {
        RaftNode n1 = node("n1", FIVE);
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(1, "n2", "n1", true));
        n1.step(new Message.PreVoteReply(1, "n3", "n1", true));
        assertThat(n1.role()).isEqualTo(Role.CANDIDATE);
        n1.step(new Message.PreVoteReply(1, "n4", "n1", true));
        n1.step(new Message.PreVoteReply(2, "n5", "n1", true)); // and grants for another term, too
        assertThat(n1.role()).isEqualTo(Role.CANDIDATE);
        assertThat(n1.currentTerm()).isEqualTo(1);
    }

    @Test
    void preVoteGrantsArrivingAfterFollowingALeaderAreIgnored_9_6() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(1, null), List.of());
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(2, "n2", "n1", true));
        n1.step(new Message.AppendEntries(1, "n3", "n1", 0, 0, List.of(), 0, 1)); // n3 leads term 1
        n1.step(new Message.PreVoteReply(2, "n4", "n1", true));
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n1.currentTerm()).isEqualTo(1);
    }

    @Test
    void preVoteDenialCarriesTheReceiversTermSoTheAskerKeepsItsOwn_9_6() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(2, null), Harness.entries(1, 2));
        Harness.tick(n2, 25);
        drain(n2);
        n2.step(new Message.PreVote(3, "n1", "n2", 1, 1)); // stale log: denied
        assertThat(sent(drain(n2), Message.PreVoteReply.class))
                .containsExactly(new Message.PreVoteReply(2, "n2", "n1", false));
    }

    @Test
    void preVoteGrantForAnotherTermDoesNotCount_9_6() {
        RaftNode n1 = node("n1", FIVE);
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(1, "n2", "n1", true));
        n1.step(new Message.PreVoteReply(3, "n3", "n1", true));
        assertThat(n1.role()).isEqualTo(Role.PRE_CANDIDATE);
    }

    @Test
    void lateVoteAfterWinningDoesNotStartANewLeadership_5_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        n1.step(new Message.RequestVoteReply(n1.currentTerm(), "n5", "n1", true));
        assertThat(n1.log()).as("still one no-op").hasSize(1);
    }

    @Test
    void candidateSteppingDownInItsOwnTermKeepsItsVote_5_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(1, "n2", "n1", true));
        n1.step(new Message.PreVoteReply(1, "n3", "n1", true));
        drain(n1);
        n1.step(new Message.AppendEntries(1, "n2", "n1", 0, 0, List.of(), 0, 1));
        Ready ready = drain(n1);
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n1.votedFor()).isEqualTo("n1");
        assertThat(ready.hardState()).isNull();
        n1.step(new Message.RequestVote(1, "n3", "n1", 0, 0));
        assertThat(sent(drain(n1), Message.RequestVoteReply.class).getFirst().voteGranted()).isFalse();
    }

    @Test
    void preCandidateHearingFromALeaderFollowsIt_5_2() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(1, null), List.of());
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.AppendEntries(1, "n2", "n1", 0, 0, List.of(), 0, 1));
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n1.leaderId()).isEqualTo("n2");
    }

    @Test
    void followerLearnsTheLeaderFromItsFirstAppendEntries_5_2() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        n2.step(new Message.RequestVote(2, "n3", "n2", 0, 0)); // term 2, leader unknown
        drain(n2);
        assertThat(n2.leaderId()).isNull();
        n2.step(new Message.AppendEntries(2, "n3", "n2", 0, 0, List.of(), 0, 1));
        assertThat(n2.leaderId()).isEqualTo("n3");
    }

    @Test
    void convertingToFollowerRestartsTheElectionTimer_5_1() {
        RaftNode n2 = fixedTimeout("n2", FIVE);
        Harness.tick(n2, 9);
        drain(n2);
        n2.step(new Message.RequestVoteReply(3, "n4", "n2", false)); // a newer term, no leader known
        drain(n2);
        for (int i = 0; i < 9; i++) {
            assertThat(tickOnce(n2).messages()).isEmpty();
        }
        assertThat(sent(tickOnce(n2), Message.PreVote.class)).hasSize(4);
    }

    @Test
    void requestVoteOfTheCurrentTermIsAnsweredEvenWhileALeaderIsHeardFrom_4_2_3() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        // Stickiness only stops term changes; a same-term request gets its normal §5.2 answer.
        n2.step(new Message.RequestVote(1, "n3", "n2", 0, 0));
        assertThat(sent(drain(n2), Message.RequestVoteReply.class)).hasSize(1);
    }

    @Test
    void grantingAVoteInTheCurrentTermIsPersistedBeforeTheReply_5_2() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        n2.step(new Message.RequestVote(1, "n3", "n2", 0, 0));
        Ready ready = drain(n2);
        assertThat(ready.hardState()).isEqualTo(new HardState(1, "n3"));
        assertThat(sent(ready, Message.RequestVoteReply.class).getFirst().voteGranted()).isTrue();
    }
}
