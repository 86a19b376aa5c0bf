package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The Id => name state machine and client sessions (dissertation §6.3). */
class KvStoreTest {

    /** Two sessions, and the least recently used always makes room: expiry happens at once. */
    private static final SessionLimits PLAIN_LRU_OF_TWO = new SessionLimits(2, 0);

    private final KvStore store = new KvStore();
    private long index;

    private Result apply(Command command) {
        return store.apply(new LogEntry(1, ++index, command, null));
    }

    private Result apply(Command command, String client, long seq) {
        return store.apply(new LogEntry(1, ++index, command, new Session(client, seq)));
    }

    @Test
    void putThenGet() {
        assertThat(apply(new Command.Put("1", "Ada"))).isEqualTo(new Result.Ok("Ada"));
        assertThat(store.get("1")).isEqualTo(new Result.Ok("Ada"));
        assertThat(store.get("2")).isEqualTo(new Result.NotFound());
    }

    @Test
    void compareAndSetSwapsOnlyOnMatch() {
        apply(new Command.Put("1", "Ada"));
        assertThat(apply(new Command.Cas("1", "Grace", "Barbara"))).isEqualTo(new Result.Mismatch("Ada"));
        assertThat(store.get("1")).isEqualTo(new Result.Ok("Ada"));
        assertThat(apply(new Command.Cas("1", "Ada", "Barbara"))).isEqualTo(new Result.Ok("Barbara"));
        assertThat(apply(new Command.Cas("9", "Ada", "Barbara"))).isEqualTo(new Result.NotFound());
        assertThat(store.get("9")).isEqualTo(new Result.NotFound());
    }

    @Test
    void deleteRemovesOrReportsAbsent() {
        apply(new Command.Put("1", "Ada"));
        assertThat(apply(new Command.Delete("1"))).isEqualTo(new Result.Ok("Ada"));
        assertThat(apply(new Command.Delete("1"))).isEqualTo(new Result.NotFound());
        assertThat(store.copyOfMap()).isEmpty();
    }

    @Test
    void noopChangesNothingButAdvancesLastApplied_8() {
        apply(new Command.Noop());
        assertThat(store.lastApplied()).isEqualTo(1);
        assertThat(store.copyOfMap()).isEmpty();
    }

    @Test
    void entriesMustBeAppliedInLogOrder_5_3() {
        apply(new Command.Noop());
        assertThatThrownBy(() -> store.apply(new LogEntry(1, 3, new Command.Noop(), null)))
                .isInstanceOf(IllegalStateException.class);
    }

    /** Applies an OpenSession entry and returns the client id it issued. */
    private String openSession() {
        Result opened = apply(new Command.OpenSession());
        assertThat(opened).isInstanceOf(Result.SessionOpened.class);
        return ((Result.SessionOpened) opened).clientId();
    }

    @Test
    void openSessionIssuesTheIndexOfItsEntryAsClientId_6_3() {
        apply(new Command.Noop());
        assertThat(apply(new Command.OpenSession())).isEqualTo(new Result.SessionOpened("2"));
        assertThat(apply(new Command.OpenSession())).isEqualTo(new Result.SessionOpened("3"));
        assertThat(store.sessionCount()).isEqualTo(2);
    }

    @Test
    void outOfOrderEntryIsRefusedNamingTheExpectedIndex_5_3() {
        apply(new Command.Noop());
        assertThatThrownBy(() -> store.apply(new LogEntry(1, 5, new Command.Noop(), null)))
                .hasMessageContaining("expected index 2, got 5");
    }

    @Test
    void newerCommandOfAKnownSessionApplies_6_3() {
        String c1 = openSession();
        apply(new Command.Put("1", "Ada"), c1, 1);
        assertThat(apply(new Command.Put("1", "Grace"), c1, 2)).isEqualTo(new Result.Ok("Grace"));
        assertThat(store.get("1")).isEqualTo(new Result.Ok("Grace"));
        assertThat(store.size()).isEqualTo(1);
        assertThat(store.sessionCount()).isEqualTo(1);
    }

