package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.sent;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Leadership transfer with TimeoutNow (dissertation §3.10). */
class LeadershipTransferTest {

    /** n1 leads THREE in term 1; n2 has acknowledged the no-op, n3 has not. */
    private static RaftNode leader() {
        RaftNode n1 = Harness.node("n1", THREE);
        Harness.elect(n1);
        n1.step(Harness.ack(n1, "n2", 1, 1));
        drain(n1);
        return n1;
    }

    @Test
    void theLeaderSendsTimeoutNowOnceTheTargetIsUpToDate_3_10() {
        RaftNode n1 = leader();
        assertThat(n1.transferLeadership(null)).isEqualTo(new TransferResult.Started("n2")); // most up-to-date
        assertThat(sent(drain(n1), Message.TimeoutNow.class)).containsExactly(new Message.TimeoutNow(1, "n1", "n2"));
        n1.step(Harness.ack(n1, "n2", 1, 5)); // n2 answers a heartbeat before its campaign reaches n1
        assertThat(sent(drain(n1), Message.TimeoutNow.class)).as("one TimeoutNow per transfer").isEmpty();
    }

    @Test
    void theLeaderFirstBringsTheTargetUpToDate_3_10() {
        RaftNode n1 = leader();
        assertThat(n1.transferLeadership("n3")).isEqualTo(new TransferResult.Started("n3"));
        Ready ready = drain(n1);
        assertThat(sent(ready, Message.TimeoutNow.class)).isEmpty();
        n1.step(Harness.ack(n1, "n3", 1, 2));
        assertThat(sent(drain(n1), Message.TimeoutNow.class)).containsExactly(new Message.TimeoutNow(1, "n1", "n3"));
    }

    @Test
    void thePriorLeaderStopsAcceptingNewClientRequests_3_10() {
        RaftNode n1 = leader();
        n1.transferLeadership("n3");
        drain(n1);
        assertThat(n1.propose(new Command.Put("a", "b"), null))
                .isEqualTo(new ProposalResult.TransferringLeadership("n3"));
        assertThat(n1.transferee()).isEqualTo("n3");
    }

    @Test
    void theTransferIsAbortedAfterAnElectionTimeout_3_10() {
        RaftNode n1 = leader();
        n1.transferLeadership("n3");
        drain(n1);
        for (int i = 0; i < n1.config().electionTimeoutMaxTicks() - 1; i++) {
            n1.tick();
            n1.step(Harness.ack(n1, "n2", 1, 1)); // keep CheckQuorum happy
            drain(n1);
        }
        assertThat(n1.transferee()).isEqualTo("n3");
        n1.tick();
        drain(n1);
        assertThat(n1.transferee()).isNull();
        assertThat(n1.propose(new Command.Put("a", "b"), null)).isInstanceOf(ProposalResult.Appended.class);
    }

    @Test
    void transferTargetsMustBeOtherMembers() {
        RaftNode n1 = leader();
        assertThat(n1.transferLeadership("n9")).isEqualTo(new TransferResult.UnknownMember("n9"));
        assertThat(n1.transferLeadership("n1")).isEqualTo(new TransferResult.UnknownMember("n1"));
        RaftNode follower = Harness.node("n2", THREE);
        assertThat(follower.transferLeadership("n1")).isEqualTo(new TransferResult.NotLeader(null));
        assertThat(follower.transferee()).isNull();
        RaftNode alone = Harness.node("n1", List.of("n1"));
        assertThat(alone.transferLeadership(null)).isInstanceOf(TransferResult.NotLeader.class);
    }

    @Test
    void aSingleNodeLeaderHasNoOneToHandLeadershipTo_3_10() {
        RaftNode alone = Harness.node("n1", List.of("n1"));
        Harness.tick(alone, alone.config().electionTimeoutMaxTicks()); // it elects itself when its timer fires
        drain(alone);
        assertThat(alone.role()).isEqualTo(Role.LEADER);
        assertThat(alone.transferLeadership(null)).isEqualTo(new TransferResult.NoOtherMember());
        assertThat(alone.transferee()).isNull();
        assertThat(alone.propose(new Command.Noop(), null)).isInstanceOf(ProposalResult.Appended.class);
    }

    @Test
    void timeoutNowStartsAnElectionAtOnceWithoutPreVote_3_10() {
        RaftNode n2 = Harness.node("n2", THREE);
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        n2.step(new Message.TimeoutNow(1, "n1", "n2"));
        Ready ready = drain(n2);
        assertThat(n2.role()).isEqualTo(Role.CANDIDATE);
        assertThat(n2.currentTerm()).isEqualTo(2);
        assertThat(sent(ready, Message.RequestVote.class)).containsExactly(
                new Message.RequestVote(2, "n2", "n1", 0, 0, true), new Message.RequestVote(2, "n2", "n3", 0, 0, true));
        assertThat(sent(ready, Message.PreVote.class)).isEmpty();
    }

    @Test
    void timeoutNowOfAnOldTermIsIgnored() {
        RaftNode n2 = Harness.restarted("n2", THREE, new HardState(3, null), List.of());
        n2.step(new Message.TimeoutNow(2, "n1", "n2"));
        drain(n2);
        assertThat(n2.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n2.currentTerm()).isEqualTo(3);
    }

    @Test
    void timeoutNowIsIgnoredByANodeThatAlreadyStartedItsOwnCampaign_3_10() {
        // As in etcd-io/raft, only a follower acts on TimeoutNow: a pre-candidate has stopped following
        // the leader that sent it, and campaigns by PreVote like any other node.
        RaftNode n2 = Harness.node("n2", THREE);
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        Harness.tickUntilCampaign(n2);
        assertThat(n2.role()).isEqualTo(Role.PRE_CANDIDATE);
        n2.step(new Message.TimeoutNow(1, "n1", "n2"));
        Ready ready = drain(n2);
        assertThat(n2.role()).isEqualTo(Role.PRE_CANDIDATE);
        assertThat(n2.currentTerm()).isEqualTo(1);
        assertThat(ready.messages()).isEmpty();
    }

    @Test
    void anElectionTimeoutCampaignIsNotMarkedAsATransfer_4_2_3() {
        // Only the campaign a leader asked for may disrupt a live leader; an ordinary one must not claim to be it.
        RaftNode n1 = Harness.node("n1", THREE);
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(1, "n2", "n1", true));
        List<Message.RequestVote> votes = sent(drain(n1), Message.RequestVote.class);
        assertThat(votes).containsExactly(new Message.RequestVote(1, "n1", "n2", 0, 0, false),
                new Message.RequestVote(1, "n1", "n3", 0, 0, false));
    }

    @Test
    void aTransferCampaignDisruptsALiveLeader_4_2_3() {
        RaftNode n3 = Harness.node("n3", THREE);
        n3.step(new Message.AppendEntries(1, "n1", "n3", 0, 0, List.of(), 0, 1));
        drain(n3);
        n3.step(new Message.RequestVote(2, "n2", "n3", 0, 0)); // an ordinary campaign: ignored (§4.2.3)
        assertThat(drain(n3).messages()).isEmpty();
        n3.step(new Message.RequestVote(2, "n2", "n3", 0, 0, true));
        assertThat(sent(drain(n3), Message.RequestVoteReply.class))
                .containsExactly(new Message.RequestVoteReply(2, "n3", "n2", true));
        // The leader itself steps down for it.
        RaftNode n1 = leader();
        n1.step(new Message.RequestVote(2, "n2", "n1", 1, 1, true));
        drain(n1);
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n1.currentTerm()).isEqualTo(2);
    }
}
