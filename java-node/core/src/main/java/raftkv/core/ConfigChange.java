package raftkv.core;

import java.util.Objects;

/**
 * One single-server membership change (dissertation §4.1: "changes that add or remove a single server
 * at a time"), proposed with {@link RaftNode#proposeConfigChange}. A new server first joins as a
 * learner (§4.2.1: a non-voting member that receives the log), is promoted to voter once it has
 * caught up, and a voter or learner is removed in one step.
 *
 * <h2>The API, for a server</h2>
 * <ul>
 *   <li><b>Bootstrapping.</b> {@link RaftConfig#members()} (with URLs: {@link RaftConfig#withBootstrap})
 *       is the first configuration, used until the log or a snapshot holds one. A node that joins an
 *       existing cluster starts with {@link RaftConfig#joining()}: no configuration, so it never
 *       campaigns; the leader's AppendEntries or InstallSnapshot bring it the configuration.
 *   <li><b>Proposing.</b> On the event loop: {@link Driver#proposeConfigChange(ConfigChange, Object)}
 *       (or {@link RaftNode#proposeConfigChange}). It answers at once with a sealed
 *       {@link ConfigChangeResult}: {@code Accepted(index, term, configuration)} — an entry was appended
 *       and is in force at once; {@code NotLeader(hint)} — forward to the hint; {@code Rejected(reason,
 *       detail)} — a definite failure, nothing appended (one change at a time, the leader's no-op not
 *       committed yet, unknown member, already a member, would leave no voter, learner not caught up,
 *       leadership transfer under way).
 *   <li><b>Learning it committed.</b> An accepted change is settled through the driver's
 *       {@link Driver.Answers} exactly like a client's command: {@code applied(proposal, Ok(null))} once
 *       its entry commits (the change is permanent), {@code superseded} if another entry committed at its
 *       index (the change never happened), {@code compactedAway} if a snapshot replaced it (unknown
 *       here). Every node sees each {@link Command.Configuration} entry in
 *       {@link Ready#committedEntries()}, and {@link RaftNode#configuration()} /
 *       {@link Status#configuration()} give the latest configuration (committed or not) at any time,
 *       with {@link Status#matchIndex()} and {@link Status#lostData()} on the leader.
 *   <li><b>Persistence.</b> Configuration entries are log entries (the WAL carries them); every
 *       {@link Snapshot} carries the configuration in force at its index, and a restart rebuilds the
 *       latest from the snapshot and the log.
 * </ul>
 */
public sealed interface ConfigChange {

    /** The member this change is about. */
    String id();

    /** Adds {@code member} as a learner: it receives the log, never votes, never counts for a quorum. */
    record AddLearner(Member member) implements ConfigChange {
        public AddLearner {
            Objects.requireNonNull(member, "member");
        }

        @Override
        public String id() {
            return member.id();
        }
    }

    /** Makes learner {@code id} a voter: one voter added (§4.1). */
    record Promote(String id) implements ConfigChange {
        public Promote {
            Objects.requireNonNull(id, "id");
        }
    }

    /** Removes voter or learner {@code id}: at most one voter removed (§4.1). */
    record Remove(String id) implements ConfigChange {
        public Remove {
            Objects.requireNonNull(id, "id");
        }
    }
}