    @Test
    void duplicateCommandReturnsRecordedResultWithoutApplyingTwice_6_3() {
        String c1 = openSession();
        String c2 = openSession();
        apply(new Command.Put("1", "Ada"));
        Result first = apply(new Command.Cas("1", "Ada", "Grace"), c1, 1);
        apply(new Command.Put("1", "Ada"), c2, 1); // someone else resets the value
        Result retry = apply(new Command.Cas("1", "Ada", "Grace"), c1, 1); // a retried copy is committed again
        assertThat(first).isEqualTo(new Result.Ok("Grace"));
        assertThat(retry).isEqualTo(first);
        assertThat(store.get("1")).as("the retry did not apply a second time").isEqualTo(new Result.Ok("Ada"));
    }

    @Test
    void commandOlderThanTheSessionsLatestIsRefused_6_3() {
        String c1 = openSession();
        apply(new Command.Put("1", "Ada"), c1, 2);
        assertThat(apply(new Command.Put("1", "Grace"), c1, 1)).isEqualTo(new Result.StaleSession(2));
        assertThat(store.get("1")).isEqualTo(new Result.Ok("Ada"));
    }

    @Test
    void commandOfANeverIssuedSessionIsRefusedWithoutExecuting_6_3() {
        assertThat(apply(new Command.Put("1", "Ada"), "client-chosen", 1))
                .isEqualTo(new Result.SessionExpired("client-chosen"));
        assertThat(store.get("1")).isEqualTo(new Result.NotFound());
        assertThat(store.sessionCount()).as("a refused command opens no session").isZero();
    }

    @Test
    void sessionsExpireLeastRecentlyUsedFirstAndAnExpiredRetryIsNeverReExecuted_6_3() {
        KvStore small = new KvStore(PLAIN_LRU_OF_TWO);
        small.apply(new LogEntry(1, 1, new Command.OpenSession(), null)); // client "1"
        small.apply(new LogEntry(1, 2, new Command.OpenSession(), null)); // client "2"
        small.apply(new LogEntry(1, 3, new Command.Put("k", "a"), new Session("1", 1)));
        small.apply(new LogEntry(1, 4, new Command.Put("k", "b"), new Session("2", 1))); // "1" is now the LRU
        small.apply(new LogEntry(1, 5, new Command.OpenSession(), null)); // client "5": "1" expires
        assertThat(small.sessionCount()).isEqualTo(2);

        // A retried copy of client 1's put commits after its session expired: refused, not re-executed.
        assertThat(small.apply(new LogEntry(1, 6, new Command.Put("k", "a"), new Session("1", 1))))
                .isEqualTo(new Result.SessionExpired("1"));
        assertThat(small.get("k")).isEqualTo(new Result.Ok("b"));
        assertThat(small.lookup(new Session("1", 1))).isEqualTo(new CommandStatus.Expired());
        assertThat(small.lookup(new Session("2", 1))).isEqualTo(new CommandStatus.Executed(new Result.Ok("b")));
    }

    @Test
    void usingASessionMakesItTheMostRecentlyUsed_6_3() {
        KvStore small = new KvStore(PLAIN_LRU_OF_TWO);
        small.apply(new LogEntry(1, 1, new Command.OpenSession(), null)); // "1"
        small.apply(new LogEntry(1, 2, new Command.OpenSession(), null)); // "2"
        small.apply(new LogEntry(1, 3, new Command.Put("k", "a"), new Session("1", 1))); // "2" is now the LRU
        small.apply(new LogEntry(1, 4, new Command.OpenSession(), null)); // "4": "2" expires
        assertThat(small.lookup(new Session("1", 1))).isEqualTo(new CommandStatus.Executed(new Result.Ok("a")));
        assertThat(small.lookup(new Session("2", 1))).isEqualTo(new CommandStatus.Expired());
        assertThat(small.lookup(new Session("4", 1))).isEqualTo(new CommandStatus.NotExecuted());
    }

