package raftkv.server.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import raftkv.core.TransferResult;
import raftkv.server.NodeStatus;

class EventRecorderTest {

    private static final long THRESHOLD = TimeUnit.MILLISECONDS.toNanos(600);

    private final AtomicLong nanos = new AtomicLong(0);
    private final EventHistory history = new EventHistory(100, () -> 5_000);
    private final PeerContact contact = new PeerContact(List.of("n2", "n3"), nanos::get);
    private final EventRecorder recorder = new EventRecorder("n1", history,
            new Timeline(60, () -> 5_000), contact, THRESHOLD);

    private static NodeStatus status(String role, long term, String leader) {
        return new NodeStatus("n1", role, term, leader, 0, 0, 0, 0, Map.of(), 0, 0, 0, 0, 0);
    }

    private List<String> texts() {
        return history.since(0, 100).events().stream().map(NodeEvent::text).toList();
    }

    private List<NodeEvent.Kind> kinds() {
        return history.since(0, 100).events().stream().map(NodeEvent::kind).toList();
    }

    @Test
    void aLeaderThatStepsDownInItsOwnTermIsRecordedAsCheckQuorum_6_2() {
        recorder.published(status("follower", 2, "n2"), status("pre_candidate", 2, null));
        recorder.published(status("pre_candidate", 2, null), status("candidate", 3, null));
        recorder.published(status("candidate", 3, null), status("leader", 3, "n1"));
        recorder.published(status("leader", 3, "n1"), status("follower", 3, null));
        assertThat(kinds()).containsExactly(NodeEvent.Kind.ROLE, NodeEvent.Kind.ROLE, NodeEvent.Kind.ELECTED,
                NodeEvent.Kind.ROLE);
        assertThat(texts().get(0)).contains("asks for pre-votes for term 3");
        assertThat(texts().get(1)).contains("starts an election for term 3");
        assertThat(texts().get(2)).isEqualTo("n1 won the election of term 3 and leads (§5.2)");
        assertThat(texts().get(3)).contains("stepped down: leader → follower in term 3").contains("CheckQuorum");
    }

    @Test
    void aLeaderThatSeesAHigherTermStepsDownOnIt_5_1() {
        recorder.published(status("leader", 3, "n1"), status("follower", 4, "n2"));
        assertThat(texts()).containsExactly("n1 stepped down: leader → follower, on seeing term 4 (§5.1)",
                "n1 follows n2, the leader of term 4");
    }

    @Test
    void aFollowerRecordsEachNewLeaderOnce() {
        recorder.published(status("follower", 1, null), status("follower", 1, "n2"));
        recorder.published(status("follower", 1, "n2"), status("follower", 1, "n2"));
        recorder.published(status("follower", 1, "n2"), status("follower", 2, "n3"));
        assertThat(texts()).containsExactly("n1 follows n2, the leader of term 1", "n1 follows n3, the leader of term 2");
    }

    @Test
    void aLeaderLosesAPeerSilentBeyondTheThresholdAndRegainsItWhenItIsHeardAgain() {
        contact.heard("n2");
        contact.heard("n3");
        NodeStatus leading = status("leader", 5, "n1");
        recorder.published(leading, leading);
        nanos.addAndGet(THRESHOLD / 2);
        contact.heard("n3");
        recorder.published(leading, leading);
        assertThat(texts()).isEmpty();
        nanos.addAndGet(THRESHOLD / 2 + 1);
        recorder.published(leading, leading);
        assertThat(kinds()).containsExactly(NodeEvent.Kind.PEER_LOST);
        assertThat(texts().get(0)).startsWith("n1 lost n2: nothing heard from it for 600 ms (as leader)");
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(2));
        contact.heard("n2");
        contact.heard("n3");
        recorder.published(leading, leading);
        assertThat(kinds()).containsExactly(NodeEvent.Kind.PEER_LOST, NodeEvent.Kind.PEER_REGAINED);
        assertThat(texts().get(1)).isEqualTo("n1 hears from n2 again, after 2.6 s of silence");
    }

    @Test
    void aFollowerDoesNotLoseAnotherFollowerItNeverTalksTo() {
        contact.heard("n2");
        contact.heard("n3");
        NodeStatus following = status("follower", 5, "n2");
        nanos.addAndGet(THRESHOLD * 3);
        contact.heard("n2"); // the leader's heartbeats go on; n3, a follower too, says nothing to us
        recorder.published(following, following);
        assertThat(texts()).isEmpty();
    }

    @Test
    void aFollowerLosesItsSilentLeader() {
        contact.heard("n2");
        NodeStatus following = status("follower", 5, "n2");
        recorder.published(following, following);
        nanos.addAndGet(THRESHOLD + 1);
        recorder.published(following, following);
        assertThat(texts()).singleElement().asString().startsWith("n1 lost n2");
    }

    @Test
    void aFollowerThatStartsToCampaignGivesAPeerItNeverTalkedToTheThresholdToAnswer() {
        contact.heard("n2");
        contact.heard("n3");
        NodeStatus following = status("follower", 5, "n2");
        recorder.published(following, following);
        nanos.addAndGet(THRESHOLD * 5);
        contact.heard("n2"); // the leader; n3, a follower, has been silent, as followers are to each other
        NodeStatus campaigning = status("pre_candidate", 5, null);
        recorder.published(following, campaigning);
        nanos.addAndGet(THRESHOLD / 2);
        contact.heard("n3"); // its pre-vote reply
        recorder.published(campaigning, campaigning);
        assertThat(kinds()).containsExactly(NodeEvent.Kind.ROLE);
        nanos.addAndGet(THRESHOLD + 1);
        recorder.published(campaigning, campaigning);
        assertThat(texts().subList(1, texts().size())).hasSize(2)
                .allMatch(t -> t.startsWith("n1 lost n2") || t.startsWith("n1 lost n3"));
    }

    @Test
    void aPeerNeverHeardFromIsNeverReportedLost() {
        NodeStatus campaigning = status("pre_candidate", 1, null);
        nanos.addAndGet(THRESHOLD * 10);
        recorder.published(campaigning, campaigning);
        assertThat(texts()).isEmpty();
    }

    @Test
    void aStartedTransferIsRecordedAndARefusedOneIsNot_3_10() {
        recorder.published(status("leader", 4, "n1"), status("leader", 4, "n1"));
        recorder.transferRequested("n3", new TransferResult.Started("n3"));
        recorder.transferRequested(null, new TransferResult.NotLeader("n2"));
        assertThat(history.since(0, 100).events()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(NodeEvent.Kind.TRANSFER);
            assertThat(e.term()).isEqualTo(4);
            assertThat(e.text()).isEqualTo("n1 hands leadership to n3 (§3.10)");
        });
    }
}
