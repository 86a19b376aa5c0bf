package raftkv.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

/**
 * A cluster configuration (dissertation §4.1): the voters, whose majority decides every election and
 * every commit, and the learners (§4.2.1), which receive the log and snapshots but never vote and
 * never count toward a quorum. Immutable, each list sorted by id, no id twice.
 *
 * <p>A configuration is a log entry ({@link Command.Configuration}); "a server always uses the latest
 * configuration in its log, regardless of whether the entry is committed" (§4.1). The first one comes
 * from {@link RaftConfig#bootstrap()}; every snapshot carries the one in force at its last index.
 */
public record ClusterConfig(List<Member> voters, List<Member> learners) {

    private static final Comparator<Member> BY_ID = Comparator.comparing(Member::id);

    /** No members: a node that joins an existing cluster knows nothing until the leader tells it. */
    public static final ClusterConfig EMPTY = new ClusterConfig(List.of(), List.of());

    /**
     * The most members (voters and learners) a leader lets a configuration grow to. A configuration
     * is one log entry, sent whole and stored whole: 100 members with the longest ids and URLs the API
     * takes stay far below the WAL's 1 MiB record limit and the stores' own bounds, and far above
     * any cluster Raft is run with (etcd advises at most 7 voters).
     */
    public static final int MAX_MEMBERS = 100;

    public ClusterConfig {
        voters = voters.stream().sorted(BY_ID).toList();
        learners = learners.stream().sorted(BY_ID).toList();
        HashSet<String> seen = new HashSet<>();
        for (Member m : Stream.concat(voters.stream(), learners.stream()).toList()) {
            if (!seen.add(m.id())) {
                throw new IllegalArgumentException("member " + m.id() + " appears twice in " + voters + " / " + learners);
            }
        }
    }

    /** Voters known by id only, no learners (tests, the simulator, bootstrapping without URLs). */
    public static ClusterConfig ofVoterIds(Collection<String> ids) {
        return new ClusterConfig(ids.stream().map(Member::ofId).toList(), List.of());
    }

    public List<String> voterIds() {
        return voters.stream().map(Member::id).toList();
    }

    public List<String> learnerIds() {
        return learners.stream().map(Member::id).toList();
    }

    /** Every member's id, voters first. */
    public List<String> ids() {
        return Stream.concat(voters.stream(), learners.stream()).map(Member::id).toList();
    }

    public boolean isVoter(String id) {
        return voters.stream().anyMatch(m -> m.id().equals(id));
    }

    public boolean isLearner(String id) {
        return learners.stream().anyMatch(m -> m.id().equals(id));
    }

    public boolean contains(String id) {
        return isVoter(id) || isLearner(id);
    }

    public Optional<Member> member(String id) {
        return Stream.concat(voters.stream(), learners.stream()).filter(m -> m.id().equals(id)).findFirst();
    }

    /** Voters needed for a majority: more than half of the voters (learners never count, §4.2.1). */
    public int quorum() {
        return voters.size() / 2 + 1;
    }

    /** True if {@code ids} include a majority of the voters; ids that are not voters do not count. */
    public boolean hasQuorum(Collection<String> ids) {
        long votes = new HashSet<>(ids).stream().filter(this::isVoter).count();
        return !voters.isEmpty() && votes >= quorum();
    }

    /**
     * The highest index a majority of the voters hold, each voter's index given by {@code matchOf}:
     * "a majority of matchIndex[i] ≥ N" (§5.3), over this configuration's voters only. 0 without voters.
     */
    public long quorumIndex(ToLongFunction<String> matchOf) {
        if (voters.isEmpty()) {
            return 0;
        }
        List<Long> matches = new ArrayList<>();
        for (Member voter : voters) {
            matches.add(matchOf.applyAsLong(voter.id()));
        }
        matches.sort(Comparator.reverseOrder());
        return matches.get(quorum() - 1);
    }

    /**
     * This configuration after {@code change}; throws IllegalArgumentException if the change does not
     * fit it (the leader checks first and answers {@link ConfigChangeResult.Rejected}).
     */
    public ClusterConfig apply(ConfigChange change) {
        return switch (change) {
            case ConfigChange.AddLearner add -> {
                if (contains(add.id())) {
                    throw new IllegalArgumentException(add.id() + " is a member already");
                }
                List<Member> more = new ArrayList<>(learners);
                more.add(add.member());
                yield new ClusterConfig(voters, more);
            }
            case ConfigChange.Promote promote -> {
                Member learner = learners.stream().filter(m -> m.id().equals(promote.id())).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException(promote.id() + " is not a learner"));
                List<Member> more = new ArrayList<>(voters);
                more.add(learner);
                yield new ClusterConfig(more, learners.stream().filter(m -> m != learner).toList());
            }
            case ConfigChange.Remove remove -> {
                if (!contains(remove.id())) {
                    throw new IllegalArgumentException(remove.id() + " is not a member");
                }
                yield new ClusterConfig(voters.stream().filter(m -> !m.id().equals(remove.id())).toList(),
                        learners.stream().filter(m -> !m.id().equals(remove.id())).toList());
            }
        };
    }

    /** This configuration with each blank URL taken from the same member in {@code known}, if it has one. */
    public ClusterConfig withUrlsFrom(ClusterConfig known) {
        return new ClusterConfig(fill(voters, known), fill(learners, known));
    }

    private static List<Member> fill(List<Member> members, ClusterConfig known) {
        return members.stream().map(m -> known.member(m.id())
                .map(k -> new Member(m.id(), m.clientUrl().isEmpty() ? k.clientUrl() : m.clientUrl(),
                        m.peerUrl().isEmpty() ? k.peerUrl() : m.peerUrl()))
                .orElse(m)).toList();
    }

    @Override
    public String toString() {
        return "voters " + voterIds() + (learners.isEmpty() ? "" : " learners " + learnerIds());
    }
}
