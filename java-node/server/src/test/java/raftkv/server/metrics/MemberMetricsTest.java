package raftkv.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import raftkv.core.ClusterConfig;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Member;
import raftkv.core.Result;
import raftkv.server.NodeStatus;

/**
 * The per-member gauges follow the latest configuration (dissertation §4.1): a member added while the
 * node runs gets its match index and role gauges, a promoted one changes role, a removed one loses
 * them; configuration entries applied are counted.
 */
class MemberMetricsTest {

    private final NodeMetrics metrics = new NodeMetrics("n1");
    private final AtomicReference<NodeStatus> status = new AtomicReference<>();

    private static ClusterConfig config(List<String> voters, List<String> learners) {
        return new ClusterConfig(voters.stream().map(Member::ofId).toList(), learners.stream().map(Member::ofId).toList());
    }

    private static NodeStatus leader(ClusterConfig configuration, Map<String, Long> matchIndex, Set<String> lostData) {
        return new NodeStatus("n1", "leader", 2, "n1", 40, 40, 42, 2, matchIndex, 0, 42, 0, 0, 0, configuration,
                lostData);
    }

    /** The loop publishes {@code next}: the supplier the gauges read, then the observer call. */
    private void publish(NodeStatus next) {
        NodeStatus previous = status.getAndSet(next);
        metrics.published(previous, next);
    }

    /** The value of the one sample of {@code name} whose labels include every one of {@code labels}, or null. */
    private Double sample(String name, String... labels) {
        return metrics.scrape().lines().filter(line -> line.startsWith(name + "{"))
                .filter(line -> List.of(labels).stream().allMatch(label -> line.contains(label)))
                .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(null);
    }

    @Test
    void aMemberAddedAtRuntimeGetsItsGaugesAndARemovedOneLosesThem_4_1() {
        status.set(leader(config(List.of("n1", "n2", "n3"), List.of()), Map.of("n2", 40L, "n3", 39L), Set.of()));
        metrics.watch(status::get);
        assertThat(sample("raftkv_follower_match_index", "peer=\"n3\"")).isEqualTo(39);
        assertThat(sample("raftkv_follower_match_index", "peer=\"n1\"")).as("no match index of the leader itself").isNull();
        assertThat(sample("raftkv_member_role", "member=\"n1\"", "role=\"voter\"")).isEqualTo(1);
        assertThat(sample("raftkv_follower_match_index", "peer=\"n4\"")).isNull();

        // n4 joins as a learner (§4.2.1): its gauges appear with the configuration that names it.
        publish(leader(config(List.of("n1", "n2", "n3"), List.of("n4")), Map.of("n2", 41L, "n3", 41L, "n4", 7L), Set.of()));
        assertThat(sample("raftkv_follower_match_index", "peer=\"n4\"")).isEqualTo(7);
        assertThat(sample("raftkv_member_role", "member=\"n4\"", "role=\"learner\"")).isEqualTo(1);
        assertThat(sample("raftkv_member_role", "member=\"n4\"", "role=\"voter\"")).isEqualTo(0);

        // Promoted: the same gauges, the other role.
        publish(leader(config(List.of("n1", "n2", "n3", "n4"), List.of()), Map.of("n2", 42L, "n3", 42L, "n4", 42L),
                Set.of()));
        assertThat(sample("raftkv_member_role", "member=\"n4\"", "role=\"voter\"")).isEqualTo(1);
        assertThat(sample("raftkv_member_role", "member=\"n4\"", "role=\"learner\"")).isEqualTo(0);
        assertThat(sample("raftkv_follower_match_index", "peer=\"n4\"")).isEqualTo(42);

        // n2 removed: its gauges go; the others stay.
        publish(leader(config(List.of("n1", "n3", "n4"), List.of()), Map.of("n3", 43L, "n4", 43L), Set.of()));
        assertThat(sample("raftkv_follower_match_index", "peer=\"n2\"")).isNull();
        assertThat(sample("raftkv_member_role", "member=\"n2\"")).isNull();
        assertThat(sample("raftkv_follower_match_index", "peer=\"n4\"")).isEqualTo(43);
    }

    @Test
    void aFollowerFoundToHaveLostItsDataIsMarked_issue20() {
        status.set(leader(config(List.of("n1", "n2", "n3"), List.of()), Map.of("n2", 40L, "n3", 40L), Set.of()));
        metrics.watch(status::get);
        assertThat(sample("raftkv_follower_lost_data", "peer=\"n2\"")).isEqualTo(0);
        publish(leader(config(List.of("n1", "n2", "n3"), List.of()), Map.of("n2", 40L, "n3", 41L), Set.of("n2")));
        assertThat(sample("raftkv_follower_lost_data", "peer=\"n2\"")).isEqualTo(1);
    }

    @Test
    void configurationEntriesAppliedAreCounted_4_1() {
        metrics.applied(new LogEntry(1, 1, new Command.Put("1", "Ada"), null), new Result.Ok("Ada"));
        assertThat(sample("raftkv_configuration_changes_total")).isEqualTo(0);
        metrics.applied(new LogEntry(1, 2, new Command.Configuration(config(List.of("n1", "n2", "n3"), List.of("n4"))),
                null), new Result.Ok(null));
        assertThat(sample("raftkv_configuration_changes_total")).isEqualTo(1);
    }
}
