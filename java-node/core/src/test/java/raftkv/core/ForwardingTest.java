package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.sent;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Requests a follower sends on to the leader over the peer stream: proposals (etcd-io/raft's MsgProp
 * forwarding) and read indexes (dissertation §6.4, "Followers can also serve reads").
 */
class ForwardingTest {

    /** The incarnation of every node here: they boot once ({@link RaftNode#SINGLE_BOOT}). */
    private static final long BOOT = RaftNode.SINGLE_BOOT;

    private static final Command PUT = new Command.Put("1", "Ada");
    private static final Session SESSION = new Session("c-1", 1);

    /** n2 of three, following n1 in term 1. */
    private static RaftNode followerOfN1() {
        RaftNode n2 = node("n2", THREE);
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        return n2;
    }

    /** n1 of three, leader of term 1 with its no-op (index 1) committed. */
    private static RaftNode leaderWithCommittedNoop() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 1));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(1);
        return n1;
    }

    /** n1 of three, leader of term 3 (n3 led term 2): a follower of term 1 forwards to it too late. */
    private static RaftNode leaderOfTerm3() {
        RaftNode n1 = node("n1", THREE);
        n1.step(new Message.AppendEntries(2, "n3", "n1", 0, 0, List.of(), 0, 1));
        drain(n1);
        Harness.elect(n1);
        assertThat(n1.currentTerm()).isEqualTo(3);
        return n1;
    }

    // ---------------------------------------------------------------- proposals

    @Test
    void followerForwardsProposalToLeader() {
        RaftNode n2 = followerOfN1();
        assertThat(n2.proposeOrForward(PUT, SESSION, 77)).isEqualTo(new ProposalResult.Forwarded(77, "n1"));
        Ready ready = drain(n2);
        assertThat(sent(ready, Message.ForwardedProposal.class))
                .containsExactly(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 77, PUT, SESSION));
        assertThat(n2.log()).as("a follower appends nothing itself").isEmpty();
    }

    @Test
    void followerWithoutAKnownLeaderRefusesInsteadOfForwarding() {
        RaftNode n2 = node("n2", THREE);
        assertThat(n2.proposeOrForward(PUT, null, 1)).isEqualTo(new ProposalResult.NotLeader(null));
        assertThat(drain(n2).messages()).isEmpty();
    }

    @Test
    void leaderAppendsForwardedProposalLikeItsOwn_5_3() {
        RaftNode n1 = leaderWithCommittedNoop();
        n1.step(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 77, PUT, SESSION));
        Ready ready = drain(n1);
        assertThat(n1.log().getLast()).isEqualTo(new LogEntry(1, 2, PUT, SESSION));
        assertThat(sent(ready, Message.ForwardedProposalReply.class))
                .containsExactly(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, 77, new ForwardOutcome.Appended(2, 1)));
        assertThat(sent(ready, Message.AppendEntries.class)).as("replicated at once, like a local proposal")
                .anyMatch(ae -> !ae.entries().isEmpty());
    }

    @Test
    void aDuplicatedForwardIsAppendedOnce() {
        RaftNode n1 = leaderWithCommittedNoop();
        n1.step(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 77, PUT, null));
        drain(n1);
        n1.step(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 77, PUT, null)); // the network delivered it twice
        n1.step(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 76, PUT, null)); // overtaken by 77
        assertThat(sent(drain(n1), Message.ForwardedProposalReply.class)).isEmpty();
        assertThat(n1.status().lastLogIndex()).isEqualTo(2);
        n1.step(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 78, PUT, null));
        assertThat(sent(drain(n1), Message.ForwardedProposalReply.class)).singleElement()
                .satisfies(reply -> assertThat(reply.outcome()).isEqualTo(new ForwardOutcome.Appended(3, 1)));
    }

    @Test
    void leaderTellsAForwardingFollowerOfTheCommitAtOnce() {
        RaftNode n1 = leaderWithCommittedNoop();
        n1.step(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 77, PUT, null));
        long round = sent(drain(n1), Message.AppendEntries.class).getLast().round();
        n1.step(ack(n1, "n3", 2, round)); // n3 and n1 hold index 2: committed
        Ready ready = drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(2);
        assertThat(sent(ready, Message.AppendEntries.class)).as("n2 answers its client once it applies index 2")
                .anyMatch(ae -> ae.to().equals("n2") && ae.leaderCommit() == 2);
        n1.step(ack(n1, "n3", 2, round + 5));
        assertThat(sent(drain(n1), Message.AppendEntries.class)).as("told once, not again").isEmpty();
    }

    @Test
    void leaderTellsAForwardingFollowerOfTheCommitOnlyWhileItsForwardIsUncommittedThere() {
        RaftNode n1 = leaderWithCommittedNoop();
        n1.step(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 77, PUT, null)); // index 2
        drain(n1);
        assertThat(sent(drain(n1), Message.AppendEntries.class)).as("nothing new committed: nothing to tell")
                .isEmpty();
        long round = 100;
        n1.step(ack(n1, "n3", 2, round++));
        assertThat(sent(drain(n1), Message.AppendEntries.class)).filteredOn(ae -> ae.to().equals("n2"))
                .extracting(Message.AppendEntries::leaderCommit).containsExactly(2L);
        n1.propose(new Command.Put("2", "Bob"), null); // index 3, the leader's own client's
        drain(n1);
        n1.step(ack(n1, "n3", 3, round));
        Ready ready = drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(3);
        assertThat(sent(ready, Message.AppendEntries.class)).as("n2's forward is known committed: no hurry")
                .noneMatch(ae -> ae.to().equals("n2"));
    }

    @Test
    void leaderRefusesForwardedProposalWhileTransferringLeadership_3_10() {
        RaftNode n1 = leaderWithCommittedNoop();
        n1.transferLeadership("n3");
        drain(n1);
        long lastIndex = n1.status().lastLogIndex();
        n1.step(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 5, PUT, null));
        assertThat(sent(drain(n1), Message.ForwardedProposalReply.class))
                .containsExactly(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, 5, new ForwardOutcome.Refused("n3")));
        assertThat(n1.status().lastLogIndex()).isEqualTo(lastIndex);
    }

    @Test
    void aForwardOfAnEarlierTermIsNeitherAppendedNorRefused_5_1() {
        RaftNode n1 = leaderOfTerm3();
        n1.step(new Message.ForwardedProposal(3, "n2", "n1", BOOT, 11, PUT, null));
        drain(n1);
        long lastIndex = n1.status().lastLogIndex();
        // n2's forward 10 of term 1 arrives after its forward 11 of term 3. Term 1 < currentTerm (§5.1):
        // only term 1's leader could have appended it, and n1 keeps no record of which terms it led
        // (ForwardRefusalTest), so it says nothing rather than a "no" that might be false.
        n1.step(new Message.ForwardedProposal(1, "n2", "n1", BOOT, 10, PUT, null));
        assertThat(sent(drain(n1), Message.ForwardedProposalReply.class)).isEmpty();
        assertThat(n1.status().lastLogIndex()).isEqualTo(lastIndex);
    }

    @Test
    void theLeadersAnswerGoesToTheDriver() {
        RaftNode n2 = followerOfN1();
        n2.proposeOrForward(PUT, null, 77);
        drain(n2);
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, 77, new ForwardOutcome.Appended(2, 1)));
        Ready ready = drain(n2);
        assertThat(ready.forwardAnswers()).containsExactly(new ForwardAnswer(77, new ForwardOutcome.Appended(2, 1)));
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, 77, new ForwardOutcome.Appended(2, 1)));
        assertThat(drain(n2).forwardAnswers()).as("a duplicate answers nothing twice").isEmpty();
    }

    @Test
    void anAnswerFromAnotherNodeIsIgnored() {
        RaftNode n2 = followerOfN1();
        n2.proposeOrForward(PUT, null, 77);
        drain(n2);
        n2.step(new Message.ForwardedProposalReply(1, "n3", "n2", BOOT, 77, new ForwardOutcome.Appended(2, 1)));
        assertThat(drain(n2).forwardAnswers()).isEmpty();
    }

    @Test
    void unansweredForwardIsUnknownWhenTheLeaderChanges() {
        RaftNode n2 = followerOfN1();
        n2.proposeOrForward(PUT, null, 77);
        drain(n2);
        n2.step(new Message.AppendEntries(2, "n3", "n2", 0, 0, List.of(), 0, 1));
        assertThat(drain(n2).forwardsUnanswered()).containsExactly(77L);
        // The old leader's late answer no longer settles anything: the client heard "unknown".
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, 77, new ForwardOutcome.Appended(2, 1)));
        assertThat(drain(n2).forwardAnswers()).isEmpty();
    }

    @Test
    void unansweredForwardIsUnknownAfterAnElectionTimeout() {
        RaftNode n2 = followerOfN1();
        n2.proposeOrForward(PUT, null, 77);
        drain(n2);
        for (int i = 1; i < n2.config().electionTimeoutMaxTicks(); i++) {
            n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, i + 1)); // the leader lives on
            n2.tick();
            assertThat(drain(n2).forwardsUnanswered()).as("tick %d", i).isEmpty();
        }
        n2.tick();
        assertThat(drain(n2).forwardsUnanswered()).containsExactly(77L);
    }

    @Test
    void forwardsToAFormerLeaderAreGivenUpWhenItsTermEnds() {
        RaftNode n2 = followerOfN1();
        n2.proposeOrForward(PUT, null, 77);
        n2.readOrForward(9);
        drain(n2);
        // n1 leads again, in term 3: what it was asked in term 1 gets no answer we can wait for.
        n2.step(new Message.AppendEntries(3, "n1", "n2", 0, 0, List.of(), 0, 1));
        Ready ready = drain(n2);
        assertThat(n2.leaderId()).isEqualTo("n1");
        assertThat(ready.forwardsUnanswered()).containsExactly(77L);
        assertThat(ready.droppedReads()).containsExactly(9L);
    }

    @Test
    void forwardsAreGivenUpWhenTheFollowerStartsAPreVote_9_6() {
        RaftNode n2 = followerOfN1();
        n2.proposeOrForward(PUT, null, 77);
        n2.readOrForward(9);
        drain(n2);
        Ready campaign = Harness.tickUntilCampaign(n2); // n1 fell silent
        assertThat(n2.role()).isEqualTo(Role.PRE_CANDIDATE);
        assertThat(n2.currentTerm()).as("PreVote keeps the term").isEqualTo(1);
        assertThat(campaign.forwardsUnanswered()).containsExactly(77L);
        assertThat(campaign.droppedReads()).containsExactly(9L);
    }

    // ---------------------------------------------------------------- reads (§6.4)

    @Test
    void followerAsksTheLeaderForAReadIndex_6_4() {
        RaftNode n2 = followerOfN1();
        assertThat(n2.readOrForward(9)).isEqualTo(new ReadResult.Registered());
        assertThat(sent(drain(n2), Message.ReadIndexRequest.class))
                .containsExactly(new Message.ReadIndexRequest(1, "n2", "n1", BOOT, 9));
    }

    @Test
    void leaderAnswersAFollowersReadIndexOnlyAfterAHeartbeatRound_6_4() {
        RaftNode n1 = leaderWithCommittedNoop();
        n1.step(new Message.ReadIndexRequest(1, "n2", "n1", BOOT, 9));
        Ready heartbeats = drain(n1);
        assertThat(sent(heartbeats, Message.ReadIndexReply.class)).isEmpty();
        long round = sent(heartbeats, Message.AppendEntries.class).getFirst().round();
        n1.step(ack(n1, "n3", 1, round - 1));
        assertThat(sent(drain(n1), Message.ReadIndexReply.class)).as("an ack from before the request").isEmpty();
        n1.step(ack(n1, "n3", 1, round));
        Ready confirmed = drain(n1);
        assertThat(sent(confirmed, Message.ReadIndexReply.class))
                .containsExactly(new Message.ReadIndexReply(1, "n1", "n2", BOOT, 9, 1));
        assertThat(confirmed.readStates()).as("not one of the leader's own reads").isEmpty();
    }

    @Test
    void leaderIgnoresAReadIndexRequestOfAnOlderTerm_6_4() {
        RaftNode n1 = leaderOfTerm3();
        n1.step(new Message.ReadIndexRequest(1, "n2", "n1", BOOT, 9));
        Ready ready = drain(n1);
        assertThat(sent(ready, Message.ReadIndexReply.class)).isEmpty();
        assertThat(sent(ready, Message.AppendEntries.class)).isEmpty();
    }

    @Test
    void onlyTheLeaderOfTheFollowersTermAnswersAReadIndexRequest_6_4() {
        RaftNode n1 = leaderWithCommittedNoop();
        for (int i = 0; n1.role() == Role.LEADER; i++) {
            assertThat(i).as("CheckQuorum never deposed n1").isLessThan(3 * n1.config().electionTimeoutMaxTicks());
            n1.tick(); // no follower answers: CheckQuorum (§6.2) deposes n1, still in term 1
        }
        drain(n1);
        assertThat(n1.currentTerm()).isEqualTo(1);
        n1.step(new Message.ReadIndexRequest(1, "n2", "n1", BOOT, 9)); // sent while n1 still led
        Ready ready = drain(n1);
        assertThat(sent(ready, Message.ReadIndexReply.class)).isEmpty();
        assertThat(ready.readStates()).isEmpty();
    }

    @Test
    void aDeposedLeaderFailsOnlyItsOwnPendingReads_6_4() {
        RaftNode n1 = leaderWithCommittedNoop();
        n1.read(9);
        n1.step(new Message.ReadIndexRequest(1, "n2", "n1", BOOT, 8));
        drain(n1);
        n1.step(new Message.AppendEntries(2, "n3", "n1", 1, 1, List.of(), 1, 1));
        Ready ready = drain(n1);
        // Read 8 is n2's number, not one of n1's clients': n2 drops it itself when it sees term 2.
        assertThat(ready.droppedReads()).containsExactly(9L);
        assertThat(sent(ready, Message.ReadIndexReply.class)).isEmpty();
    }

    @Test
    void followerReadWaitsForTheLeadersReadIndex_6_4() {
        RaftNode n2 = followerOfN1();
        n2.readOrForward(9);
        drain(n2);
        n2.step(new Message.ReadIndexReply(1, "n1", "n2", BOOT, 9, 4));
        assertThat(drain(n2).readStates()).containsExactly(new ReadState(9, 4));
    }

    @Test
    void forwardedReadDroppedWhenLeaderDeposed() {
        RaftNode n2 = followerOfN1();
        n2.readOrForward(9);
        drain(n2);
        n2.step(new Message.AppendEntries(2, "n3", "n2", 0, 0, List.of(), 0, 1));
        assertThat(drain(n2).droppedReads()).containsExactly(9L);
        n2.step(new Message.ReadIndexReply(1, "n1", "n2", BOOT, 9, 4));
        assertThat(drain(n2).readStates()).as("the deposed leader's late answer").isEmpty();
    }

    @Test
    void aReadIndexFromAnotherTermDoesNotServeTheRead_6_4() {
        RaftNode n2 = followerOfN1();
        n2.readOrForward(9);
        drain(n2);
        n2.step(new Message.ReadIndexReply(0, "n1", "n2", BOOT, 9, 4));
        assertThat(drain(n2).readStates()).isEmpty();
    }

    @Test
    void aReadIndexFromAnotherNodeDoesNotServeTheRead_6_4() {
        RaftNode n2 = followerOfN1();
        n2.readOrForward(9);
        drain(n2);
        n2.step(new Message.ReadIndexReply(1, "n3", "n2", BOOT, 9, 4));
        assertThat(drain(n2).readStates()).isEmpty();
        n2.step(new Message.ReadIndexReply(1, "n1", "n2", BOOT, 9, 4));
        assertThat(drain(n2).readStates()).as("still waiting for n1").containsExactly(new ReadState(9, 4));
    }

    @Test
    void unansweredForwardedReadIsKeptUntilAnElectionTimeoutThenDropped() {
        RaftNode n2 = followerOfN1();
        n2.readOrForward(9);
        drain(n2);
        int timeout = n2.config().electionTimeoutMaxTicks();
        // n1 keeps leading (its heartbeats arrive every tick) but never answers the ReadIndexRequest.
        for (int tick = 1; tick < timeout; tick++) {
            n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, tick + 1));
            n2.tick();
            assertThat(drain(n2).droppedReads()).as("tick %d of an election timeout of %d", tick, timeout).isEmpty();
        }
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, timeout + 1));
        n2.tick();
        assertThat(drain(n2).droppedReads()).as("after an election timeout").containsExactly(9L);
    }
}
