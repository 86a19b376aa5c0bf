package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bounded session table (dissertation §6.3) under a registration flood: a registration may
 * expire the least recently used session only if it has been idle for {@code idleEntries} entries,
 * and is refused otherwise, so a session in use is never evicted by someone else's registrations.
 */
class SessionLimitsTest {

    private KvStore store;
    private long index;

    private Result apply(Command command) {
        return store.apply(new LogEntry(1, ++index, command, null));
    }

    private Result apply(Command command, String clientId, long sequence) {
        return store.apply(new LogEntry(1, ++index, command, new Session(clientId, sequence)));
    }

    private String openSession() {
        Result opened = apply(new Command.OpenSession());
        assertThat(opened).isInstanceOf(Result.SessionOpened.class);
        return ((Result.SessionOpened) opened).clientId();
    }

    @Test
    void aFloodOfRegistrationsNeverExpiresASessionUsedWithinTheIdleWindow_6_3() {
        store = new KvStore(new SessionLimits(100, 1_000));
        String writer = openSession();
        long sequence = 0;
        int opened = 0;
        int refused = 0;
        for (int i = 1; i <= 100_000; i++) {
            if (i % 900 == 0) { // the writer uses its session a little more often than the window
                sequence++;
                assertThat(apply(new Command.Put("w", "v" + sequence), writer, sequence))
                        .isEqualTo(new Result.Ok("v" + sequence));
            }
            switch (apply(new Command.OpenSession())) {
                case Result.SessionOpened o -> opened++;
                case Result.SessionTableFull full -> refused++;
                default -> throw new AssertionError("a registration answered something else");
            }
        }
        // The flood both filled the table (refusals) and churned through its own idle sessions.
        assertThat(refused).isPositive();
        assertThat(opened).isGreaterThan(100);
        assertThat(store.sessionCount()).isEqualTo(100);

        // Someone else overwrites the value; the writer's retried last command is answered from its
        // session, not executed again, and certainly not refused as expired.
        apply(new Command.Put("w", "someone else"));
        assertThat(apply(new Command.Put("w", "v" + sequence), writer, sequence)).isEqualTo(new Result.Ok("v" + sequence));
        assertThat(store.get("w")).isEqualTo(new Result.Ok("someone else"));
    }

    @Test
    void aSessionIdleBeyondTheWindowCanBeExpiredByANewRegistration_6_3() {
        store = new KvStore(new SessionLimits(2, 5));
        String a = openSession(); // used at 1
        String b = openSession(); // used at 2
        apply(new Command.Put("k", "a"), a, 1); // 3
        apply(new Command.Put("k", "b"), b, 1); // 4: a (last used at 3) is the least recently used
        apply(new Command.Noop()); // 5
        apply(new Command.Noop()); // 6
        apply(new Command.Noop()); // 7
        // Index 8: entries 3..7 are the last five, and entry 3 used a: not idle long enough.
        assertThat(apply(new Command.OpenSession())).isEqualTo(new Result.SessionTableFull());
        // Index 9: entries 4..8 did not use a: it is expired to make room.
        assertThat(apply(new Command.OpenSession())).isEqualTo(new Result.SessionOpened("9"));

        assertThat(store.lookup(new Session(a, 1))).isEqualTo(new CommandStatus.Expired());
        assertThat(apply(new Command.Put("k", "a"), a, 1)).isEqualTo(new Result.SessionExpired(a));
        assertThat(store.get("k")).as("the expired session's retry did not execute").isEqualTo(new Result.Ok("b"));
        assertThat(store.lookup(new Session(b, 1))).isEqualTo(new CommandStatus.Executed(new Result.Ok("b")));
    }

