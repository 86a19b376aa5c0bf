package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The pool of sessions a node lends to writes sent without one. */
class ServerSessionsTest {

    private final ServerSessions sessions = new ServerSessions(2, 100);

    @Test
    void anEmptyPoolLendsNothingAndTheWriteRegistersASession() {
        assertThat(sessions.take(0)).isNull();
        assertThat(ServerSessions.opened("7")).isEqualTo(new ServerSessions.Lease("7", 1));
    }

    @Test
    void aSessionGivenBackServesTheNextWriteWithTheNextSequence_6_3() {
        sessions.giveBack(ServerSessions.opened("7"), 10);

        ServerSessions.Lease next = sessions.take(11);

        assertThat(next).isEqualTo(new ServerSessions.Lease("7", 2));
        assertThat(sessions.take(11)).as("one write at a time per session").isNull();
    }

    @Test
    void theMostRecentlyUsedSessionIsLentFirst() {
        sessions.giveBack(ServerSessions.opened("7"), 10);
        sessions.giveBack(ServerSessions.opened("8"), 11);

        assertThat(sessions.take(12).clientId()).isEqualTo("8");
        assertThat(sessions.take(12).clientId()).isEqualTo("7");
    }

    @Test
    void atMostTheBoundIsKeptIdleTheLeastRecentlyUsedDropped() {
        sessions.giveBack(ServerSessions.opened("7"), 10);
        sessions.giveBack(ServerSessions.opened("8"), 11);
        sessions.giveBack(ServerSessions.opened("9"), 12);

        assertThat(sessions.idleCount()).isEqualTo(2);
        assertThat(sessions.take(13).clientId()).isEqualTo("9");
        assertThat(sessions.take(13).clientId()).isEqualTo("8");
    }

    @Test
    void aSessionIdleForHalfTheIdleEntriesIsDroppedBeforeTheStateMachineMayExpireIt_6_3() {
        sessions.giveBack(ServerSessions.opened("7"), 10);

        assertThat(sessions.take(60)).as("50 entries idle: kept").isNotNull();
        sessions.giveBack(new ServerSessions.Lease("7", 2), 60);
        assertThat(sessions.take(111)).as("51 entries idle: dropped").isNull();
        assertThat(sessions.idleCount()).isZero();
    }
}
