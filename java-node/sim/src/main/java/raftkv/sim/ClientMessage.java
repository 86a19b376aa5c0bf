package raftkv.sim;

import raftkv.core.Command;
import raftkv.core.Result;
import raftkv.core.Session;

/** What simulated clients and nodes say to each other (the server's HTTP API, in miniature). */
sealed interface ClientMessage {

    /**
     * One attempt of a client operation (or of opening the client's session), sent to {@code node}.
     *
     * @param requestId unique per attempt (also the ReadIndex request id for reads)
     */
    record Request(long requestId, int client, long opId, String node, Call call) implements ClientMessage {}

    /** What a request asks of the node. */
    sealed interface Call {

        /** A linearizable read of {@code key} (ReadIndex, §6.4). */
        record Read(String key) implements Call {}

        /**
         * A command for the log. {@code session} is the (clientId, sequence) of a write or cas, the
         * same on every retry of one operation so it applies at most once (dissertation §6.3); null
         * for {@link Command.OpenSession}, which registers the session in the first place.
         */
        record Propose(Command command, Session session) implements Call {}
    }

    record Reply(long requestId, int client, long opId, Answer answer) implements ClientMessage {}

    /** What a node answers to one attempt. */
    sealed interface Answer {

        /** The command was applied (or the read served) with this outcome. */
        record Done(Result result) implements Answer {}

        /** This node is not the leader; nothing was appended. A definite "did not happen". */
        record NotLeader(String leaderHint) implements Answer {}

        /**
         * The entry this attempt was appended as was overwritten by another leader's entry (the entry
         * committed at its index has another term), so this copy will never apply.
         */
        record Overwritten() implements Answer {}

        /** The leader lost leadership before it could confirm the read (a dropped read). */
        record ReadDropped() implements Answer {}
    }
}