    @Test
    void aRegistrationThatFindsOnlyActiveSessionsIsRefusedAndChangesNothing_6_3() {
        List<LogEntry> prefix = List.of(
                new LogEntry(1, 1, new Command.OpenSession(), null),
                new LogEntry(1, 2, new Command.OpenSession(), null),
                new LogEntry(1, 3, new Command.Put("k", "v"), new Session("1", 1)));
        KvStore refusing = new KvStore(new SessionLimits(2, 100));
        KvStore idle = new KvStore(new SessionLimits(2, 100));
        prefix.forEach(refusing::apply);
        prefix.forEach(idle::apply);

        assertThat(refusing.apply(new LogEntry(1, 4, new Command.OpenSession(), null)))
                .isEqualTo(new Result.SessionTableFull());
        idle.apply(new LogEntry(1, 4, new Command.Noop(), null));
        // The refused registration was a no-op: same sessions, same recorded results, same bytes.
        assertThat(refusing.snapshotBytes()).isEqualTo(idle.snapshotBytes());
        assertThat(refusing.lookup(new Session("4", 1))).isEqualTo(new CommandStatus.Expired());
        assertThat(refusing.lookup(new Session("1", 1))).isEqualTo(new CommandStatus.Executed(new Result.Ok("v")));
        assertThat(refusing.lookup(new Session("2", 1))).isEqualTo(new CommandStatus.NotExecuted());
    }

    @Test
    void everyNodeRefusesAndExpiresAlikeAndASnapshotCarriesTheDecision_6_3_5_1() {
        List<LogEntry> log = new ArrayList<>();
        for (long i = 1; i <= 400; i++) {
            // Registrations, and every sixth entry a write of one of the first three sessions (ids
            // 1, 2 and 4). Sessions 1 and 2 write throughout; session 4 pauses from 100 to 300, long
            // enough to be expired, then writes again.
            String writer = i % 12 == 0 ? "1" : i % 12 == 6 ? "2" : i % 6 == 3 && (i < 100 || i > 300) ? "4" : null;
            Command command = writer != null ? new Command.Put("k" + writer, "v" + i)
                    : i % 7 == 0 ? new Command.Noop() : new Command.OpenSession();
            log.add(new LogEntry(1, i, command, writer == null ? null : new Session(writer, i)));
        }
        SessionLimits limits = new SessionLimits(3, 20);
        KvStore a = new KvStore(limits);
        KvStore b = new KvStore(limits);
        List<Result> resultsOfA = new ArrayList<>();
        for (LogEntry entry : log.subList(0, 200)) {
            resultsOfA.add(a.apply(entry));
            assertThat(b.apply(entry)).as("entry %d", entry.index()).isEqualTo(resultsOfA.getLast());
        }
        // A third node catches up from a's snapshot at 200 (InstallSnapshot), then applies the rest.
        KvStore restored = new KvStore(limits);
        restored.restore(new Snapshot(200, 1, List.of("n1"), a.snapshotBytes()));
        for (LogEntry entry : log.subList(200, log.size())) {
            resultsOfA.add(a.apply(entry));
            assertThat(b.apply(entry)).as("entry %d", entry.index()).isEqualTo(resultsOfA.getLast());
            assertThat(restored.apply(entry)).as("entry %d after restore", entry.index()).isEqualTo(resultsOfA.getLast());
        }
        assertThat(restored.snapshotBytes()).isEqualTo(a.snapshotBytes()).isEqualTo(b.snapshotBytes());
        // The log exercised both outcomes of a full table, and the expiry of the paused session.
        assertThat(resultsOfA).contains(new Result.SessionTableFull(), new Result.SessionExpired("4"))
                .anyMatch(r -> r instanceof Result.SessionOpened opened && Long.parseLong(opened.clientId()) > 100);
        assertThat(a.lookup(new Session("1", 396))).isEqualTo(new CommandStatus.Executed(new Result.Ok("v396")));
    }

    @Test
    void zeroIdleEntriesIsPlainLeastRecentlyUsedExpiry_6_3() {
        store = new KvStore(new SessionLimits(1, 0));
        String a = openSession();
        apply(new Command.Put("k", "a"), a, 1);
        assertThat(apply(new Command.OpenSession())).isEqualTo(new Result.SessionOpened("3"));
        assertThat(store.lookup(new Session(a, 1))).isEqualTo(new CommandStatus.Expired());
    }

    @Test
    void theTableHoldsAtLeastOneSessionAndTheWindowIsNotNegative() {
        assertThat(new KvStore(new SessionLimits(1, 0)).sessionCount()).isZero();
        assertThatThrownBy(() -> new SessionLimits(0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxSessions must be >= 1");
        assertThatThrownBy(() -> new SessionLimits(1, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("idleEntries must be >= 0");
    }
}
