package raftkv.server.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import raftkv.core.ClusterConfig;
import raftkv.core.Member;
import raftkv.server.NodeStatus;

/**
 * A node's event history records each change of its latest configuration (dissertation §4.1), in
 * words: "+n4 learner", "n4 promoted", "n2 removed"; an unchanged configuration records nothing.
 */
class ConfigurationEventTest {

    private static final long THRESHOLD = 1_000_000;

    private final java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
    private final EventHistory history = new EventHistory(100, () -> 5_000);
    private final PeerContact contact = new PeerContact(List.of("n2", "n3"), nanos::get);
    private final EventRecorder recorder = new EventRecorder("n1", history, new Timeline(60, () -> 5_000),
            contact, THRESHOLD);

    private static ClusterConfig config(List<String> voters, List<String> learners) {
        return new ClusterConfig(voters.stream().map(Member::ofId).toList(), learners.stream().map(Member::ofId).toList());
    }

    private static NodeStatus leading(ClusterConfig configuration) {
        return new NodeStatus("n1", "leader", 3, "n1", 9, 9, 9, 3, Map.of(), 0, 9, 0, 0, 0, configuration, Set.of());
    }

    private List<NodeEvent> events() {
        return history.since(0, 100).events();
    }

    @Test
    void addingPromotingAndRemovingAMemberAreEachRecorded_4_1() {
        ClusterConfig three = config(List.of("n1", "n2", "n3"), List.of());
        ClusterConfig withLearner = config(List.of("n1", "n2", "n3"), List.of("n4"));
        ClusterConfig four = config(List.of("n1", "n2", "n3", "n4"), List.of());
        ClusterConfig withoutN2 = config(List.of("n1", "n3", "n4"), List.of());
        recorder.published(leading(three), leading(three));
        recorder.published(leading(three), leading(withLearner));
        recorder.published(leading(withLearner), leading(withLearner));
        recorder.published(leading(withLearner), leading(four));
        recorder.published(leading(four), leading(withoutN2));

        assertThat(events()).extracting(NodeEvent::kind).containsOnly(NodeEvent.Kind.CONFIGURATION).hasSize(3);
        assertThat(events()).extracting(NodeEvent::term).containsOnly(3L);
        assertThat(events()).extracting(NodeEvent::text).containsExactly(
                "n1: configuration changed: +n4 learner → voters n1, n2, n3; learners n4 (§4.1)",
                "n1: configuration changed: n4 promoted → voters n1, n2, n3, n4 (§4.1)",
                "n1: configuration changed: n2 removed → voters n1, n3, n4 (§4.1)");
        assertThat(events().get(0).kind().label()).isEqualTo("configuration");
    }

    @Test
    void aJoiningNodeRecordsTheConfigurationItLearnsFromTheLeader_4_2_1() {
        recorder.published(leading(ClusterConfig.EMPTY), leading(config(List.of("n2", "n3", "n5"), List.of("n1"))));
        assertThat(events()).extracting(NodeEvent::text).containsExactly(
                "n1 learned the cluster's configuration: voters n2, n3, n5; learners n1 (§4.1)");
    }

    @Test
    void aMemberAddedLaterIsLostWhenSilentAndARemovedOneIsForgotten_4_1() {
        ClusterConfig three = config(List.of("n1", "n2", "n3"), List.of());
        ClusterConfig four = config(List.of("n1", "n2", "n3"), List.of("n4"));
        ClusterConfig withoutN2 = config(List.of("n1", "n3"), List.of("n4"));
        recorder.published(leading(three), leading(four));
        contact.heard("n2");
        contact.heard("n3");
        contact.heard("n4"); // heard now that it is a member: before, a message from it counted for nothing
        recorder.published(leading(four), leading(withoutN2));
        assertThat(contact.peers()).containsExactly("n3", "n4");
        nanos.addAndGet(THRESHOLD + 1);
        contact.heard("n3");
        recorder.published(leading(withoutN2), leading(withoutN2));
        assertThat(events()).extracting(NodeEvent::kind).containsExactly(NodeEvent.Kind.CONFIGURATION,
                NodeEvent.Kind.CONFIGURATION, NodeEvent.Kind.PEER_LOST);
        assertThat(events().get(2).text()).startsWith("n1 lost n4: nothing heard from it for");
    }
}
