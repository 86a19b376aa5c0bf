package raftkv.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import raftkv.core.Command;
import raftkv.core.CommandStatus;
import raftkv.core.Result;
import raftkv.core.Session;
import raftkv.core.SessionLimits;
import raftkv.sim.ClientMessage.Call;
import raftkv.sim.ClientMessage.Request;

/**
 * Session expiry (dissertation §6.3) in a whole simulated cluster: sessions expire by log order on
 * every node alike, and a command of an expired session is refused everywhere, never re-executed;
 * a registration that finds only sessions in use is refused on every node alike.
 */
class SessionExpiryTest {

    private static final long WITHIN_MS = 5_000;

    private long nextRequest = 1_000_000;

    /** Proposes {@code command} at the leader and runs until every node applied it; returns its index. */
    private long commit(Cluster cluster, Command command, Session session) {
        SimNode leader = cluster.leader();
        assertThat(leader).as("a leader").isNotNull();
        leader.request(new Request(nextRequest++, 0, nextRequest, leader.id(), new Call.Propose(command, session)));
        long index = leader.raft().log().size();
        boolean applied = cluster.runUntil(cluster.now() + WITHIN_MS,
                () -> cluster.all().stream().allMatch(n -> n.kv().lastApplied() >= index));
        assertThat(applied).as("entry " + index + " applied on every node within " + WITHIN_MS + " ms: "
                + Simulation.states(cluster)).isTrue();
        return index;
    }

    @Test
    void anExpiredSessionsRetryIsRefusedOnEveryNodeAndNeverReExecuted_6_3() {
        Cluster cluster = new Cluster(1, 3, FaultMix.CALM, Set.of(), new SessionLimits(1, 0));
        cluster.addClient("n1", () -> null); // client 0: receives (and ignores) the nodes' answers
        assertThat(cluster.runUntil(WITHIN_MS, () -> Simulation.followedLeader(cluster)
                && cluster.leader().raft().commitIndex() > 0)).as("a leader within " + WITHIN_MS + " ms").isTrue();

        String client = Long.toString(commit(cluster, new Command.OpenSession(), null));
        commit(cluster, new Command.Put("k", "first"), new Session(client, 1));
        commit(cluster, new Command.Put("k", "second"), null);
        commit(cluster, new Command.OpenSession(), null); // the limit is 1: the first session expires
        // A late copy of the first put commits now: it must not set k back to "first".
        commit(cluster, new Command.Put("k", "first"), new Session(client, 1));

        for (SimNode node : cluster.all()) {
            assertThat(node.kv().get("k")).as(node.id()).isEqualTo(new Result.Ok("second"));
            assertThat(node.kv().sessionCount()).as(node.id()).isEqualTo(1);
        }
    }

    @Test
    void clientsWhoseSessionsKeepExpiringStayLinearizable_6_3() {
        // Two sessions for five clients: sessions expire all the time, under every fault mix.
        for (FaultMix mix : List.of(FaultMix.CALM, FaultMix.MIXED, FaultMix.PARTITIONS)) {
            Simulation.Outcome outcome = Simulation.run(Simulation.Settings.of(5).withMix(mix)
                    .withSessions(new SessionLimits(2, 0)));
            assertThat(outcome.failure()).as(mix.name()).isNull();
            assertThat(outcome.history().count(History.Type.OK)).as(mix.name() + " ok ops").isPositive();
        }
    }

    @Test
    void aRegistrationFindingOnlySessionsInUseIsRefusedOnEveryNodeAndTheirWritesStillApply_6_3() {
        Cluster cluster = new Cluster(1, 3, FaultMix.CALM, Set.of(), new SessionLimits(1, 3));
        cluster.addClient("n1", () -> null);
        assertThat(cluster.runUntil(WITHIN_MS, () -> Simulation.followedLeader(cluster)
                && cluster.leader().raft().commitIndex() > 0)).as("a leader within " + WITHIN_MS + " ms").isTrue();

        String client = Long.toString(commit(cluster, new Command.OpenSession(), null));
        commit(cluster, new Command.Put("k", "first"), new Session(client, 1));
        long refused = commit(cluster, new Command.OpenSession(), null); // the session was used just now
        commit(cluster, new Command.Put("k", "second"), null);
        // A retried copy of the session's put: answered from the session on every node, not applied.
        commit(cluster, new Command.Put("k", "first"), new Session(client, 1));

        for (SimNode node : cluster.all()) {
            assertThat(node.kv().get("k")).as(node.id()).isEqualTo(new Result.Ok("second"));
            assertThat(node.kv().lookup(new Session(client, 1))).as(node.id())
                    .isEqualTo(new CommandStatus.Executed(new Result.Ok("first")));
            assertThat(node.kv().lookup(new Session(Long.toString(refused), 1))).as(node.id() + ": nothing registered")
                    .isEqualTo(new CommandStatus.Expired());
        }
    }

    @Test
    void clientsWhoseRegistrationsAreRefusedStayLinearizable_6_3() {
        // Two sessions for five clients, and a session is safe for 10 entries after its last use:
        // registrations are refused often, sessions in use expire when their client pauses.
        for (FaultMix mix : List.of(FaultMix.CALM, FaultMix.MIXED, FaultMix.PARTITIONS)) {
            Simulation.Outcome outcome = Simulation.run(Simulation.Settings.of(5).withMix(mix)
                    .withSessions(new SessionLimits(2, 10)));
            assertThat(outcome.failure()).as(mix.name()).isNull();
            assertThat(outcome.registrationsRefused()).as(mix.name() + " registrations refused").isPositive();
            assertThat(outcome.history().count(History.Type.OK)).as(mix.name() + " ok ops").isPositive();
        }
    }
}