    @Test
    void aRetriedOrStaleCopyAlsoCountsAsAUseOfItsSession_6_3() {
        for (long retriedSequence : new long[] {2, 1}) { // 2: a duplicate of the latest; 1: a stale copy
            KvStore small = new KvStore(PLAIN_LRU_OF_TWO);
            small.apply(new LogEntry(1, 1, new Command.OpenSession(), null)); // "1"
            small.apply(new LogEntry(1, 2, new Command.Put("k", "a"), new Session("1", 2)));
            small.apply(new LogEntry(1, 3, new Command.OpenSession(), null)); // "3": now "1" is the LRU
            small.apply(new LogEntry(1, 4, new Command.Put("k", "a"), new Session("1", retriedSequence)));
            small.apply(new LogEntry(1, 5, new Command.OpenSession(), null)); // "5": "3" expires, not "1"
            assertThat(small.lookup(new Session("1", 2))).as("sequence %d", retriedSequence)
                    .isEqualTo(new CommandStatus.Executed(new Result.Ok("a")));
            assertThat(small.lookup(new Session("3", 1))).isEqualTo(new CommandStatus.Expired());
        }
    }

    @Test
    void anOpenSessionEntryOpensANewSessionEvenIfItCarriesOne_6_3() {
        String c1 = openSession();
        Result opened = apply(new Command.OpenSession(), c1, 1);
        assertThat(opened).isEqualTo(new Result.SessionOpened(Long.toString(index)));
        assertThat(store.sessionCount()).isEqualTo(2);
        // ...and it was not command 1 of the session it carried: that one is still to come.
        assertThat(store.lookup(new Session(c1, 1))).isEqualTo(new CommandStatus.NotExecuted());
    }

    @Test
    void lookupTellsExecutedNotExecutedMovedOnOrExpired_6_3() {
        String c1 = openSession();
        assertThat(store.lookup(new Session(c1, 1))).isEqualTo(new CommandStatus.NotExecuted());
        apply(new Command.Put("1", "Ada"), c1, 2);
        assertThat(store.lookup(new Session(c1, 2))).isEqualTo(new CommandStatus.Executed(new Result.Ok("Ada")));
        assertThat(store.lookup(new Session(c1, 1))).isEqualTo(new CommandStatus.MovedOn(2));
        assertThat(store.lookup(new Session(c1, 3))).isEqualTo(new CommandStatus.NotExecuted());
        assertThat(store.lookup(new Session("99", 1))).isEqualTo(new CommandStatus.Expired());
    }

    @Test
    void lookupChangesNothingNotEvenTheLruOrder_6_3() {
        KvStore a = new KvStore(PLAIN_LRU_OF_TWO);
        KvStore b = new KvStore(PLAIN_LRU_OF_TWO);
        for (KvStore s : new KvStore[] {a, b}) {
            s.apply(new LogEntry(1, 1, new Command.OpenSession(), null));
            s.apply(new LogEntry(1, 2, new Command.OpenSession(), null));
        }
        a.lookup(new Session("1", 1)); // only the leader's driver asks; the followers do not
        for (KvStore s : new KvStore[] {a, b}) {
            s.apply(new LogEntry(1, 3, new Command.OpenSession(), null));
        }
        assertThat(a.lookup(new Session("1", 1))).isEqualTo(b.lookup(new Session("1", 1)))
                .isEqualTo(new CommandStatus.Expired());
        assertThat(a.lookup(new Session("2", 1))).isEqualTo(b.lookup(new Session("2", 1)))
                .isEqualTo(new CommandStatus.NotExecuted());
    }

    @Test
    void sameEntriesGiveSameStateOnEveryNode_StateMachineSafety() {
        KvStore a = new KvStore();
        KvStore b = new KvStore();
        for (int i = 1; i <= 4; i++) {
            LogEntry open = new LogEntry(1, i, new Command.OpenSession(), null);
            assertThat(a.apply(open)).isEqualTo(b.apply(open));
        }
        for (int i = 5; i <= 100; i++) {
            Command c = i % 3 == 0 ? new Command.Cas("k" + (i % 7), "v" + (i - 3), "v" + i)
                    : i % 5 == 0 ? new Command.Delete("k" + (i % 7)) : new Command.Put("k" + (i % 7), "v" + i);
            LogEntry e = new LogEntry(1, i, c, new Session(Long.toString(1 + i % 4), i));
            assertThat(a.apply(e)).isEqualTo(b.apply(e));
        }
        assertThat(a.copyOfMap()).isEqualTo(b.copyOfMap()).isNotEmpty();
    }
}
